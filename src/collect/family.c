/* Families of processes: the kernel's own PSS and USS (smaps_rollup), the
 * copy-on-write state of each member against its parent (cow.c), and the
 * family's footprint and sharing histogram from every member's pagemap.
 *
 * Footprint and histogram: the address space is walked in windows; in
 * each, the present pages of every member are keyed (by PFN as root, else
 * by address) and sorted, so a page mapped by k members is seen once with
 * k owners. A page mapped once (pagemap's exclusive bit) needs no sort. As
 * root, a shared page whose kernel mapcount (/proc/kpagecount) is above
 * the mappings found in its window is also mapped elsewhere (another
 * address, another process): its owners are kept until the end and
 * merged, so nothing is counted twice. Memory is bounded by one window of
 * every member plus those pages, never a per-page array of the family. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmatlas/cow.h"
#include "vmatlas/family.h"
#include "vmatlas/pagemap.h"
#include "vmatlas/procfs.h"
#include "vmatlas/util.h"

/* ---- smaps_rollup ---------------------------------------------------------- */

int smaps_rollup_parse(const char *buf, size_t len, struct smaps_rollup *out)
{
	static const char *const names[] = {
		"Rss:", "Pss:", "Shared_Clean:", "Shared_Dirty:", "Private_Clean:",
		"Private_Dirty:", "Swap:", "SwapPss:",
	};
	uint64_t *fields[] = {
		&out->rss, &out->pss, &out->shared_clean, &out->shared_dirty,
		&out->private_clean, &out->private_dirty, &out->swap, &out->swap_pss,
	};
	const char *p = buf, *end = buf + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			size_t n = strlen(names[i]);
			const char *q = p + n;
			uint64_t v = 0;
			bool digits = false;

			if ((size_t)(le - p) < n || memcmp(p, names[i], n) != 0)
				continue;
			while (q < le && *q == ' ')
				q++;
			for (; q < le && *q >= '0' && *q <= '9'; q++) {
				if (v > (UINT64_MAX - 9) / 10)
					return -EINVAL;
				v = v * 10 + (uint64_t)(*q - '0');
				digits = true;
			}
			if (!digits || le - q < 3 || memcmp(q, " kB", 3) != 0)
				return -EINVAL;
			*fields[i] += v;
			out->found |= 1u << i;
			break;
		}
		p = le + 1;
	}
	return (out->found & 3) == 3 ? 0 : -EINVAL;
}

static int smaps_rollup_read(pid_t pid, struct smaps_rollup *out)
{
	char path[64], *buf = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	r = procfs_read_file(path, 1 << 20, &buf, &len);
	if (r == -ENOENT)
		r = -ESRCH;
	/* A process whose mm is gone reads empty. */
	if (r == 0 && len == 0)
		r = -ESRCH;
	if (r == 0)
		r = smaps_rollup_parse(buf, len, out);
	free(buf);
	return r;
}

/* ---- members ------------------------------------------------------------- */

static bool pids_has(const pid_t *v, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

static int pids_push(pid_t **v, size_t *n, size_t *cap, pid_t pid)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		pid_t *t = realloc(*v, nc * sizeof(*t));

		if (!t)
			return -ENOMEM;
		*v = t;
		*cap = nc;
	}
	(*v)[(*n)++] = pid;
	return 0;
}

int family_members(const pid_t *roots, size_t nroots, pid_t **pids, size_t *n,
		   pid_t *failed)
{
	pid_t *v = NULL, *kids = NULL;
	size_t nv = 0, cv = 0, ck = 0;
	int r = 0;

	for (size_t i = 0; i < nroots; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)roots[i]);
		if (access(path, F_OK) != 0) {
			if (failed)
				*failed = roots[i];
			r = -ESRCH;
			goto out;
		}
		if (pids_has(v, nv, roots[i]))
			continue;
		if ((r = pids_push(&v, &nv, &cv, roots[i])) < 0)
			goto out;
		/* Breadth first: V grows while it is walked. */
		for (size_t k = nv - 1; k < nv; k++) {
			size_t nk = 0;

			if (procfs_children(v[k], &kids, &nk, &ck) < 0)
				continue; /* gone meanwhile */
			for (size_t j = 0; j < nk; j++)
				if (!pids_has(v, nv, kids[j]) &&
				    (r = pids_push(&v, &nv, &cv, kids[j])) < 0)
					goto out;
		}
	}
	*pids = v;
	*n = nv;
	v = NULL;
