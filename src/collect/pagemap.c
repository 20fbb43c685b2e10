/* Per-page state from /proc/PID/pagemap (Documentation/admin-guide/mm/
 * pagemap.rst) and, for root, /proc/kpageflags and /proc/kpagecount.
 *
 * Two backends: the PAGEMAP_SCAN ioctl reports regions of pages that share
 * categories, so untouched address space costs nothing; pread of the
 * pagemap file gives one 64-bit entry per page with the PFN, the exclusive
 * and file bits. pagemap_scan_mapping() uses the scan alone when it can and
 * pread only when the caller wants what only pread has, and then only
 * where the scan found pages.
 *
 * Memory is bounded by fixed per-context buffers (one slice of entries and
 * regions); a mapping's result grows with its number of runs, not pages. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "vmatlas/pagemap.h"
#include "vmatlas/tracer.h"

/* PAGEMAP_SCAN, from include/uapi/linux/fs.h of Linux 6.7 (older C library
 * headers lack it). */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WPALLOWED  (1 << 0)
#define PAGE_IS_WRITTEN    (1 << 1)
#define PAGE_IS_FILE       (1 << 2)
#define PAGE_IS_PRESENT    (1 << 3)
#define PAGE_IS_SWAPPED    (1 << 4)
#define PAGE_IS_PFNZERO    (1 << 5)
#define PAGE_IS_HUGE       (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)

struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

/* include/uapi/linux/kernel-page-flags.h */
#define KPF_HUGE      17
#define KPF_THP       22
#define KPF_ZERO_PAGE 24

/* At most this much address space per pread batch; with 4 KiB pages it is
 * 512 KiB of entries. */
#define PM_SLICE_BYTES (256ULL << 20)
/* Each PAGEMAP_SCAN call holds the target's mmap lock for its whole walk:
 * the scan's slice adapts so that one call takes about PM_HOLD_NS (dense
 * memory: ~256 MiB; untouched space: up to PM_SLICE_MAX at once). Between
 * calls that held it longer than PM_LONG_NS, a pause of PM_PAUSE_NS lets a
 * waiting writer (the target's mmap/munmap) in: back-to-back readers may
 * otherwise take the lock before it, for up to RWSEM_WAIT_TIMEOUT
 * (kernel/locking/rwsem.c, reader optimistic lock stealing). */
#define PM_HOLD_NS     700000ULL
#define PM_LONG_NS     100000ULL
#define PM_PAUSE_NS    30000L
#define PM_SLICE_MIN   (16ULL << 20)
#define PM_SLICE_MAX   (1ULL << 40)
#define PM_NREGIONS    1024
#define PM_KPF_BATCH   4096
#define PM_ENTRY_BYTES 8

/* What one walk collects for a mapping: counts and, if asked, runs. */
struct pm_acc {
	struct vm_page_counts c;
	bool want_runs;
	struct vm_page_run *runs;
	size_t nruns, cap;
};

/* A backend walks [start, end) and feeds the accumulator in address order.
 * It returns 0, -EOPNOTSUPP when the kernel refuses it (the caller falls
 * back), -ESRCH when the process is gone, or another -errno. */
struct pm_backend {
	const char *name;
	int (*walk)(struct pagemap_ctx *ctx, uint64_t start, uint64_t end,
		    unsigned want, struct pm_acc *acc);
};

struct pagemap_ctx {
	pid_t pid;
	int fd;
	const struct pm_backend *be; /* chosen backend */
	bool scan_ok;                /* sticky: false once the kernel refused it */
	bool pfn_visible;
	bool zero_pfn_known, huge_zero_known;
	uint64_t zero_pfn, huge_zero_pfn;
	int kpf_fd;                  /* -1 until opened; kpf_err once refused */
	int kpf_err;
	long page_size;
	uint64_t slice_pages, pmd_pages;
	uint64_t scan_slice;         /* bytes per scan call, adaptive */
	bool long_hold;              /* the last scan call held the lock long */
	uint64_t *ent;               /* one slice of pagemap entries */
	uint8_t *extra;              /* one slice of PG_ZERO/PG_THP from scan or kpageflags */
	uint64_t (*spans)[2];        /* one slice of [start, end) worth a pread */
	struct page_region *regs;
	uint64_t *kpf;               /* PM_KPF_BATCH kpageflags */
};

static int acc_add(struct pm_acc *a, uint8_t flags, uint64_t n)
{
	if (n == 0)
		return 0;
	a->c.total += n;
	if (flags & PG_PRESENT)
		a->c.resident += n;
	if (flags & PG_SWAPPED)
		a->c.swapped += n;
	if (flags & PG_EXCLUSIVE)
		a->c.exclusive += n;
	if (flags & PG_FILE)
		a->c.file_or_shared += n;
	if (flags & PG_SOFTDIRTY)
		a->c.soft_dirty += n;
	if (flags & PG_THP)
		a->c.thp += n;
	if (flags & PG_ZERO)
		a->c.zero += n;
	if (!a->want_runs)
		return 0;
	return vm_runs_append(&a->runs, &a->nruns, &a->cap, flags, n);
}

static int errno_gone(int err)
{
	return err == ESRCH || err == EIO ? -ESRCH : -err;
}

