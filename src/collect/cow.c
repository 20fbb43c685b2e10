/* Copy-on-write divergence of two processes, per mapping at the same
 * address, into the model (struct vm_cow_pair). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/cow.h"
#include "vmatlas/tracer.h"

static void cow_counts_add(struct vm_cow_counts *to, const struct vm_cow_counts *c)
{
	to->shared += c->shared;
	to->diverged += c->diverged;
	to->parent_only += c->parent_only;
	to->child_only += c->child_only;
	to->neither += c->neither;
}

/* Mappings are sorted by start: walk both lists together and compare
 * those that start at the same address. A mapping that grew or shrank in
 * one of them (a heap after brk) is compared over the part both have. */
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
		struct vm_cow_mapping *m;
		struct cow_counts cc;

		/* A quit signal: unwind so the caller can detach and exit. */
		if (vm_should_quit()) {
			r = -EINTR;
			goto fail;
		}
		if (pm->start < cm->start) {
			i++;
			continue;
		}
		if (cm->start < pm->start) {
			j++;
			continue;
		}
		i++;
		j++;
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
		m->start = pm->start;
		m->end = pm->end < cm->end ? pm->end : cm->end;
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