out:
	free(v);
	free(kids);
	return r;
}

/* ---- tree order and titles ------------------------------------------------ */

static ssize_t proc_index(const struct vm_snapshot *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return (ssize_t)i;
	return -1;
}

/* Indexes of S's processes depth first from each root (in S's order),
 * children in S's order, with their depths; iteratively (a deep chain of
 * forks cannot exhaust the stack). */
static int tree_order(const struct vm_snapshot *s, size_t *order, unsigned *depth)
{
	size_t n = s->nprocs, no = 0, *stack = malloc((n + 1) * sizeof(*stack));
	unsigned *sd = malloc((n + 1) * sizeof(*sd));
	bool *done = calloc(n + 1, sizeof(*done));
	int r = 0;

	if (!stack || !sd || !done) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t root = 0; root < n; root++) {
			const struct vm_process *p = &s->procs[root];
			size_t sp = 0;

			/* First the real roots; then whatever a ppid cycle
			 * (pid reuse) left unreached. */
			if (done[root] || (pass == 0 && p->ppid != p->pid &&
					   proc_index(s, p->ppid) >= 0))
				continue;
			stack[sp] = root;
			sd[sp++] = 0;
			while (sp) {
				size_t i = stack[--sp];
				unsigned d = sd[sp];

				if (done[i])
					continue;
				done[i] = true;
				order[no] = i;
				depth[no++] = d;
				for (size_t k = n; k-- > 0;)
					if (!done[k] && k != i && s->procs[k].ppid == s->procs[i].pid &&
					    sp < n) {
						stack[sp] = k;
						sd[sp++] = d + 1;
					}
			}
		}
	}
out:
	free(stack);
	free(sd);
	free(done);
	return r;
}

/* The command line as ps shows it: arguments joined by spaces (postgres
 * and nginx rewrite theirs into a title); [comm] when there is none. */
static char *proc_title(const struct vm_process *p)
{
	size_t len = 0;
	char *t;

	if (p->ncmdline == 0) {
		size_t n = strlen(p->comm ? p->comm : "") + 3;
		if ((t = malloc(n)))
			snprintf(t, n, "[%s]", p->comm ? p->comm : "");
		return t;
	}
	for (size_t i = 0; i < p->ncmdline; i++)
		len += strlen(p->cmdline[i]) + 1;
	t = malloc(len + 1);
	if (!t)
		return NULL;
	t[0] = '\0';
	for (size_t i = 0, o = 0; i < p->ncmdline; i++) {
		size_t l = strlen(p->cmdline[i]);

		if (i)
			t[o++] = ' ';
		memcpy(t + o, p->cmdline[i], l);
		o += l;
		t[o] = '\0';
	}
	return t;
}

/* ---- footprint and sharing histogram ------------------------------------- */

/* Most page entries held for one window, all members together. */
#define FAM_WINDOW_ENTRIES (1u << 20)
#define FAM_WINDOW_MIN 512
/* kpagecount entries read at once around a wanted PFN. */
#define FAM_KPC_BLOCK 512

struct fam_key {
	uint64_t key;    /* PFN, or page number without PFNs */
	uint32_t member;
};

struct fam_vec {
	struct fam_key *v;
	size_t n, cap;
};