/* pread that only stops short at end of file. Returns bytes read or -errno. */
static ssize_t pm_pread(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* The pagemap file reads empty once the target's mm is gone
 * (fs/proc/task_mmu.c pagemap_read: mmget_not_zero fails), while a live
 * process always has an entry for address 0. */
static bool pm_alive(struct pagemap_ctx *ctx)
{
	uint64_t e;

	return pm_pread(ctx->fd, &e, sizeof(e), 0) == (ssize_t)sizeof(e);
}

/* ---- PAGEMAP_SCAN backend ------------------------------------------------ */

static uint8_t scan_flags(uint64_t cat)
{
	uint8_t f = 0;

	if (cat & PAGE_IS_PRESENT)
		f |= PG_PRESENT;
	if (cat & PAGE_IS_SWAPPED)
		f |= PG_SWAPPED;
	if (cat & PAGE_IS_PFNZERO)
		f |= PG_ZERO;
	if (cat & PAGE_IS_HUGE)
		f |= PG_THP;
	if (cat & PAGE_IS_SOFT_DIRTY)
		f |= PG_SOFTDIRTY;
	return f;
}

typedef int (*scan_region_fn)(struct pagemap_ctx *ctx, void *arg,
			      uint64_t start, uint64_t end, uint8_t flags);

/* Scan [start, end) in slices; call FN for every reported region and for
 * every gap between them (flags 0: walked, nothing matched). PAGE_IS_FILE
 * stays out of the masks: asking for it makes the walk look up each page's
 * folio. */
static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Before a call that takes the target's mmap lock: pause if the last one
 * held it long. Returns the start time for pm_lock_done(). */
static uint64_t pm_lock_begin(struct pagemap_ctx *ctx)
{
	if (ctx->long_hold)
		nanosleep(&(struct timespec){ 0, PM_PAUSE_NS }, NULL);
	return mono_ns();
}

static uint64_t pm_lock_done(struct pagemap_ctx *ctx, uint64_t t0)
{
	uint64_t dt = mono_ns() - t0;

	ctx->long_hold = dt > PM_LONG_NS;
	return dt;
}

/* One PAGEMAP_SCAN call; the next slice is scaled to the time this one
 * held the lock. */
static long scan_call(struct pagemap_ctx *ctx, struct pm_scan_arg *a)
{
	uint64_t t0 = pm_lock_begin(ctx), dt, next;
	long n = ioctl(ctx->fd, PAGEMAP_SCAN, a);

	dt = pm_lock_done(ctx, t0);
	if (n < 0 || a->end - a->start < ctx->scan_slice)
		return n; /* a short call says nothing about the rate */
	next = dt ? (uint64_t)((double)ctx->scan_slice * PM_HOLD_NS / dt) : PM_SLICE_MAX;
	if (next > 4 * ctx->scan_slice)
		next = 4 * ctx->scan_slice;
	next = next < PM_SLICE_MIN ? PM_SLICE_MIN : next > PM_SLICE_MAX ? PM_SLICE_MAX : next;
	ctx->scan_slice = next & ~((uint64_t)ctx->page_size - 1);
	return n;
}

/* Scan [start, end) in slices; call FN for every reported region and for
 * every gap between them (flags 0: walked, nothing matched). PAGE_IS_FILE
 * stays out of the masks: asking for it makes the walk look up each page's
 * folio. */
static int scan_range(struct pagemap_ctx *ctx, uint64_t start, uint64_t end,
		      uint64_t anyof, uint64_t ret_mask, scan_region_fn fn,
		      void *fnarg)
{
	bool first = true;
	int r;

	for (uint64_t pos = start; pos < end;) {
		uint64_t se = end - pos > ctx->scan_slice ? pos + ctx->scan_slice : end;
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.start = pos,
			.end = se,
			.vec = (uintptr_t)ctx->regs,
			.vec_len = PM_NREGIONS,
			.category_anyof_mask = anyof,
			.return_mask = ret_mask,
		};
		long n;
		uint64_t next;

		if (vm_should_quit()) /* a quit signal: unwind to the top */
			return -EINTR;
		n = scan_call(ctx, &a);

		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			if (first && (err == ENOTTY || err == EINVAL ||
				      err == EOPNOTSUPP))
				return -EOPNOTSUPP;
			/* The range went away since maps was read. */
			if (err == EFAULT || err == ENOENT) {
				if ((r = fn(ctx, fnarg, pos, se, 0)) < 0)
					return r;
				pos = se;
				continue;
			}
			return errno_gone(err);
		}
		first = false;
		for (long i = 0; i < n; i++) {
			uint64_t rs = ctx->regs[i].start, re = ctx->regs[i].end;
			if (rs < pos)
				rs = pos;
			if (re > se)
				re = se;
			if (rs >= re)
				continue;
			if ((r = fn(ctx, fnarg, pos, rs, 0)) < 0 ||
			    (r = fn(ctx, fnarg, rs, re,
				    scan_flags(ctx->regs[i].categories))) < 0)
				return r;
			pos = re;
		}
		/* Linux 6.7+ may leave walk_end short of the last region it
		 * returned: resume after both. */
		next = a.walk_end > pos ? a.walk_end : pos;
		if (next > se)
			next = se;
		if (next <= pos && n == 0)
			return -EIO; /* no progress: refuse to spin */
		if ((r = fn(ctx, fnarg, pos, next, 0)) < 0)
			return r;
		pos = next;
	}
	return 0;
}

static int scan_to_acc(struct pagemap_ctx *ctx, void *arg, uint64_t start,
		       uint64_t end, uint8_t flags)
{
	return acc_add(arg, flags, (end - start) / (uint64_t)ctx->page_size);
}

static int scan_walk(struct pagemap_ctx *ctx, uint64_t start, uint64_t end,
		     unsigned want, struct pm_acc *acc)
{
	uint64_t ret = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO |
		       PAGE_IS_HUGE;
	int r;

	if (want & PM_WANT_SOFTDIRTY)
		ret |= PAGE_IS_SOFT_DIRTY;
	r = scan_range(ctx, start, end, PAGE_IS_PRESENT | PAGE_IS_SWAPPED, ret,
		       scan_to_acc, acc);
	if (r < 0)
		return r;
	/* The ioctl walks an exited process's empty mm without complaint. */
	if (acc->c.resident == 0 && acc->c.swapped == 0 && !pm_alive(ctx))
		return -ESRCH;
	acc->c.known |= PC_ZERO | PC_THP;
	if ((want & PM_WANT_SOFTDIRTY) && pagemap_soft_dirty_supported())
		acc->c.known |= PC_SOFTDIRTY;
	return 0;
}

static const struct pm_backend backend_scan = { "scan", scan_walk };

/* ---- pread backend ------------------------------------------------------- */

/* Lazily open /proc/kpageflags; false (and remembered) when refused. */
static bool kpf_usable(struct pagemap_ctx *ctx)
{
	if (ctx->kpf_fd >= 0)
		return true;
	if (ctx->kpf_err || !ctx->pfn_visible)
		return false;
	ctx->kpf_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (ctx->kpf_fd < 0) {
		ctx->kpf_err = errno;
		return false;
	}
	return true;
}

static uint8_t kpf_to_flags(uint64_t k)
{
	uint8_t f = 0;

	if (k & (1ULL << KPF_ZERO_PAGE))
		f |= PG_ZERO;
	if (k & ((1ULL << KPF_THP) | (1ULL << KPF_HUGE)))
		f |= PG_THP;
	return f;
}

/* ZERO/THP of the N present entries of ctx->ent into ctx->extra, reading
 * kpageflags once per run of consecutive PFNs (a run of the same PFN, like
 * the zero page, reuses the last answer). */
static int kpf_fill(struct pagemap_ctx *ctx, size_t n)
{
	uint64_t last_pfn = UINT64_MAX;
	uint8_t last = 0;

	for (size_t i = 0; i < n;) {
		uint64_t pfn = PM_ENTRY_PFN(ctx->ent[i]);
		size_t j = i + 1, len;
		ssize_t got;

		if (!PM_ENTRY_PRESENT(ctx->ent[i]) || pfn == 0) {
			i++;
			continue;
		}
		if (pfn == last_pfn) {
			ctx->extra[i++] = last;
			continue;
		}
		while (j < n && j - i < PM_KPF_BATCH &&
		       PM_ENTRY_PRESENT(ctx->ent[j]) &&
		       PM_ENTRY_PFN(ctx->ent[j]) == pfn + (j - i))
			j++;
		len = j - i;
		got = pm_pread(ctx->kpf_fd, ctx->kpf, len * sizeof(uint64_t),
			       pfn * sizeof(uint64_t));
		if (got < 0)
			return (int)got;
		for (size_t k = 0; k < len; k++)
			ctx->extra[i + k] = k < (size_t)got / sizeof(uint64_t) ?
					    kpf_to_flags(ctx->kpf[k]) : 0;
		last_pfn = pfn + len - 1;
		last = ctx->extra[j - 1];
		i = j;
	}
	return 0;
}

