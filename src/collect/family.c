/* Families of processes: the kernel's own PSS and USS (smaps_rollup), the
 * copy-on-write state of each member against its parent (cow.c), and the
 * family's footprint and sharing histogram from every member's pagemap.
 *
 * Footprint and histogram: the address space is walked in windows, every
 * member's pagemap entries of a window side by side; at each address the
 * members' pages are grouped by frame (as root; without PFNs, the pages
 * several map at one address are taken for one), so a page mapped by k
 * members is seen once with k owners. A page mapped once (pagemap's
 * exclusive bit) is its member's alone. As root, a shared page whose
 * kernel mapcount (/proc/kpagecount) is above the members found at that
 * address is also mapped elsewhere (another address, another process):
 * its owners are kept until the end, sorted and merged, so nothing is
 * counted twice. Memory is bounded by one window of every member plus
 * those pages, never a per-page array of the family. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmatlas/cow.h"
#include "vmatlas/family.h"
#include "vmatlas/pagemap.h"
#include "vmatlas/procfs.h"
#include "vmatlas/util.h"

#include "remotefs.h"

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
	size_t len = 0, n = p->ncmdline;
	char *t;

	/* A rewritten title is padded with NULs (setproctitle, postgres):
	 * those empty arguments at the end are not part of it. */
	while (n > 1 && p->cmdline[n - 1][0] == '\0')
		n--;
	if (p->ncmdline == 0) {
		size_t sz = strlen(p->comm ? p->comm : "") + 3;
		if ((t = malloc(sz)))
			snprintf(t, sz, "[%s]", p->comm ? p->comm : "");
		return t;
	}
	for (size_t i = 0; i < n; i++)
		len += strlen(p->cmdline[i]) + 1;
	t = malloc(len + 1);
	if (!t)
		return NULL;
	t[0] = '\0';
	for (size_t i = 0, o = 0; i < n; i++) {
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

/* A page's PSS in the kernel's fixed point (PSS_SHIFT 12). */
#define PSS_SHIFT 12
#define PSS_PAGE(w) ((uint64_t)(w)->s->host.page_size << PSS_SHIFT)

/* Most page entries held for one window, all members together (1 MiB;
 * two windows are held: one is read while the other is counted). */
#define FAM_WINDOW_ENTRIES (1u << 17)
#define FAM_WINDOW_MIN 512
/* kpagecount entries read at once around a wanted PFN. */
#define FAM_KPC_BLOCK 4096
/* Frames this close are read together with the ones before. */
#define FAM_KPC_GAP 16

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

/* A frame several members map at one address: its owners are
 * owned.v[first, first + n). */
struct fam_pend {
	uint64_t pfn;
	size_t first;
	uint32_t n;
};

static int pend_cmp(const void *a, const void *b)
{
	const struct fam_pend *x = a, *y = b;

	return (x->pfn > y->pfn) - (x->pfn < y->pfn);
}

/* A comparison of two members over one range, as cow.c compares a pair:
 * a mapping that starts at the same address in both, over the part both
 * have. Against the parent (the process's shared/diverged), against the
 * root (the erosion of the root's mapping ROOTMAP), or both. */
struct fam_cmp {
	uint64_t start, end;
	uint32_t member, other;  /* the child; the parent or the root */
	bool parent;             /* other is its parent */
	ssize_t rootmap;         /* index of the root's mapping, or -1 */
	uint64_t shared, diverged; /* pages */
};

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
	uint64_t *ent;           /* every member's window of entries, in turn: the one counted */
	uint64_t window;         /* pages per window */
	/* The windows, read ahead on a thread of their own (the kernel's
	 * pagemap walk) while the last one is counted: BUF[b] is free when
	 * FREE[b] is posted, read when FULL[b] is. */
	uint64_t *buf[2];
	struct fam_win { uint64_t ws, we; int r; bool end; } win[2];
	sem_t free_sem[2], full_sem[2];
	bool sems, stop;
	uint64_t read_pos;       /* the reader's next address */
	struct fam_key *at;      /* one address: the members' shared pages */
	struct fam_vec owned;    /* the window's shared pages' owners, a page's together */
	struct fam_pend *pend;   /* the window's shared pages, to settle by frame */
	size_t npend, cpend;
	struct fam_vec later;    /* pages mapped beyond their window too */
	uint64_t *hist;          /* pages by owners - 1 */
	uint64_t footprint;      /* pages */
	/* As root, each member's RSS, USS and PSS as smaps counts them
	 * (fs/proc/task_mmu.c smaps_account): a resident page but the zero
	 * page; exclusive (pagemap bit 56: USS) or shared by MAPCOUNT
	 * (/proc/kpagecount), PSS PAGE_SIZE << 12 / MAPCOUNT, in the kernel's
	 * fixed point. PSS_BAD: a mapcount could not be read. */
	uint64_t *rss, *uss, *pss;
	bool *pss_bad;
	struct fam_cmp *cmp;     /* sorted by start */
	size_t ncmp, ccmp;
};