static int vec_push(struct fam_vec *a, uint64_t key, uint32_t member)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 4096;
		struct fam_key *t = realloc(a->v, nc * sizeof(*t));

		if (!t)
			return -ENOMEM;
		a->v = t;
		a->cap = nc;
	}
	a->v[a->n++] = (struct fam_key){ key, member };
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct fam_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->member > y->member) - (x->member < y->member);
}

struct fam_walk {
	const struct vm_snapshot *s;
	const size_t *members;   /* indexes into s->procs */
	size_t nmembers;
	int *fds;                /* their pagemaps */
	size_t *cursor;          /* per member: first mapping not behind the window */
	bool pfn;
	struct pagemap_ctx *zctx; /* tells the zero pages */
	int kpc_fd;              /* /proc/kpagecount, as root */
	uint64_t kpc_base, kpc_n, kpc[FAM_KPC_BLOCK];
	uint64_t *ent;           /* one member's window of entries */
	uint64_t window;         /* pages per window */
	struct fam_vec keys, later;
	uint64_t *hist;          /* pages by owners - 1 */
	uint64_t footprint;      /* pages */
};

/* The kernel's mapcount of PFN (0 when unreadable: counts as "elsewhere
 * too", which is only slower, never wrong). */
static uint64_t kpc_get(struct fam_walk *w, uint64_t pfn)
{
	ssize_t got;

	if (pfn - w->kpc_base < w->kpc_n)
		return w->kpc[pfn - w->kpc_base];
	got = pread(w->kpc_fd, w->kpc, sizeof(w->kpc), (off_t)(pfn * sizeof(uint64_t)));
	w->kpc_base = pfn;
	w->kpc_n = got > 0 ? (uint64_t)got / sizeof(uint64_t) : 0;
	return w->kpc_n ? w->kpc[0] : 0;
}

/* Pages with the same key in V[a, b) (sorted by member): how many members. */
static uint32_t owners(const struct fam_key *v, size_t a, size_t b)
{
	uint32_t k = 1;

	for (size_t i = a + 1; i < b; i++)
		if (v[i].member != v[i - 1].member)
			k++;
	return k;
}

static void count_page(struct fam_walk *w, uint32_t k)
{
	w->hist[(k ? k : 1) - 1]++;
	w->footprint++;
}

/* The keys of one window: each page once, or kept for the end. */
static int window_settle(struct fam_walk *w)
{
	struct fam_key *v = w->keys.v;
	size_t n = w->keys.n;
	int r;

	qsort(v, n, sizeof(*v), key_cmp);
	for (size_t a = 0, b; a < n; a = b) {
		uint32_t k;

		for (b = a + 1; b < n && v[b].key == v[a].key; b++)
			;
		k = owners(v, a, b);
		if (w->pfn && kpc_get(w, v[a].key) > b - a) {
			/* Mapped beyond this window too: owners kept. */
			for (size_t i = a; i < b; i++)
				if ((i == a || v[i].member != v[i - 1].member) &&
				    (r = vec_push(&w->later, v[i].key, v[i].member)) < 0)
					return r;
			continue;
		}
		count_page(w, k);
	}
	w->keys.n = 0;
	return 0;
}