static bool pfn_is_zero(const struct pagemap_ctx *ctx, uint64_t pfn)
{
	return (ctx->zero_pfn_known && pfn == ctx->zero_pfn) ||
	       (ctx->huge_zero_known && pfn - ctx->huge_zero_pfn < ctx->pmd_pages);
}

bool pagemap_pfn_is_zero(const struct pagemap_ctx *ctx, uint64_t pfn)
{
	return ctx->pfn_visible && pfn_is_zero(ctx, pfn);
}

static uint8_t entry_flags(const struct pagemap_ctx *ctx, uint64_t e)
{
	uint8_t f = 0;

	if (PM_ENTRY_PRESENT(e)) {
		f |= PG_PRESENT;
		if (pfn_is_zero(ctx, PM_ENTRY_PFN(e)))
			f |= PG_ZERO;
	}
	if (PM_ENTRY_SWAPPED(e))
		f |= PG_SWAPPED;
	if (PM_ENTRY_FILE(e))
		f |= PG_FILE;
	if (PM_ENTRY_EXCLUSIVE(e))
		f |= PG_EXCLUSIVE;
	if (PM_ENTRY_SOFTDIRTY(e))
		f |= PG_SOFTDIRTY;
	return f;
}

/* The flags of the N entries of ctx->ent, run-length encoded into ACC.
 * EXTRA (or NULL) holds the scan's or kpageflags' zero/THP of each page,
 * trusted only for pages this read saw present (it ran a moment apart). */
static int entries_to_acc(struct pagemap_ctx *ctx, size_t n,
			  const uint8_t *extra, unsigned want, struct pm_acc *acc)
{
	uint8_t run = 0;
	uint64_t runlen = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		uint8_t f = entry_flags(ctx, ctx->ent[i]);

		if (extra && (f & PG_PRESENT))
			f = (uint8_t)((f & ~PG_ZERO) | extra[i]);
		/* Bit 55 is also set for every page, mapped or not, of a
		 * VM_SOFTDIRTY VMA (fs/proc/task_mmu.c pagemap_pte_hole);
		 * the scan reports it for present pages only: count those. */
		if (!(want & PM_WANT_SOFTDIRTY) || !(f & (PG_PRESENT | PG_SWAPPED)))
			f &= (uint8_t)~PG_SOFTDIRTY;
		if (f != run && runlen) {
			if ((r = acc_add(acc, run, runlen)) < 0)
				return r;
			runlen = 0;
		}
		run = f;
		runlen++;
	}
	return acc_add(acc, run, runlen);
}

/* pread of [s, s + n pages) into ctx->ent; returns the entries read (short
 * past the end of the address space) or -errno. */
static ssize_t pm_read_slice(struct pagemap_ctx *ctx, uint64_t s, uint64_t n)
{
	uint64_t ps = (uint64_t)ctx->page_size, t0 = pm_lock_begin(ctx);
	/* The kernel takes the lock for every 2 MiB of entries it walks
	 * (PAGEMAP_WALK_SIZE): a long read is a stream of short readers. */
	ssize_t got = pm_pread(ctx->fd, ctx->ent, n * PM_ENTRY_BYTES,
			       s / ps * PM_ENTRY_BYTES);

	pm_lock_done(ctx, t0);
	if (got < 0)
		return errno_gone((int)-got);
	return got / PM_ENTRY_BYTES;
}

/* Spans of one slice worth a pread: the scan's present/swapped regions,
 * merged when the hole between them is shorter than a pread call costs. */
#define PM_SPAN_MERGE_PAGES 64

struct span_arg {
	uint64_t base;   /* address of ctx->extra[0] */
	size_t n;
	uint64_t (*sp)[2];
};

static int scan_to_spans(struct pagemap_ctx *ctx, void *arg, uint64_t start,
			 uint64_t end, uint8_t flags)
{
	struct span_arg *x = arg;
	uint64_t ps = (uint64_t)ctx->page_size;

	if (!(flags & (PG_PRESENT | PG_SWAPPED)))
		return 0;
	if (x->n && start - x->sp[x->n - 1][1] < PM_SPAN_MERGE_PAGES * ps) {
		uint64_t prev = x->sp[x->n - 1][1];
		memset(ctx->extra + (prev - x->base) / ps, 0, (start - prev) / ps);
		x->sp[x->n - 1][1] = end;
	} else {
		x->sp[x->n][0] = start;
		x->sp[x->n][1] = end;
		x->n++;
	}
	memset(ctx->extra + (start - x->base) / ps, flags & (PG_ZERO | PG_THP),
	       (end - start) / ps);
	return 0;
}

/* pread where the scan found pages, nothing elsewhere: untouched address
 * space costs what it costs the scan (almost nothing), and zero/THP come
 * from the same scan, never from kpageflags. */
static int hybrid_walk(struct pagemap_ctx *ctx, uint64_t start, uint64_t end,
		       unsigned want, struct pm_acc *acc)
{
	uint64_t ps = (uint64_t)ctx->page_size;
	uint64_t slice = ctx->slice_pages * ps;
	int r;

	for (uint64_t s = start; s < end;) {
		uint64_t se = end - s > slice ? s + slice : end, pos = s;
		struct span_arg x = { s, 0, ctx->spans };

		r = scan_range(ctx, s, se, PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			       PAGE_IS_PRESENT | PAGE_IS_SWAPPED |
			       PAGE_IS_PFNZERO | PAGE_IS_HUGE, scan_to_spans, &x);
		if (r < 0)
			return r;
		for (size_t i = 0; i < x.n; i++) {
			uint64_t a = x.sp[i][0], b = x.sp[i][1];
			ssize_t n;

			if ((r = acc_add(acc, 0, (a - pos) / ps)) < 0)
				return r;
			n = pm_read_slice(ctx, a, (b - a) / ps);
			if (n < 0)
				return (int)n;
			r = entries_to_acc(ctx, (size_t)n,
					   ctx->extra + (a - s) / ps, want, acc);
			if (r < 0)
				return r;
			pos = a + (uint64_t)n * ps;
			if (pos < b)
				break; /* end of the address space */
		}
		if ((r = acc_add(acc, 0, (se - pos) / ps)) < 0)
			return r;
		s = se;
	}
	if (acc->c.resident == 0 && acc->c.swapped == 0 && !pm_alive(ctx))
		return -ESRCH;
	acc->c.known |= PC_EXCLUSIVE | PC_FILE | PC_ZERO | PC_THP;
	if ((want & PM_WANT_SOFTDIRTY) && pagemap_soft_dirty_supported())
		acc->c.known |= PC_SOFTDIRTY;
	return 0;
}

