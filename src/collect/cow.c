/* Copy-on-write divergence of two processes, per mapping at the same
 * address, into the model (struct vm_cow_pair). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/cow.h"
#include "vmatlas/procfs.h"
#include "vmatlas/tracer.h"

static void cow_counts_add(struct vm_cow_counts *to, const struct vm_cow_counts *c)
{
	to->shared += c->shared;
	to->diverged += c->diverged;
	to->parent_only += c->parent_only;
	to->child_only += c->child_only;
	to->neither += c->neither;
}

/* Whether PM and CM, which overlap, are the same memory seen in both: the
 * same file at the same file offset for each address, or anonymous memory
 * of the same name ("[stack]", "[heap]", ""). Permissions may differ (one
 * side called mprotect). */
static bool cow_same_identity(const struct vm_mapping *pm, const struct vm_mapping *cm)
{
	if (pm->inode != cm->inode || pm->dev_major != cm->dev_major ||
	    pm->dev_minor != cm->dev_minor)
		return false;
	if (pm->inode)
		return pm->start - pm->offset == cm->start - cm->offset;
	return strcmp(pm->path ? pm->path : "", cm->path ? cm->path : "") == 0;
}

/* Mappings are sorted by start: walk both lists together and compare the
 * range every pair of the same identity overlaps in, so that a mapping
 * that grew or shrank in one of them (a heap after brk, a child's stack
 * grown down, a region merged with a neighbour) is compared over the part
 * both have. */
int cow_compare_ctx(struct pagemap_ctx *pctx, struct pagemap_ctx *cctx,
		    const struct vm_process *p, const struct vm_process *c,
		    bool runs, struct vm_cow_pair *out)
{
	size_t i = 0, j = 0, cap = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->parent = p->pid;
	out->child = c->pid;
	out->pfn = pagemap_pfn_visible(pctx) && pagemap_pfn_visible(cctx);
	while (i < p->nmaps && j < c->nmaps) {
		const struct vm_mapping *pm = &p->maps[i], *cm = &c->maps[j];
		uint64_t lo = pm->start > cm->start ? pm->start : cm->start;
		uint64_t hi = pm->end < cm->end ? pm->end : cm->end;
		struct vm_cow_mapping *m;
		struct cow_counts cc;

		/* A quit signal: unwind so the caller can detach and exit. */
		if (vm_should_quit()) {
			r = -EINTR;
			goto fail;
		}
		if (pm->end <= cm->end)
			i++;
		else
			j++;
		if (lo >= hi || !cow_same_identity(pm, cm))
			continue;
		if (out->nmaps == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			void *n = realloc(out->maps, ncap * sizeof(*out->maps));
			if (!n) {
				r = -ENOMEM;
				goto fail;
			}
			out->maps = n;
			cap = ncap;
		}
		m = &out->maps[out->nmaps];
		memset(m, 0, sizeof(*m));
		m->start = lo;
		m->end = hi;
		m->kind = pm->kind;
		m->path = strdup(pm->path ? pm->path : "");
		if (!m->path) {
			r = -ENOMEM;
			goto fail;
		}
		out->nmaps++;
		r = pagemap_cow_compare(pctx, cctx, m->start, m->end, &cc,
					runs ? &m->runs : NULL, runs ? &m->nruns : NULL);
		if (r < 0)
			goto fail;
		/* The estimate needs no PFN: say so even if one side had it. */
		if (cc.precision != COW_PRECISION_PFN)
			out->pfn = false;
		m->counts = (struct vm_cow_counts){ cc.shared, cc.diverged,
			cc.parent_only, cc.child_only, cc.neither };
		cow_counts_add(&out->totals, &m->counts);
	}
	return 0;
fail:
	vm_cow_pair_fini(out);
	return r;
}

int cow_compare(const struct vm_process *p, const struct vm_process *c,
		bool runs, struct vm_cow_pair *out)
{
	struct pagemap_ctx *pctx = pagemap_open(p->pid, PM_BACKEND_AUTO);
	struct pagemap_ctx *cctx = NULL;
	int r;

	if (!pctx)
		return -errno;
	cctx = pagemap_open(c->pid, PM_BACKEND_AUTO);
	if (!cctx) {
		r = -errno;
		goto out;
	}
	r = cow_compare_ctx(pctx, cctx, p, c, runs, out);
out:
	pagemap_close(cctx);
	pagemap_close(pctx);
	return r;
}

/* The ancestors of PID, nearest first, into A (at most N; stops at pid 1).
 * Returns how many. */
static size_t cow_ancestors(pid_t pid, pid_t *a, size_t n)
{
	size_t k = 0;

	while (k < n && pid > 1) {
		char path[32], *buf = NULL;
		struct proc_stat st;
		size_t len;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (procfs_read_file(path, 4096, &buf, &len) < 0)
			break;
		if (stat_parse(buf, len, &st) < 0 || st.ppid <= 0) {
			free(buf);
			break;
		}
		free(buf);
		a[k++] = pid = st.ppid;
	}
	return k;
}

#define COW_MAX_ANCESTORS 256

void cow_relation(pid_t parent, pid_t child, enum vm_cow_relation *rel, pid_t *common)
{
	pid_t pa[COW_MAX_ANCESTORS], ca[COW_MAX_ANCESTORS];
	size_t np = cow_ancestors(parent, pa, COW_MAX_ANCESTORS);
	size_t nc = cow_ancestors(child, ca, COW_MAX_ANCESTORS);

	*common = 0;
	*rel = COW_REL_UNRELATED;
	for (size_t i = 0; i < nc; i++)
		if (ca[i] == parent) {
			*rel = i == 0 ? COW_REL_CHILD : COW_REL_DESCENDANT;
			return;
		}
	for (size_t i = 0; i < np; i++)
		if (pa[i] == child) {
			*rel = COW_REL_ANCESTOR;
			return;
		}
	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < nc; j++)
			if (pa[i] == ca[j] && pa[i] > 1) {
				*rel = COW_REL_KIN;
				*common = pa[i];
				return;
			}
}

int cow_snapshot_add_pair(struct vm_snapshot *s, size_t parent, size_t child,
			  bool runs)
{
	struct vm_cow_pair pair, *n;
	int r;

	if (parent >= s->nprocs || child >= s->nprocs)
		return -EINVAL;
	r = cow_compare(&s->procs[parent], &s->procs[child], runs, &pair);
	if (r < 0)
		return r;
	if (s->procs[child].ppid == s->procs[parent].pid)
		pair.relation = COW_REL_CHILD;
	else
		cow_relation(pair.parent, pair.child, &pair.relation, &pair.ancestor);
	n = realloc(s->cows, (s->ncows + 1) * sizeof(*s->cows));
	if (!n) {
		vm_cow_pair_fini(&pair);
		return -ENOMEM;
	}
	s->cows = n;
	s->cows[s->ncows++] = pair;
	return 0;
}

int cow_snapshot_add_pairs(struct vm_snapshot *s, bool runs)
{
	for (size_t c = 0; c < s->nprocs; c++) {
		for (size_t p = 0; p < s->nprocs; p++) {
			int r;

			if (vm_should_quit())
				return -EINTR;
			if (p == c || s->procs[p].pid != s->procs[c].ppid)
				continue;
			r = cow_snapshot_add_pair(s, p, c, runs);
			if (r < 0 && r != -ESRCH)
				return r;
			break;
		}
	}
	return 0;
}