/* The kernel's mapcount of PFN (0 when unreadable: counts as "elsewhere
 * too", which is only slower, never wrong). LAST is the highest PFN that
 * will be asked for next: read up to it in one go, no further. */
static uint64_t kpc_get(struct fam_walk *w, uint64_t pfn, uint64_t last)
{
	uint64_t n = last >= pfn && last - pfn < FAM_KPC_BLOCK ? last - pfn + 1 : 1;
	ssize_t got;

	if (pfn - w->kpc_base < w->kpc_n)
		return w->kpc[pfn - w->kpc_base];
	got = pread(w->kpc_fd, w->kpc, (size_t)n * sizeof(uint64_t), (off_t)(pfn * sizeof(uint64_t)));
	w->kpc_base = pfn;
	w->kpc_n = got > 0 ? (uint64_t)got / sizeof(uint64_t) : 0;
	return w->kpc_n ? w->kpc[0] : 0;
}

/* Keys in V[a, b) (sorted by member): how many members. */
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

/* Member MI's entries of the window [WS, WE) into its row of BUF; where
 * it maps nothing, or is gone, zeros (not present). */
static int window_read(struct fam_walk *w, uint64_t *buf, uint32_t mi, uint64_t ws, uint64_t we)
{
	const struct vm_process *p = &w->s->procs[w->members[mi]];
	uint64_t ps = (uint64_t)w->s->host.page_size, *row = buf + (size_t)mi * w->window;
	size_t *c = &w->cursor[mi];

	memset(row, 0, (size_t)((we - ws) / ps) * sizeof(*row));
	while (*c < p->nmaps && p->maps[*c].end <= ws)
		(*c)++;
	for (size_t i = *c; w->fds[mi] >= 0 && i < p->nmaps && p->maps[i].start < we; i++) {
		uint64_t a = p->maps[i].start > ws ? p->maps[i].start : ws;
		uint64_t b = p->maps[i].end < we ? p->maps[i].end : we;
		ssize_t got = pread(w->fds[mi], row + (a - ws) / ps, (size_t)((b - a) / ps) * sizeof(*row),
				    (off_t)(a / ps * sizeof(*row)));

		if (got < 0 && errno != ESRCH && errno != EIO)
			return -errno;
		if (got < 0)
			break; /* gone: nothing more */
	}
	return 0;
}

/* One address of the window: the pages the members have there. A page
 * mapped once is its member's alone; pages several map are grouped by
 * frame (or, without PFNs, taken for one page). A frame the kernel maps
 * more often than here is kept for the end. */
static int window_address(struct fam_walk *w, size_t j)
{
	size_t n = 0;
	int r;

	for (uint32_t mi = 0; mi < w->nmembers; mi++) {
		uint64_t e = w->ent[(size_t)mi * w->window + j];
		size_t k;

		if (!PM_ENTRY_PRESENT(e))
			continue;
		if (w->pfn && pagemap_pfn_is_zero(w->zctx, PM_ENTRY_PFN(e)))
			continue;
		w->rss[mi]++;
		if (PM_ENTRY_EXCLUSIVE(e)) {
			w->uss[mi]++;
			w->pss[mi] += PSS_PAGE(w);
			count_page(w, 1);
			continue;
		}
		/* Insertion by frame: a handful of members at most share. */
		for (k = n; k > 0 && w->at[k - 1].key > PM_ENTRY_PFN(e); k--)
			w->at[k] = w->at[k - 1];
		w->at[k] = (struct fam_key){ w->pfn ? PM_ENTRY_PFN(e) : 0, mi };
		n++;
	}
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && w->at[b].key == w->at[a].key; b++)
			;
		if (!w->pfn) {
			count_page(w, (uint32_t)(b - a));
			continue;
		}
		/* Settled with the window, in frame order (kpagecount is read
		 * in runs then). */
		if (w->npend == w->cpend) {
			size_t nc = w->cpend ? 2 * w->cpend : 4096;
			struct fam_pend *t = realloc(w->pend, nc * sizeof(*t));

			if (!t)
				return -ENOMEM;
			w->pend = t;
			w->cpend = nc;
		}
		w->pend[w->npend++] = (struct fam_pend){ w->at[a].key, w->owned.n, (uint32_t)(b - a) };
		for (size_t i = a; i < b; i++)
			if ((r = vec_push(&w->owned, w->at[i].key, w->at[i].member)) < 0)
				return r;
	}
	return 0;
}