static int pread_walk(struct pagemap_ctx *ctx, uint64_t start, uint64_t end,
		      unsigned want, struct pm_acc *acc)
{
	uint64_t ps = (uint64_t)ctx->page_size;
	/* Zero and THP without the scan: kpageflags (root), else only the
	 * zero page by PFN (root), else unknown. */
	bool use_kpf, pfn_zero = ctx->zero_pfn_known;
	int r;

	if (ctx->scan_ok)
		return hybrid_walk(ctx, start, end, want, acc);
	use_kpf = (want & PM_WANT_FLAGS) && kpf_usable(ctx);
	for (uint64_t s = start; s < end;) {
		uint64_t want_n = (end - s) / ps;
		ssize_t n;

		if (vm_should_quit())
			return -EINTR;
		if (want_n > ctx->slice_pages)
			want_n = ctx->slice_pages;
		n = pm_read_slice(ctx, s, want_n);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			/* EOF: past the task's address space, or the mm is gone. */
			if (!pm_alive(ctx))
				return -ESRCH;
			r = acc_add(acc, 0, (end - s) / ps);
			if (r < 0)
				return r;
			break;
		}
		if (use_kpf) {
			memset(ctx->extra, 0, (size_t)n);
			r = kpf_fill(ctx, (size_t)n);
			if (r < 0)
				return r;
		}
		r = entries_to_acc(ctx, (size_t)n, use_kpf ? ctx->extra : NULL,
				   want, acc);
		if (r < 0)
			return r;
		s += (uint64_t)n * ps;
	}
	acc->c.known |= PC_EXCLUSIVE | PC_FILE;
	if ((want & PM_WANT_SOFTDIRTY) && pagemap_soft_dirty_supported())
		acc->c.known |= PC_SOFTDIRTY;
	if (use_kpf)
		acc->c.known |= PC_ZERO | PC_THP;
	else if (pfn_zero)
		acc->c.known |= PC_ZERO;
	return 0;
}

static const struct pm_backend backend_pread = { "pread", pread_walk };

/* ---- context ------------------------------------------------------------- */

/* PAGEMAP_SCAN of an empty range with every mask we use: 0 when the
 * kernel has it (PAGE_IS_SOFT_DIRTY came with it in Linux 6.7). */
static bool scan_probe(int fd)
{
	struct pm_scan_arg a = {
		.size = sizeof(a),
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO |
			       PAGE_IS_HUGE | PAGE_IS_SOFT_DIRTY,
	};

	return ioctl(fd, PAGEMAP_SCAN, &a) >= 0;
}

static int self_entry(int fd, const volatile char *p, long ps, uint64_t *e)
{
	volatile char sink = *p; /* a read fault maps the zero page */

	(void)sink;
	return pm_pread(fd, e, sizeof(*e), (uintptr_t)p / (uint64_t)ps * 8) ==
			       (ssize_t)sizeof(*e) ? 0 : -EIO;
}

/* PFNs are zeroed without CAP_SYS_ADMIN (Linux 4.2+), judged when the
 * pagemap file is opened; our own pagemap opened with the same credentials
 * tells whether they show, and which PFNs are the zero pages: the 4 KiB one
 * under a read fault, and the huge one (2 MiB-aligned read faults in
 * MADV_HUGEPAGE memory; the same PFN twice means the shared folio, which our
 * mm then keeps pinned, mm/huge_memory.c mm_get_huge_zero_folio). */
/* Does this kernel keep soft-dirty bits (CONFIG_MEM_SOFT_DIRTY)? A page
 * just written in a new mapping of our own is soft-dirty when it does
 * (fs/proc/task_mmu.c pte_to_pagemap_entry); without it bit 55 is always
 * clear, and a count of 0 would be a fake fact. Probed once. */
bool pagemap_soft_dirty_supported(void)
{
	static int known = -1;
	long ps = sysconf(_SC_PAGESIZE);
	volatile char *p;
	uint64_t e = 0;
	int fd;

	if (known >= 0)
		return known;
	p = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	p[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / (uintptr_t)ps * sizeof(e))) !=
		    (ssize_t)sizeof(e))
			e = 0;
		close(fd);
	}
	munmap((void *)p, (size_t)ps);
	known = PM_ENTRY_SOFTDIRTY(e) ? 1 : 0;
	return known;
}

static void self_probe(struct pagemap_ctx *ctx)
{
	long ps = ctx->page_size;
	size_t pmd = ctx->pmd_pages * (size_t)ps, len = 3 * pmd;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	char *p = MAP_FAILED, *h = MAP_FAILED, *a;
	uint64_t e, e2;

	if (fd < 0)
		return;
	/* One page: too small for a huge page whatever the THP policy. */
	p = mmap(NULL, (size_t)ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || self_entry(fd, p, ps, &e) < 0 ||
	    !PM_ENTRY_PRESENT(e) || PM_ENTRY_PFN(e) == 0)
		goto out;
	ctx->pfn_visible = true;
	ctx->zero_pfn = PM_ENTRY_PFN(e);
	ctx->zero_pfn_known = true;

	/* Two PMD-aligned huge read faults, both mapped at once. */
	h = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		goto out;
	a = (char *)(((uintptr_t)h + pmd - 1) & ~(uintptr_t)(pmd - 1));
	if (madvise(a, 2 * pmd, MADV_HUGEPAGE) < 0 ||
	    self_entry(fd, a, ps, &e) < 0 || self_entry(fd, a + pmd, ps, &e2) < 0)
		goto out;
	if (PM_ENTRY_PRESENT(e) && PM_ENTRY_PRESENT(e2) &&
	    PM_ENTRY_PFN(e) == PM_ENTRY_PFN(e2) && PM_ENTRY_PFN(e) != ctx->zero_pfn) {
		ctx->huge_zero_pfn = PM_ENTRY_PFN(e);
		ctx->huge_zero_known = true;
	}
out:
	if (p != MAP_FAILED)
		munmap(p, (size_t)ps);
	if (h != MAP_FAILED)
		munmap(h, len);
	close(fd);
}

struct pagemap_ctx *pagemap_open(pid_t pid, enum pagemap_backend_id backend)
{
	struct pagemap_ctx *ctx;
	const char *env = getenv("VMATLAS_PAGEMAP_BACKEND");
	char path[64];
	int err;