static int window_member(struct fam_walk *w, uint32_t mi, uint64_t ws, uint64_t we)
{
	const struct vm_process *p = &w->s->procs[w->members[mi]];
	uint64_t ps = (uint64_t)w->s->host.page_size;
	size_t *c = &w->cursor[mi];
	int r;

	while (*c < p->nmaps && p->maps[*c].end <= ws)
		(*c)++;
	for (size_t i = *c; i < p->nmaps && p->maps[i].start < we; i++) {
		uint64_t a = p->maps[i].start > ws ? p->maps[i].start : ws;
		uint64_t b = p->maps[i].end < we ? p->maps[i].end : we;
		size_t n = (size_t)((b - a) / ps);
		ssize_t got;

		got = pread(w->fds[mi], w->ent, n * sizeof(uint64_t), (off_t)(a / ps * sizeof(uint64_t)));
		if (got < 0)
			return errno == ESRCH || errno == EIO ? 0 : -errno; /* gone: nothing */
		for (size_t k = 0; k < (size_t)got / sizeof(uint64_t); k++) {
			uint64_t e = w->ent[k];

			if (!PM_ENTRY_PRESENT(e))
				continue;
			if (w->pfn && pagemap_pfn_is_zero(w->zctx, PM_ENTRY_PFN(e)))
				continue;
			/* Mapped once: this member's alone. */
			if (PM_ENTRY_EXCLUSIVE(e)) {
				count_page(w, 1);
				continue;
			}
			r = vec_push(&w->keys, w->pfn ? PM_ENTRY_PFN(e) : a / ps + k, mi);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The next address at or above POS that a member maps, or UINT64_MAX. */
static uint64_t next_mapped(struct fam_walk *w, uint64_t pos)
{
	uint64_t best = UINT64_MAX;

	for (size_t mi = 0; mi < w->nmembers; mi++) {
		const struct vm_process *p = &w->s->procs[w->members[mi]];

		for (size_t i = w->cursor[mi]; i < p->nmaps; i++) {
			if (p->maps[i].end <= pos)
				continue;
			if ((p->maps[i].start > pos ? p->maps[i].start : pos) < best)
				best = p->maps[i].start > pos ? p->maps[i].start : pos;
			break;
		}
	}
	return best;
}

static int family_sharing(struct fam_walk *w)
{
	uint64_t ps = (uint64_t)w->s->host.page_size, pos = 0;
	int r;

	while ((pos = next_mapped(w, pos)) != UINT64_MAX) {
		uint64_t we = pos + w->window * ps;

		if (we < pos)
			we = UINT64_MAX / ps * ps;
		if (vm_should_quit())
			return -EINTR;
		for (uint32_t mi = 0; mi < w->nmembers; mi++)
			if ((r = window_member(w, mi, pos, we)) < 0)
				return r;
		if ((r = window_settle(w)) < 0)
			return r;
		pos = we;
	}
	/* The pages mapped across windows, each once with all its owners. */
	qsort(w->later.v, w->later.n, sizeof(*w->later.v), key_cmp);
	for (size_t a = 0, b; a < w->later.n; a = b) {
		for (b = a + 1; b < w->later.n && w->later.v[b].key == w->later.v[a].key; b++)
			;
		count_page(w, owners(w->later.v, a, b));
	}
	return 0;
}

static int walk_open(struct fam_walk *w, const struct vm_snapshot *s, const size_t *members,
		     size_t n, struct pagemap_ctx *zctx)
{
	memset(w, 0, sizeof(*w));
	w->s = s;
	w->members = members;
	w->nmembers = n;
	w->zctx = zctx;
	w->pfn = pagemap_pfn_visible(zctx);
	w->kpc_fd = -1;
	w->window = FAM_WINDOW_ENTRIES / (n ? n : 1);
	if (w->window < FAM_WINDOW_MIN)
		w->window = FAM_WINDOW_MIN;
	w->fds = malloc((n ? n : 1) * sizeof(*w->fds));
	w->cursor = calloc(n ? n : 1, sizeof(*w->cursor));
	w->ent = malloc(w->window * sizeof(*w->ent));
	w->hist = calloc(n ? n : 1, sizeof(*w->hist));
	if (!w->fds || !w->cursor || !w->ent || !w->hist)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		w->fds[i] = -1;
	for (size_t i = 0; i < n; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)s->procs[members[i]].pid);
		w->fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		/* Gone meanwhile: it maps nothing. */
		if (w->fds[i] < 0 && errno != ENOENT && errno != ESRCH)
			return -errno;
	}
	if (w->pfn) {
		w->kpc_fd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
		if (w->kpc_fd < 0)
			w->pfn = false;
	}
	return 0;
}

static void walk_close(struct fam_walk *w)
{
	for (size_t i = 0; w->fds && i < w->nmembers; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	if (w->kpc_fd >= 0)
		close(w->kpc_fd);
	free(w->fds);
	free(w->cursor);
	free(w->ent);
	free(w->hist);
	free(w->keys.v);
	free(w->later.v);
}

/* ---- the family ------------------------------------------------------------ */

static uint64_t pages_kb(const struct vm_snapshot *s, uint64_t pages)
{
	return pages * (uint64_t)s->host.page_size / 1024;
}

/* Add PAIR's per-mapping counts (ROOT against a member) to OUT's maps. */
static int add_erosion(struct vm_family *out, const struct vm_snapshot *s,
		       const struct vm_cow_pair *pair)
{
	for (size_t i = 0; i < pair->nmaps; i++) {
		const struct vm_cow_mapping *cm = &pair->maps[i];
		struct vm_family_mapping *m = NULL;
		struct vm_family_share *sh;

		if (cm->counts.shared == 0 && cm->counts.diverged == 0)
			continue;
		for (size_t k = 0; k < out->nmaps; k++)
			if (out->maps[k].start == cm->start) {
				m = &out->maps[k];
				break;
			}
		if (!m) {
			struct vm_family_mapping *t = realloc(out->maps, (out->nmaps + 1) * sizeof(*t));

			if (!t)
				return -ENOMEM;
			out->maps = t;
			m = &out->maps[out->nmaps];
			memset(m, 0, sizeof(*m));
			m->start = cm->start;
			m->end = cm->end;
			m->kind = cm->kind;
			if (!(m->path = strdup(cm->path ? cm->path : "")))
				return -ENOMEM;
			out->nmaps++;
		}
		sh = realloc(m->procs, (m->nprocs + 1) * sizeof(*sh));
		if (!sh)
			return -ENOMEM;
		m->procs = sh;
		m->procs[m->nprocs++] = (struct vm_family_share){
			pair->child, pages_kb(s, cm->counts.shared), pages_kb(s, cm->counts.diverged)
		};
	}
	return 0;
}

static int map_cmp(const void *a, const void *b)
{
	const struct vm_family_mapping *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Is S->procs[I] in the tree of S->procs[ROOT]? */
static bool descends(const struct vm_snapshot *s, size_t i, size_t root)
{
	for (size_t hops = 0; hops <= s->nprocs; hops++) {
		ssize_t up;

		if (s->procs[i].ppid == s->procs[root].pid)
			return true;
		up = proc_index(s, s->procs[i].ppid);
		if (up < 0 || (size_t)up == i)
			return false;
		i = (size_t)up;
	}
	return false;
}

int family_compute(const struct vm_snapshot *s, struct vm_family *out)
{
	size_t n = s->nprocs, *order = NULL, *alive = NULL, nalive = 0;
	unsigned *depth = NULL;
	struct pagemap_ctx *zctx = NULL;
	struct fam_walk w = { .kpc_fd = -1 };
	int r;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return -ESRCH;
	out->root = s->procs[0].pid;
	order = malloc(n * sizeof(*order));
	depth = malloc(n * sizeof(*depth));
	alive = malloc(n * sizeof(*alive));
	out->procs = calloc(n, sizeof(*out->procs));
	if (!order || !depth || !alive || !out->procs) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = tree_order(s, order, depth)) < 0)
		goto fail;

	/* The kernel's numbers first, member by member. */
	for (size_t k = 0; k < n; k++) {
		const struct vm_process *p = &s->procs[order[k]];
		struct vm_family_proc *fp = &out->procs[out->nprocs];
		struct smaps_rollup sr;

		if (vm_should_quit()) {
			r = -EINTR;
			goto fail;
		}
		r = smaps_rollup_read(p->pid, &sr);
		if (r == -ESRCH)
			continue;
		if (r < 0)
			goto fail;
		fp->pid = p->pid;
		fp->ppid = p->ppid;
		fp->depth = depth[k];
		fp->comm = strdup(p->comm ? p->comm : "");
		fp->title = proc_title(p);
		if (!fp->comm || !fp->title) {
			out->nprocs++;
			r = -ENOMEM;
			goto fail;
		}
		fp->rss_kb = sr.rss;
		fp->pss_kb = sr.pss;
		fp->uss_kb = sr.private_clean + sr.private_dirty;
		fp->swap_kb = sr.swap;
		fp->swap_pss_kb = sr.swap_pss;
		out->rss_sum_kb += sr.rss;
		out->nprocs++;
		alive[nalive++] = order[k];
	}
	if (nalive == 0) {
		r = -ESRCH;
		goto fail;
	}

	/* Against the parent: cow.c's comparison of the pair. */
	out->pfn = true;
	for (size_t k = 0; k < out->nprocs; k++) {
		struct vm_family_proc *fp = &out->procs[k];
		ssize_t pi = proc_index(s, fp->ppid), ci = proc_index(s, fp->pid);
		struct vm_cow_pair pair;

		if (pi < 0 || pi == ci)
			continue;
		r = cow_compare(&s->procs[pi], &s->procs[ci], false, &pair);
		if (r == -ESRCH)
			continue;
		if (r < 0)
			goto fail;
		fp->has_parent = true;
		fp->shared_kb = pages_kb(s, pair.totals.shared);
		fp->diverged_kb = pages_kb(s, pair.totals.diverged);
		if (!pair.pfn)
			out->pfn = false;
		/* The root's own children: the same pair tells its mappings. */
		r = pi == 0 ? add_erosion(out, s, &pair) : 0;
		vm_cow_pair_fini(&pair);
		if (r < 0)
			goto fail;
	}
	/* Deeper members against the root itself. */
	for (size_t k = 0; k < out->nprocs; k++) {
		ssize_t ci = proc_index(s, out->procs[k].pid);
		struct vm_cow_pair pair;

		if (ci <= 0 || s->procs[ci].ppid == out->root || !descends(s, (size_t)ci, 0))
			continue;
		r = cow_compare(&s->procs[0], &s->procs[ci], false, &pair);
		if (r == -ESRCH)
			continue;
		if (r < 0)
			goto fail;
		r = add_erosion(out, s, &pair);
		vm_cow_pair_fini(&pair);
		if (r < 0)
			goto fail;
	}
	qsort(out->maps, out->nmaps, sizeof(*out->maps), map_cmp);

	/* Footprint and histogram. */
	zctx = pagemap_open(s->procs[alive[0]].pid, PM_BACKEND_AUTO);
	if (!zctx) {
		r = errno == ESRCH || errno == ENOENT ? -ESRCH : -errno;
		goto fail;
	}
	if ((r = walk_open(&w, s, alive, nalive, zctx)) < 0 || (r = family_sharing(&w)) < 0)
		goto fail;
	if (!w.pfn)
		out->pfn = false;
	out->footprint_kb = pages_kb(s, w.footprint);
	out->nsharing = nalive;
	out->sharing_kb = calloc(nalive, sizeof(*out->sharing_kb));
	if (!out->sharing_kb) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t k = 0; k < nalive; k++)
		out->sharing_kb[k] = pages_kb(s, w.hist[k]);
	r = 0;
	goto out;
fail:
	vm_family_fini(out);
out:
	walk_close(&w);
	pagemap_close(zctx);
	free(order);
	free(depth);
	free(alive);
	return r;
}

int family_snapshot_add(struct vm_snapshot *s)
{
	struct vm_family *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	r = family_compute(s, f);
	if (r < 0) {
		free(f);
		return r;
	}
	if (s->family) {
		vm_family_fini(s->family);
		free(s->family);
	}
	s->family = f;
	return 0;
}