/* The window's shared frames: counted when the kernel maps each no more
 * often than the members found at its address, else kept for the end. */
static int window_settle(struct fam_walk *w)
{
	uint64_t mapcount;
	int r;

	/* Frames often come in address order already (the parent's pages,
	 * allocated in turn): sorting is then only a cost. */
	for (size_t i = 1; i < w->npend; i++)
		if (w->pend[i].pfn < w->pend[i - 1].pfn) {
			qsort(w->pend, w->npend, sizeof(*w->pend), pend_cmp);
			break;
		}
	for (size_t i = 0, reach = 0; i < w->npend; i++) {
		const struct fam_pend *pp = &w->pend[i];

		/* The frames just ahead (no wide gap: the kernel works for
		 * every entry read), read with this one. */
		if (reach < i)
			reach = i;
		while (reach + 1 < w->npend && w->pend[reach + 1].pfn - pp->pfn < FAM_KPC_BLOCK &&
		       w->pend[reach + 1].pfn - w->pend[reach].pfn <= FAM_KPC_GAP)
			reach++;
		mapcount = kpc_get(w, pp->pfn, w->pend[reach].pfn);
		for (size_t k = pp->first; k < pp->first + pp->n; k++) {
			uint32_t m = w->owned.v[k].member;

			w->pss_bad[m] |= mapcount == 0;
			w->pss[m] += mapcount >= 2 ? PSS_PAGE(w) / mapcount : PSS_PAGE(w);
		}
		if (mapcount <= pp->n) {
			count_page(w, pp->n);
			continue;
		}
		for (size_t k = pp->first; k < pp->first + pp->n; k++)
			if ((r = vec_push(&w->later, w->owned.v[k].key, w->owned.v[k].member)) < 0)
				return r;
	}
	w->npend = 0;
	w->owned.n = 0;
	return 0;
}

/* The comparisons over the window [WS, WE): the members' entries side by
 * side, each page counted as pagemap_cow_compare counts it. */
static void window_compare(struct fam_walk *w, uint64_t ws, uint64_t we)
{
	uint64_t ps = (uint64_t)w->s->host.page_size;

	for (size_t i = 0; i < w->ncmp && w->cmp[i].start < we; i++) {
		struct fam_cmp *c = &w->cmp[i];
		uint64_t a = c->start > ws ? c->start : ws, b = c->end < we ? c->end : we;
		const uint64_t *pe = w->ent + (size_t)c->other * w->window;
		const uint64_t *ce = w->ent + (size_t)c->member * w->window;

		for (uint64_t j = (a - ws) / ps; a < b && j < (b - ws) / ps; j++) {
			enum cow_state st = pagemap_cow_state(pe[j], ce[j], w->pfn);

			c->shared += st == COW_SHARED;
			c->diverged += st == COW_DIVERGED;
		}
	}
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

/* The next window after w->read_pos into buffer B: every member's entries
 * of it, or END when nothing is mapped further. */
static void window_fill(struct fam_walk *w, int b)
{
	uint64_t ps = (uint64_t)w->s->host.page_size, pos = next_mapped(w, w->read_pos), we;
	struct fam_win *win = &w->win[b];

	win->r = 0;
	win->end = pos == UINT64_MAX;
	if (win->end)
		return;
	we = pos + w->window * ps;
	if (we < pos)
		we = UINT64_MAX / ps * ps;
	win->ws = pos;
	win->we = we;
	if (vm_should_quit())
		win->r = -EINTR;
	for (uint32_t mi = 0; win->r == 0 && mi < w->nmembers; mi++)
		win->r = window_read(w, w->buf[b], mi, pos, we);
	w->read_pos = we;
}

static void *window_reader(void *arg)
{
	struct fam_walk *w = arg;

	for (int b = 0;; b ^= 1) {
		sem_wait(&w->free_sem[b]);
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
			w->win[b] = (struct fam_win){ .r = -EINTR, .end = true };
			sem_post(&w->full_sem[b]);
			return NULL;
		}
		window_fill(w, b);
		sem_post(&w->full_sem[b]);
		if (w->win[b].end || w->win[b].r < 0)
			return NULL;
	}
}