	if (backend == PM_BACKEND_AUTO && env && *env) {
		if (strcmp(env, "pread") == 0)
			backend = PM_BACKEND_PREAD;
		else if (strcmp(env, "scan") == 0)
			backend = PM_BACKEND_SCAN;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->pid = pid;
	ctx->kpf_fd = -1;
	ctx->page_size = sysconf(_SC_PAGESIZE);
	ctx->slice_pages = PM_SLICE_BYTES / (uint64_t)ctx->page_size;
	ctx->scan_slice = PM_SLICE_BYTES;
	/* The pauses between scan calls are tens of microseconds: the default
	 * 50 us timer slack would double them. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	/* One PMD maps a page of page-table entries (8 bytes each). */
	ctx->pmd_pages = (uint64_t)ctx->page_size / 8;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	ctx->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ctx->fd < 0) {
		err = errno == ENOENT ? ESRCH : errno;
		goto fail;
	}
	ctx->ent = malloc(ctx->slice_pages * PM_ENTRY_BYTES);
	ctx->extra = malloc(ctx->slice_pages);
	/* Zeroed: memory checkers cannot see the ioctl fill it. */
	ctx->regs = calloc(PM_NREGIONS, sizeof(*ctx->regs));
	ctx->kpf = malloc(PM_KPF_BATCH * sizeof(*ctx->kpf));
	/* Merged spans are at least PM_SPAN_MERGE_PAGES apart. */
	ctx->spans = malloc((ctx->slice_pages / PM_SPAN_MERGE_PAGES + 2) *
			    sizeof(*ctx->spans));
	if (!ctx->ent || !ctx->extra || !ctx->regs || !ctx->kpf || !ctx->spans) {
		err = ENOMEM;
		goto fail;
	}
	ctx->scan_ok = backend != PM_BACKEND_PREAD && scan_probe(ctx->fd);
	if (backend == PM_BACKEND_SCAN && !ctx->scan_ok) {
		err = errno == ESRCH ? ESRCH : EOPNOTSUPP;
		goto fail;
	}
	ctx->be = ctx->scan_ok ? &backend_scan : &backend_pread;
	self_probe(ctx);
	return ctx;
fail:
	pagemap_close(ctx);
	errno = err;
	return NULL;
}

void pagemap_close(struct pagemap_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->fd >= 0)
		close(ctx->fd);
	if (ctx->kpf_fd >= 0)
		close(ctx->kpf_fd);
	free(ctx->ent);
	free(ctx->extra);
	free(ctx->regs);
	free(ctx->kpf);
	free(ctx->spans);
	free(ctx);
}

const char *pagemap_backend_name(const struct pagemap_ctx *ctx)
{
	return ctx->be->name;
}

bool pagemap_pfn_visible(const struct pagemap_ctx *ctx)
{
	return ctx->pfn_visible;
}

/* Private anonymous memory holds only anonymous pages (and the zero page),
 * which pagemap never marks PM_FILE (fs/proc/task_mmu.c
 * pte_to_pagemap_entry: only !folio_test_anon): file_or_shared is 0 there
 * without reading a single entry. */
static bool mapping_private_anon(const struct vm_mapping *m)
{
	const char *p = m->path ? m->path : "";

	return m->perms[3] == 'p' && m->inode == 0 &&
	       m->dev_major == 0 && m->dev_minor == 0 &&
	       (!*p || strcmp(p, "[heap]") == 0 ||
		strncmp(p, "[stack", 6) == 0 || strncmp(p, "[anon:", 6) == 0);
}

static bool pm_needs_pread(const struct vm_mapping *m, unsigned want)
{
	return (want & PM_WANT_EXCLUSIVE) ||
	       ((want & PM_WANT_EXCLUSIVE_FILE) && !mapping_private_anon(m));
}

int pagemap_scan_mapping(struct pagemap_ctx *ctx, struct vm_mapping *m,
			 unsigned want)
{
	struct pm_acc acc = { .want_runs = (want & PM_WANT_RUNS) != 0 };
	uint64_t ps = (uint64_t)ctx->page_size;
	const struct pm_backend *be = ctx->be;
	bool anon = mapping_private_anon(m);
	int r;

	if (m->end < m->start || m->start % ps || m->end % ps)
		return -EINVAL;
	/* Exclusive and file bits exist only in pagemap entries. */
	if (pm_needs_pread(m, want))
		be = &backend_pread;
	r = be->walk(ctx, m->start, m->end, want, &acc);
	if (r == -EOPNOTSUPP && be == &backend_scan) {
		ctx->scan_ok = false;
		ctx->be = be = &backend_pread;
		free(acc.runs);
		memset(&acc, 0, sizeof(acc));
		acc.want_runs = (want & PM_WANT_RUNS) != 0;
		r = be->walk(ctx, m->start, m->end, want, &acc);
	}
	if (r < 0) {
		free(acc.runs);
		return r;
	}
	if (anon)
		acc.c.known |= PC_FILE;
	acc.c.not_present = acc.c.total - acc.c.resident - acc.c.swapped;
	m->pages = acc.c;
	free(m->runs);
	m->runs = acc.runs;
	m->nruns = acc.nruns;
	return 0;
}

ssize_t pagemap_read_entries(struct pagemap_ctx *ctx, uint64_t vaddr,
			     uint64_t *out, size_t n)
{
	uint64_t ps = (uint64_t)ctx->page_size;
	size_t done = 0;

	while (done < n) {
		size_t k = n - done > ctx->slice_pages ? ctx->slice_pages : n - done;
		ssize_t got = pm_pread(ctx->fd, out + done, k * PM_ENTRY_BYTES,
				       (vaddr / ps + done) * PM_ENTRY_BYTES);
		if (got < 0)
			return errno_gone((int)-got);
		done += (size_t)got / PM_ENTRY_BYTES;
		if ((size_t)got < k * PM_ENTRY_BYTES)
			break;
	}
	if (done == 0 && n > 0 && !pm_alive(ctx))
		return -ESRCH;
	return (ssize_t)done;
}

int pagemap_read_entry(struct pagemap_ctx *ctx, uint64_t vaddr, uint64_t *entry)
{
	ssize_t r = pagemap_read_entries(ctx, vaddr, entry, 1);

	if (r < 0)
		return (int)r;
	if (r == 0)
		*entry = 0; /* beyond the task's address space */
	return 0;
}

/* ---- kpageflags ---------------------------------------------------------- */

static int kpage_read_one(const char *path, uint64_t pfn, uint64_t *v)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pm_pread(fd, v, sizeof(*v), pfn * sizeof(*v));
	close(fd);
	if (got < 0)
		return (int)got;
	return got == (ssize_t)sizeof(*v) ? 0 : -ENXIO; /* beyond max_pfn */
}

int kpage_read(uint64_t pfn, uint64_t *flags, uint64_t *count)
{
	int r;

	if (pfn > UINT64_MAX / sizeof(uint64_t))
		return -EINVAL;
	if (flags && (r = kpage_read_one("/proc/kpageflags", pfn, flags)) < 0)
		return r;
	if (count && (r = kpage_read_one("/proc/kpagecount", pfn, count)) < 0)
		return r;
	return 0;
}

static const char *const kpf_names[] = {
	"locked", "error", "referenced", "uptodate", "dirty", "lru", "active",
	"slab", "writeback", "reclaim", "buddy", "mmap", "anon", "swapcache",
	"swapbacked", "compound_head", "compound_tail", "huge", "unevictable",
	"hwpoison", "nopage", "ksm", "thp", "offline", "zero_page", "idle",
	"pgtable",
};

size_t kpage_flag_names(uint64_t flags, const char **names, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	for (size_t b = 0; b < sizeof(kpf_names) / sizeof(kpf_names[0]); b++)
		if ((flags >> b) & 1 && n + 1 < max)
			names[n++] = kpf_names[b];
	names[n] = NULL;
	return n;
}

/* ---- copy-on-write comparison -------------------------------------------- */

/* The address of the first present or swapped page in [a, b), or B; A when
 * the scan cannot tell (the caller then reads entries). */
static uint64_t scan_first_page(struct pagemap_ctx *ctx, uint64_t a, uint64_t b)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = a,
		.end = b,
		.vec = (uintptr_t)ctx->regs,
		.vec_len = 1,
		.max_pages = 1,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};
	long n;

	if (!ctx->scan_ok)
		return a;
	do
		n = ioctl(ctx->fd, PAGEMAP_SCAN, &arg);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return a;
	if (n == 0)
		return arg.walk_end > a && arg.walk_end <= b ? arg.walk_end : a;
	return ctx->regs[0].start > a ? ctx->regs[0].start : a;
}

/* Swap type and offset: the entry without its flag bits. */
#define PM_SWAP_MASK ((1ULL << 55) - 1)

enum cow_state pagemap_cow_state(uint64_t p, uint64_t c, bool pfn)
{
	bool hp = PM_ENTRY_PRESENT(p) | PM_ENTRY_SWAPPED(p);
	bool hc = PM_ENTRY_PRESENT(c) | PM_ENTRY_SWAPPED(c);

	if (!hp || !hc)
		return hp ? COW_PARENT_ONLY : hc ? COW_CHILD_ONLY : COW_NEITHER;
	if (PM_ENTRY_PRESENT(p) && PM_ENTRY_PRESENT(c)) {
		if (pfn)
			return PM_ENTRY_PFN(p) == PM_ENTRY_PFN(c) ?
			       COW_SHARED : COW_DIVERGED;
		/* Either copy mapped only once: they are not one page. */
		return PM_ENTRY_EXCLUSIVE(c) || PM_ENTRY_EXCLUSIVE(p) ? COW_DIVERGED : COW_SHARED;
	}
	if (PM_ENTRY_SWAPPED(p) && PM_ENTRY_SWAPPED(c))
		return (p & PM_SWAP_MASK) == (c & PM_SWAP_MASK) ?
		       COW_SHARED : COW_DIVERGED;
	return COW_DIVERGED;
}

/* All that pagemap_cow_state reads of two entries, in 6 bits: present and
 * swapped of each, whether their low 55 bits (the PFN, or the swap type
 * and offset) agree, and whether either is exclusive. The comparison's
 * loop looks the state up by it, with no branch that the pattern of pages
 * could make the CPU mispredict. */
static inline unsigned cow_key(uint64_t p, uint64_t c)
{
	return (unsigned)(p >> 62) | (unsigned)(c >> 62) << 2 |
	       (unsigned)(((p ^ c) & PM_SWAP_MASK) == 0) << 4 |
	       (unsigned)((p | c) >> 56 & 1) << 5;
}

/* pagemap_cow_state of a pair of entries with each key. */
static void cow_key_table(uint8_t tab[64], bool pfn)
{
	for (unsigned k = 0; k < 64; k++) {
		uint64_t p = (uint64_t)(k & 3) << 62 | (uint64_t)(k >> 5 & 1) << 56;
		uint64_t c = (uint64_t)(k >> 2 & 3) << 62 | !(k >> 4 & 1);

		tab[k] = (uint8_t)pagemap_cow_state(p, c, pfn);
	}
}

struct cow_out {
	uint64_t n[COW__COUNT];
	struct vm_page_run **runs;
	size_t *nruns, cap;
};

static int cow_add(struct cow_out *o, uint8_t state, uint64_t n)
{
	if (n == 0)
		return 0;
	o->n[state] += n;
	if (!o->runs)
		return 0;
	return vm_runs_append(o->runs, o->nruns, &o->cap, state, n);
}

/* The comparison streams both pagemaps through a ring of COW_RING pieces
 * over each side's slice buffer (512 KiB of entries a side, whatever the
 * mapping's size): a piece is a sixteenth of a slice (4096 pages of 4 KiB).
 * Two threads, the caller and a helper, each take the next piece, read its
 * two sides with one pread each (first the process the other thread is not
 * reading, so that the two are mostly on different mm locks) and compare
 * them while they are in that CPU's cache, into the piece's own counts and
 * runs; the pieces done are added to the result in address order. Reading
 * both sides of a piece on one thread instead of one side each saved a
 * tenth of the time: the comparison no longer loads entries another CPU
 * wrote. No pause follows a long hold, as in pm_read_slice: a writer in
 * either process still waits a few ms at most (the kernel hands it the
 * lock after RWSEM_WAIT_TIMEOUT), and the pauses cost an eighth of the
 * time. Space neither process has is skipped with the scan before each
 * stretch of up to a slice. */
#define COW_RING 16

struct cow_piece {
	uint64_t addr, n;        /* first address, pages */
	uint64_t gap;            /* pages neither has, just before it */
	bool done;               /* read and compared */
	uint64_t count[COW__COUNT];
	struct vm_page_run *runs; /* NULL unless runs are asked; room for n + 1 */
	size_t nruns;
};

struct cow_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pagemap_ctx *side[2]; /* parent, child */
	uint8_t state[64];           /* by cow_key */
	struct cow_out *o;           /* the adding thread's alone */
	uint64_t pos, end, stretch_end, gap; /* planning, under MU */
	bool planned_all;
	struct cow_piece ring[COW_RING]; /* piece K in ring[K % COW_RING] */
	uint64_t piece_pages;        /* slice_pages / COW_RING */
	uint64_t planned, added;
	unsigned reading[2];         /* threads reading each side */
	bool adding;
	int err;                     /* first error, or 0 */
};

/* Plan piece p->planned: after a stretch, skip what neither has. False
 * when the range is done. */