static int family_sharing(struct fam_walk *w)
{
	uint64_t ps = (uint64_t)w->s->host.page_size;
	pthread_t th;
	bool threaded = false;
	int r = 0, b = 0;

	if (w->sems) {
		sem_post(&w->free_sem[0]);
		sem_post(&w->free_sem[1]);
		threaded = pthread_create(&th, NULL, window_reader, w) == 0;
	}
	for (;; b ^= 1) {
		const struct fam_win *win = &w->win[b];

		if (threaded)
			sem_wait(&w->full_sem[b]);
		else
			window_fill(w, b);
		if (win->end || (r = win->r) < 0)
			break;
		w->ent = w->buf[b];
		for (size_t j = 0; r == 0 && j < (win->we - win->ws) / ps; j++)
			r = window_address(w, j);
		if (r == 0)
			r = window_settle(w);
		if (r < 0)
			break;
		window_compare(w, win->ws, win->we);
		if (threaded)
			sem_post(&w->free_sem[b]);
	}
	if (threaded) {
		/* The reader waits for this buffer, or reads the other one. */
		__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
		sem_post(&w->free_sem[b]);
		sem_post(&w->free_sem[b ^ 1]);
		pthread_join(th, NULL);
	}
	if (r < 0)
		return r;
	/* The pages mapped across windows, each once with all its owners. */
	if (w->later.n)
		qsort(w->later.v, w->later.n, sizeof(*w->later.v), key_cmp);
	for (size_t a = 0, e; a < w->later.n; a = e) {
		for (e = a + 1; e < w->later.n && w->later.v[e].key == w->later.v[a].key; e++)
			;
		count_page(w, owners(w->later.v, a, e));
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
	w->buf[0] = malloc((n ? n : 1) * w->window * sizeof(*w->ent));
	w->buf[1] = malloc((n ? n : 1) * w->window * sizeof(*w->ent));
	w->sems = sem_init(&w->free_sem[0], 0, 0) == 0 && sem_init(&w->free_sem[1], 0, 0) == 0 &&
		  sem_init(&w->full_sem[0], 0, 0) == 0 && sem_init(&w->full_sem[1], 0, 0) == 0;
	w->at = malloc((n ? n : 1) * sizeof(*w->at));
	w->hist = calloc(n ? n : 1, sizeof(*w->hist));
	w->rss = calloc(n ? n : 1, sizeof(*w->rss));
	w->uss = calloc(n ? n : 1, sizeof(*w->uss));
	w->pss = calloc(n ? n : 1, sizeof(*w->pss));
	w->pss_bad = calloc(n ? n : 1, sizeof(*w->pss_bad));
	if (!w->fds || !w->cursor || !w->buf[0] || !w->buf[1] || !w->at || !w->hist || !w->rss || !w->uss || !w->pss ||
	    !w->pss_bad)
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
	if (w->sems)
		for (int i = 0; i < 2; i++) {
			sem_destroy(&w->free_sem[i]);
			sem_destroy(&w->full_sem[i]);
		}
	free(w->fds);
	free(w->cursor);
	free(w->buf[0]);
	free(w->buf[1]);
	free(w->at);
	free(w->owned.v);
	free(w->pend);
	free(w->cmp);
	free(w->hist);
	free(w->rss);
	free(w->uss);
	free(w->pss);
	free(w->pss_bad);
	free(w->later.v);
}

/* ---- the family ------------------------------------------------------------ */

static uint64_t pages_kb(const struct vm_snapshot *s, uint64_t pages)
{
	return pages * (uint64_t)s->host.page_size / 1024;
}

static int cmp_add(struct fam_walk *w, const struct fam_cmp *c)
{
	if (w->ncmp == w->ccmp) {
		size_t nc = w->ccmp ? 2 * w->ccmp : 64;
		struct fam_cmp *t = realloc(w->cmp, nc * sizeof(*t));

		if (!t)
			return -ENOMEM;
		w->cmp = t;
		w->ccmp = nc;
	}
	w->cmp[w->ncmp++] = *c;
	return 0;
}

/* Comparisons of member MEMBER (process C) with OTHER (process P): every
 * mapping that starts at the same address in both (cow.c's rule). P is
 * its parent when PARENT; ROOT says P is the root (the erosion of P's
 * mappings). */
static int cmp_pairs(struct fam_walk *w, const struct vm_process *p, const struct vm_process *c,
		     uint32_t member, uint32_t other, bool parent, bool root)
{
	size_t i = 0, j = 0;
	int r;

	while (i < p->nmaps && j < c->nmaps) {
		const struct vm_mapping *pm = &p->maps[i], *cm = &c->maps[j];

		if (pm->start != cm->start) {
			if (pm->start < cm->start)
				i++;
			else
				j++;
			continue;
		}
		r = cmp_add(w, &(struct fam_cmp){ pm->start, pm->end < cm->end ? pm->end : cm->end,
						  member, other, parent, root ? (ssize_t)i : -1, 0, 0 });
		if (r < 0)
			return r;
		i++;
		j++;
	}
	return 0;
}

static int cmp_by_start(const void *a, const void *b)
{
	const struct fam_cmp *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Is member MI (of the walk) in the tree of member 0, the root? */
static bool descends(const struct vm_family *out, size_t mi)
{
	for (size_t hops = 0; hops <= out->nprocs; hops++) {
		size_t up = SIZE_MAX;

		if (out->procs[mi].ppid == out->root)
			return true;
		for (size_t k = 0; k < out->nprocs; k++)
			if (out->procs[k].pid == out->procs[mi].ppid)
				up = k;
		if (up == SIZE_MAX || up == mi)
			return false;
		mi = up;
	}
	return false;
}

/* Every member against its parent, and, when the root is a member, every
 * member of its tree against it (the same comparison for its children). */
static int family_comparisons(struct fam_walk *w, const struct vm_family *out)
{
	bool root = out->nprocs && out->procs[0].pid == out->root;
	int r;

	for (uint32_t mi = 0; mi < out->nprocs; mi++) {
		const struct vm_process *c = &w->s->procs[w->members[mi]];
		uint32_t pi = UINT32_MAX;

		for (uint32_t k = 0; k < out->nprocs; k++)
			if (k != mi && out->procs[k].pid == out->procs[mi].ppid)
				pi = k;
		if (pi != UINT32_MAX &&
		    (r = cmp_pairs(w, &w->s->procs[w->members[pi]], c, mi, pi, true, root && pi == 0)) < 0)
			return r;
		if (root && mi && pi != 0 && descends(out, mi) &&
		    (r = cmp_pairs(w, &w->s->procs[w->members[0]], c, mi, 0, false, true)) < 0)
			return r;
	}
	if (w->ncmp)
		qsort(w->cmp, w->ncmp, sizeof(*w->cmp), cmp_by_start);
	return 0;
}

static int map_cmp(const void *a, const void *b)
{
	const struct vm_family_mapping *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* The comparisons' counts into OUT: each member's against its parent, and
 * the root's mappings that a member still shares or has copied. */
static int family_results(struct fam_walk *w, struct vm_family *out)
{
	const struct vm_process *root = &w->s->procs[w->members[0]];

	for (size_t i = 0; i < w->ncmp; i++) {
		const struct fam_cmp *c = &w->cmp[i];
		struct vm_family_mapping *m = NULL;
		struct vm_family_share *sh;

		if (c->parent) {
			out->procs[c->member].has_parent = true;
			out->procs[c->member].shared_kb += pages_kb(w->s, c->shared);
			out->procs[c->member].diverged_kb += pages_kb(w->s, c->diverged);
		}
		if (c->rootmap < 0 || (c->shared == 0 && c->diverged == 0))
			continue;
		for (size_t k = 0; k < out->nmaps; k++)
			if (out->maps[k].start == c->start)
				m = &out->maps[k];
		if (!m) {
			const struct vm_mapping *rm = &root->maps[c->rootmap];
			struct vm_family_mapping *t = realloc(out->maps, (out->nmaps + 1) * sizeof(*t));

			if (!t)
				return -ENOMEM;
			out->maps = t;
			m = &out->maps[out->nmaps];
			memset(m, 0, sizeof(*m));
			m->start = rm->start;
			m->end = rm->end;
			m->kind = rm->kind;
			if (!(m->path = strdup(rm->path ? rm->path : "")))
				return -ENOMEM;
			out->nmaps++;
		}
		sh = realloc(m->procs, (m->nprocs + 1) * sizeof(*sh));
		if (!sh)
			return -ENOMEM;
		m->procs = sh;
		m->procs[m->nprocs++] = (struct vm_family_share){
			out->procs[c->member].pid, pages_kb(w->s, c->shared), pages_kb(w->s, c->diverged)
		};
	}
	if (out->nmaps)
		qsort(out->maps, out->nmaps, sizeof(*out->maps), map_cmp);
	return 0;
}

/* RSS, PSS and USS come from the walk as root: it reads every member's
 * pagemap entry and, for every page not mapped exclusively, the kernel's
 * mapcount, which is all smaps_account() uses. /proc/PID/smaps_rollup (the
 * page-table walk pmap -XX does, a second time) is read only where the
 * walk cannot tell: without PFNs (not root), when any swap is in use (swap
 * PSS needs the swap slots' counts, which only the kernel sees), and for a
 * member that maps what smaps counts apart (hugetlb pages, devices whose
 * pages are not normal memory). Those rollups are read on a thread of
 * their own beside the walk. */
struct rollups {
	const struct vm_snapshot *s;
	const size_t *members;
	size_t n;
	const bool *want;
	struct smaps_rollup *sr;
	int *r;
};

static void *rollups_read(void *arg)
{
	struct rollups *ru = arg;

	for (size_t k = 0; k < ru->n; k++)
		if (ru->want[k])
			ru->r[k] = vm_should_quit() ? -EINTR
				 : smaps_rollup_read(ru->s->procs[ru->members[k]].pid, &ru->sr[k]);
	return NULL;
}

/* Does P map what smaps counts apart from its Rss and Pss: hugetlb pages
 * (Private_Hugetlb, Shared_Hugetlb: pagemap shows them present) or a
 * device, whose pages may be no normal memory (VM_PFNMAP: pagemap shows
 * them, smaps skips them)? Hugetlb memory is anonymous ("anon_hugepage"),
 * a file of a mounted hugetlbfs, or a memfd or SysV segment on the
 * kernel's own hugetlbfs, whose files have the huge page's block size. */
static bool maps_special(const struct vm_process *p, uint64_t page_size)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];
		const char *path = m->path, *type;
		char mf[96];
		struct stat st;

		if (!path || path[0] == '[')
			continue;
		if (strstr(path, "anon_hugepage") ||
		    (strncmp(path, "/dev/", 5) == 0 && strncmp(path, "/dev/shm/", 9) != 0 &&
		     strncmp(path, "/dev/zero", 9) != 0))
			return true;
		type = remotefs_type(m->dev_major, m->dev_minor);
		if (type && strcmp(type, "hugetlbfs") == 0)
			return true;
		if (strncmp(path, "/memfd:", 7) == 0 || strncmp(path, "/SYSV", 5) == 0) {
			snprintf(mf, sizeof(mf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)p->pid,
				 m->start, m->end);
			if (stat(mf, &st) < 0 || (uint64_t)st.st_blksize > page_size)
				return true;
		}
	}
	return false;
}