static bool cow_plan(struct cow_pipe *p)
{
	struct pagemap_ctx *parent = p->side[0], *child = p->side[1];
	uint64_t ps = (uint64_t)parent->page_size, n;
	struct cow_piece *pc;

	if (p->pos >= p->stretch_end) {
		uint64_t next = p->pos < p->end ? scan_first_page(parent, p->pos, p->end) : p->end;

		if (next > p->pos) {
			uint64_t c = scan_first_page(child, p->pos, next);
			if (c < next)
				next = c;
		}
		p->gap += (next - p->pos) / ps;
		p->pos = next;
		if (p->pos >= p->end) {
			p->planned_all = true;
			return false;
		}
		n = (p->end - p->pos) / ps;
		if (n > parent->slice_pages)
			n = parent->slice_pages;
		p->stretch_end = p->pos + n * ps;
	}
	n = (p->stretch_end - p->pos) / ps;
	if (n > p->piece_pages)
		n = p->piece_pages;
	pc = &p->ring[p->planned % COW_RING];
	pc->addr = p->pos;
	pc->n = n;
	pc->gap = p->gap;
	pc->done = false;
	p->gap = 0;
	p->pos += n * ps;
	p->planned++;
	return true;
}

/* Read SIDE of the piece in SLOT; a short read (end of the address space)
 * reads as not present. */
static int cow_piece_read(struct cow_pipe *p, unsigned side, uint64_t slot)
{
	struct pagemap_ctx *ctx = p->side[side];
	const struct cow_piece *pc = &p->ring[slot];
	uint64_t *ent = ctx->ent + slot * p->piece_pages;
	ssize_t got = pm_pread(ctx->fd, ent, pc->n * PM_ENTRY_BYTES,
			       pc->addr / (uint64_t)ctx->page_size * PM_ENTRY_BYTES);

	if (got < 0)
		return errno_gone((int)-got);
	got /= PM_ENTRY_BYTES;
	memset(ent + got, 0, (size_t)(pc->n - (uint64_t)got) * PM_ENTRY_BYTES);
	return 0;
}

static void cow_piece_run(struct cow_piece *pc, uint8_t state, uint64_t n)
{
	/* Built aside and copied whole, as in vm_runs_append. */
	struct vm_page_run run = { .count = n, .flags = state };

	pc->count[state] += n;
	if (pc->runs)
		memcpy(&pc->runs[pc->nruns++], &run, sizeof(run));
}

/* Read SIDE of the piece in SLOT, the mutex held (released meanwhile). */
static int cow_piece_read_locked(struct cow_pipe *p, unsigned side, uint64_t slot)
{
	int r;

	p->reading[side]++;
	pthread_mutex_unlock(&p->mu);
	r = cow_piece_read(p, side, slot);
	pthread_mutex_lock(&p->mu);
	p->reading[side]--;
	return r;
}

/* Read both sides of the piece in SLOT, first the one the other thread is
 * not reading, then compare them. Called with the mutex held; it is
 * released meanwhile. */
static int cow_piece_do(struct cow_pipe *p, uint64_t slot)
{
	struct cow_piece *pc = &p->ring[slot];
	const uint64_t *pe = p->side[0]->ent + slot * p->piece_pages;
	const uint64_t *ce = p->side[1]->ent + slot * p->piece_pages;
	unsigned first = p->reading[0] ? 1 : 0;
	uint8_t run = COW_NEITHER;
	uint64_t runlen = pc->gap;
	int r;

	memset(pc->count, 0, sizeof(pc->count));
	pc->nruns = 0;
	if ((r = cow_piece_read_locked(p, first, slot)) < 0 ||
	    (r = cow_piece_read_locked(p, !first, slot)) < 0)
		return r;
	pthread_mutex_unlock(&p->mu);
	for (uint64_t i = 0; i < pc->n; i++) {
		uint8_t s = p->state[cow_key(pe[i], ce[i])];

		if (s != run && runlen) {
			cow_piece_run(pc, run, runlen);
			runlen = 0;
		}
		run = s;
		runlen++;
	}
	if (runlen)
		cow_piece_run(pc, run, runlen);
	pthread_mutex_lock(&p->mu);
	return 0;
}

/* Add the piece in SLOT to the result. */
static int cow_piece_add(struct cow_pipe *p, uint64_t slot)
{
	const struct cow_piece *pc = &p->ring[slot];
	int r;

	for (unsigned s = 0; s < COW__COUNT; s++)
		p->o->n[s] += pc->count[s];
	if (!p->o->runs)
		return 0;
	for (size_t i = 0; i < pc->nruns; i++)
		if ((r = vm_runs_append(p->o->runs, p->o->nruns, &p->o->cap,
					(uint8_t)pc->runs[i].flags, pc->runs[i].count)) < 0)
			return r;
	return 0;
}

/* One thread's share: until the range is compared or an error stops it. */
static void cow_pipe_work(struct cow_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	while (!p->err) {
		uint64_t slot = p->added % COW_RING;
		int r;

		if (vm_should_quit()) { /* a quit signal: unwind to the top */
			p->err = -EINTR;
			break;
		}
		if (!p->adding && p->added < p->planned && p->ring[slot].done) {
			p->adding = true;
			pthread_mutex_unlock(&p->mu);
			r = cow_piece_add(p, slot);
			pthread_mutex_lock(&p->mu);
			p->adding = false;
			p->added++;
		} else if (!p->planned_all && p->planned < p->added + COW_RING &&
			   cow_plan(p)) {
			slot = (p->planned - 1) % COW_RING;
			r = cow_piece_do(p, slot);
			p->ring[slot].done = true;
		} else if (p->planned_all && p->added == p->planned) {
			break;
		} else {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		if (r < 0 && !p->err)
			p->err = r;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void *cow_pipe_helper(void *arg)
{
	cow_pipe_work(arg);
	return NULL;
}

int pagemap_cow_compare(struct pagemap_ctx *parent, struct pagemap_ctx *child,
			uint64_t start, uint64_t end, struct cow_counts *out,
			struct vm_page_run **runs, size_t *nruns)
{
	uint64_t ps = (uint64_t)parent->page_size;
	bool pfn = parent->pfn_visible && child->pfn_visible;
	struct cow_out o = { { 0 }, runs, nruns, 0 };
	struct cow_pipe p = {
		.side = { parent, child },
		.o = &o,
		.pos = start,
		.end = end,
		.stretch_end = start,
		/* Both contexts have the same page size, so the same slice. */
		.piece_pages = parent->slice_pages / COW_RING,
	};
	struct vm_page_run *piece_runs = NULL;
	pthread_t helper;
	bool two = false;
	int r;

	if (end < start || start % ps || end % ps)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->precision = pfn ? COW_PRECISION_PFN : COW_PRECISION_EXCLUSIVE_BIT;
	if (runs) {
		/* A piece has at most a run a page, and one for the gap. */
		uint64_t n = (end - start) / ps, per = (n < p.piece_pages ? n : p.piece_pages) + 1;

		*runs = NULL;
		*nruns = 0;
		piece_runs = malloc(COW_RING * per * sizeof(*piece_runs));
		if (!piece_runs)
			return -ENOMEM;
		for (unsigned s = 0; s < COW_RING; s++)
			p.ring[s].runs = piece_runs + s * per;
	}
	cow_key_table(p.state, pfn);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	/* A second thread pays beyond a few pieces; below, one does all. */
	if ((end - start) / ps >= 4 * p.piece_pages)
		two = pthread_create(&helper, NULL, cow_pipe_helper, &p) == 0;
	cow_pipe_work(&p);
	if (two)
		pthread_join(helper, NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	free(piece_runs);
	r = p.err;
	if (r == 0)
		r = cow_add(&o, COW_NEITHER, p.gap);
	/* A pagemap reads empty once its process is gone. */
	if (r == 0 && end > start && (!pm_alive(parent) || !pm_alive(child)))
		r = -ESRCH;
	out->shared = o.n[COW_SHARED];
	out->diverged = o.n[COW_DIVERGED];
	out->parent_only = o.n[COW_PARENT_ONLY];
	out->child_only = o.n[COW_CHILD_ONLY];
	out->neither = o.n[COW_NEITHER];
	if (r < 0 && runs) {
		free(*runs);
		*runs = NULL;
		*nruns = 0;
	}
	return r;
}

const char *cow_state_name(enum cow_state s)
{
	static const char *const names[COW__COUNT] = {
		"neither", "shared", "diverged", "parent_only", "child_only",
	};

	return (unsigned)s < COW__COUNT ? names[s] : "?";
}

const char *cow_precision_name(enum cow_precision p)
{
	return p == COW_PRECISION_PFN ? "pfn" : "exclusive-bit";
}

/* ---- live-refresh cache -------------------------------------------------- */

struct pm_cache_entry {
	uint64_t start, end, offset, inode;
	unsigned dev_major, dev_minor, want, age;
	char perms[5];
	uint64_t print;            /* hash of the scan's regions */
	struct vm_page_counts pages;
	struct vm_page_run *runs;  /* owned */
	size_t nruns;
	bool seen;                 /* used in the current round */
};

struct pagemap_cache {
	struct pm_cache_entry *e; /* sorted by start after each sweep */
	size_t n, cap, sorted;
};

struct pagemap_cache *pagemap_cache_new(void)
{
	return calloc(1, sizeof(struct pagemap_cache));
}

void pagemap_cache_free(struct pagemap_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].runs);
	free(c->e);
	free(c);
}

static int cache_cmp(const void *a, const void *b)
{
	const struct pm_cache_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

void pagemap_cache_sweep(struct pagemap_cache *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (c->e[i].seen) {
			c->e[i].seen = false;
			c->e[k++] = c->e[i];
		} else {
			free(c->e[i].runs);
		}
	}
	c->n = k;
	qsort(c->e, c->n, sizeof(*c->e), cache_cmp);
	c->sorted = c->n;
}

static bool cache_match(const struct pm_cache_entry *e,
			const struct vm_mapping *m, unsigned want)
{
	return e->start == m->start && e->end == m->end &&
	       e->offset == m->offset && e->inode == m->inode &&
	       e->dev_major == m->dev_major && e->dev_minor == m->dev_minor &&
	       e->want == want && strcmp(e->perms, m->perms) == 0;
}

/* Binary search in the part sorted by the last sweep, then the entries
 * added since. */
static struct pm_cache_entry *cache_find(struct pagemap_cache *c,
					 const struct vm_mapping *m, unsigned want)
{
	size_t lo = 0, hi = c->sorted;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->e[mid].start < m->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->sorted && c->e[lo].start == m->start; lo++)
		if (cache_match(&c->e[lo], m, want))
			return &c->e[lo];
	for (size_t i = c->sorted; i < c->n; i++)
		if (cache_match(&c->e[i], m, want))
			return &c->e[i];
	return NULL;
}

static int scan_to_print(struct pagemap_ctx *ctx, void *arg, uint64_t start,
			 uint64_t end, uint8_t flags)
{
	uint64_t *h = arg;
	uint64_t v[3] = { start, end, flags };

	(void)ctx;
	if (!flags)
		return 0;
	/* FNV-1a over the regions that hold pages. */
	for (size_t i = 0; i < sizeof(v); i++) {
		*h ^= ((const uint8_t *)v)[i];
		*h *= 0x100000001b3ULL;
	}
	return 0;
}

int pagemap_scan_mapping_cached(struct pagemap_ctx *ctx, struct pagemap_cache *c,
				struct vm_mapping *m, unsigned want, bool *reused)
{
	struct pm_cache_entry *e;
	struct vm_page_run *runs = NULL;
	uint64_t print = 0xcbf29ce484222325ULL;
	int r;

	if (reused)
		*reused = false;
	/* Without a pread there is nothing to save: the scan is the work. */
	if (!ctx->scan_ok || !pm_needs_pread(m, want))
		return pagemap_scan_mapping(ctx, m, want);
	r = scan_range(ctx, m->start, m->end, PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		       PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO |
		       PAGE_IS_HUGE | PAGE_IS_SOFT_DIRTY, scan_to_print, &print);
	if (r == -EOPNOTSUPP) {
		ctx->scan_ok = false;
		ctx->be = &backend_pread;
		return pagemap_scan_mapping(ctx, m, want);
	}
	if (r < 0)
		return r;
	e = cache_find(c, m, want);
	if (e && e->print == print && e->age < PM_CACHE_MAX_AGE) {
		if (e->nruns) {
			runs = malloc(e->nruns * sizeof(*runs));
			if (!runs)
				return -ENOMEM;
			memcpy(runs, e->runs, e->nruns * sizeof(*runs));
		}
		m->pages = e->pages;
		free(m->runs);
		m->runs = runs;
		m->nruns = e->nruns;
		e->age++;
		e->seen = true;
		if (reused)
			*reused = true;
		return 0;
	}
	r = pagemap_scan_mapping(ctx, m, want);
	if (r < 0)
		return r;
	if (m->nruns && !(runs = malloc(m->nruns * sizeof(*runs))))
		return 0; /* no room to remember: the result stands */
	if (runs)
		memcpy(runs, m->runs, m->nruns * sizeof(*runs));
	if (!e) {
		if (c->n == c->cap) {
			size_t cap = c->cap ? 2 * c->cap : 64;
			struct pm_cache_entry *ne = realloc(c->e, cap * sizeof(*ne));
			if (!ne) {
				free(runs);
				return 0;
			}
			c->e = ne;
			c->cap = cap;
		}
		e = &c->e[c->n++];
		memset(e, 0, sizeof(*e));
	}
	free(e->runs);
	*e = (struct pm_cache_entry){
		.start = m->start, .end = m->end, .offset = m->offset,
		.inode = m->inode, .dev_major = m->dev_major,
		.dev_minor = m->dev_minor, .want = want, .print = print,
		.pages = m->pages, .runs = runs, .nruns = m->nruns, .seen = true,
	};
	memcpy(e->perms, m->perms, sizeof(e->perms));
	return 0;
}