/* The family of the N processes MEMBERS (indexes into S, in tree order,
 * DEPTH each). 0; *GONE > 0 when that many ended meanwhile, DEAD[k] true
 * for each (OUT then holds nothing: the caller computes again without
 * them); or -errno. */
static int family_of(const struct vm_snapshot *s, const size_t *members, const unsigned *depth,
		     size_t n, struct vm_family *out, bool *dead, size_t *gone)
{
	bool *want = calloc(n, sizeof(*want));
	struct rollups ru = { s, members, n, want, calloc(n, sizeof(*ru.sr)), calloc(n, sizeof(*ru.r)) };
	struct pagemap_ctx *zctx = NULL;
	struct fam_walk w = { .kpc_fd = -1 };
	bool threaded = false, exact;
	pthread_t th;
	int r;

	*gone = 0;
	memset(out, 0, sizeof(*out));
	out->root = s->procs[0].pid;
	out->procs = calloc(n, sizeof(*out->procs));
	if (!out->procs || !want || !ru.sr || !ru.r) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t k = 0; k < n; k++, out->nprocs++) {
		const struct vm_process *p = &s->procs[members[k]];
		struct vm_family_proc *fp = &out->procs[k];

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
	}
	zctx = pagemap_open(s->procs[members[0]].pid, PM_BACKEND_AUTO);
	r = zctx ? 0 : errno == ESRCH || errno == ENOENT ? -ESRCH : -errno;
	exact = zctx && pagemap_pfn_visible(zctx) && access("/proc/kpagecount", R_OK) == 0 &&
		!procfs_swap_in_use();
	for (size_t k = 0; k < n; k++)
		want[k] = !exact || maps_special(&s->procs[members[k]], (uint64_t)s->host.page_size);
	threaded = pthread_create(&th, NULL, rollups_read, &ru) == 0;
	if (!threaded)
		rollups_read(&ru);

	/* Footprint, histogram, the comparisons and the members' RSS, PSS
	 * and USS, in one walk. */
	if (r == 0 && (r = walk_open(&w, s, members, n, zctx)) == 0 && (r = family_comparisons(&w, out)) == 0 &&
		 (r = family_sharing(&w)) == 0)
		r = family_results(&w, out);
	if (threaded)
		pthread_join(th, NULL);
	/* Where the walk could not tell after all (no kpagecount, a mapcount
	 * unread), the kernel's numbers. */
	for (size_t k = 0; r == 0 && k < n; k++) {
		if (!want[k] && (!w.pfn || w.pss_bad[k])) {
			want[k] = true;
			ru.r[k] = smaps_rollup_read(s->procs[members[k]].pid, &ru.sr[k]);
		}
	}
	for (size_t k = 0; k < n; k++) {
		/* A member whose rollup was not read: alive if a thread runs. */
		dead[k] = (want[k] ? ru.r[k] == -ESRCH : procfs_main_tid(s->procs[members[k]].pid) <= 0) ||
			  (k == 0 && !zctx);
		if (dead[k])
			(*gone)++;
		else if (want[k] && ru.r[k] < 0 && r >= 0)
			r = ru.r[k];
	}
	if (*gone) {
		r = 0;
		goto fail;
	}
	if (r < 0)
		goto fail;
	for (size_t k = 0; k < n; k++) {
		struct vm_family_proc *fp = &out->procs[k];

		if (want[k]) {
			const struct smaps_rollup *sr = &ru.sr[k];

			fp->rss_kb = sr->rss;
			fp->pss_kb = sr->pss;
			fp->uss_kb = sr->private_clean + sr->private_dirty;
			fp->swap_kb = sr->swap;
			fp->swap_pss_kb = sr->swap_pss;
		} else {
			/* No swap in use: none of it is out. */
			fp->rss_kb = pages_kb(s, w.rss[k]);
			fp->pss_kb = (w.pss[k] >> PSS_SHIFT) / 1024;
			fp->uss_kb = pages_kb(s, w.uss[k]);
		}
		out->rss_sum_kb += fp->rss_kb;
	}
	out->pfn = w.pfn;
	out->footprint_kb = pages_kb(s, w.footprint);
	out->nsharing = n;
	out->sharing_kb = calloc(n, sizeof(*out->sharing_kb));
	if (!out->sharing_kb) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t k = 0; k < n; k++)
		out->sharing_kb[k] = pages_kb(s, w.hist[k]);
	r = 0;
	goto out;
fail:
	vm_family_fini(out);
out:
	walk_close(&w);
	pagemap_close(zctx);
	free(want);
	free(ru.sr);
	free(ru.r);
	return r;
}

int family_compute(const struct vm_snapshot *s, struct vm_family *out)
{
	size_t n = s->nprocs, *order = NULL, gone = 0;
	unsigned *depth = NULL;
	bool *dead = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return -ESRCH;
	order = malloc(n * sizeof(*order));
	depth = malloc(n * sizeof(*depth));
	dead = malloc(n * sizeof(*dead));
	if (!order || !depth || !dead) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = tree_order(s, order, depth)) < 0)
		goto out;
	/* A member that ended meanwhile is left out, and the rest computed
	 * again (its pages are no longer anyone's). Each pass again has one
	 * member fewer at least: at most N passes. */
	while ((r = family_of(s, order, depth, n, out, dead, &gone)) == 0 && gone) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			if (!dead[i]) {
				order[k] = order[i];
				depth[k++] = depth[i];
			}
		}
		if (k == 0) {
			r = -ESRCH;
			break;
		}
		n = k;
	}
out:
	free(order);
	free(depth);
	free(dead);
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
