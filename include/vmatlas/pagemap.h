/* Per-page state of a process's mappings from /proc/PID/pagemap, and, when
 * visible (root), /proc/kpageflags and /proc/kpagecount.
 *
 * Two backends behind one struct (STYLE 4): the PAGEMAP_SCAN ioctl (Linux
 * 6.7+) and pread of /proc/PID/pagemap in large chunks. The choice is made
 * once per context with a sticky "not supported" flag. */
#ifndef VMATLAS_PAGEMAP_H
#define VMATLAS_PAGEMAP_H

#include "vmatlas/model.h"

/* What a caller needs beyond present/swapped/not-present counts. */
enum {
	PM_WANT_RUNS      = 1u << 0, /* per-page runs into the mapping */
	PM_WANT_EXCLUSIVE = 1u << 1, /* exclusive + file_or_shared counts */
	PM_WANT_FLAGS     = 1u << 2, /* zero page, THP (kpageflags or scan) */
	PM_WANT_SOFTDIRTY = 1u << 3,
	/* Exclusive + file_or_shared of every mapping except private
	 * anonymous ones (usually the big ones), which keep the scan alone. */
	PM_WANT_EXCLUSIVE_FILE = 1u << 4,
};

enum pagemap_backend_id {
	PM_BACKEND_AUTO,
	PM_BACKEND_SCAN,  /* PAGEMAP_SCAN ioctl */
	PM_BACKEND_PREAD, /* pread of /proc/PID/pagemap */
};

struct pagemap_ctx;

/* Open the pagemap of PID. Returns NULL with errno set (ESRCH, EACCES...;
 * EOPNOTSUPP for PM_BACKEND_SCAN on a kernel without PAGEMAP_SCAN). With
 * PM_BACKEND_AUTO, VMATLAS_PAGEMAP_BACKEND=pread|scan in the environment
 * forces a backend. */
struct pagemap_ctx *pagemap_open(pid_t pid, enum pagemap_backend_id backend);
void pagemap_close(struct pagemap_ctx *ctx);
/* "scan" or "pread". PM_WANT_EXCLUSIVE is always served by pread (where
 * the scan found pages, when the kernel has it). */
const char *pagemap_backend_name(const struct pagemap_ctx *ctx);
/* True when PFNs show (CAP_SYS_ADMIN since Linux 4.2), judged from
 * vmatlas's own pagemap opened with the same credentials. */
bool pagemap_pfn_visible(const struct pagemap_ctx *ctx);

/* Fill m->pages (and m->runs when PM_WANT_RUNS; old runs are freed) for
 * [m->start, m->end), page-aligned. A range unmapped since maps was read
 * reads as not present; -ESRCH once the process is gone. m->pages.known says
 * which optional counts are facts (file_or_shared is always known, as 0,
 * for private anonymous mappings). soft_dirty counts present or swapped
 * pages only. 0 or -errno (m untouched on error). */
int pagemap_scan_mapping(struct pagemap_ctx *ctx, struct vm_mapping *m,
			 unsigned want);

/* Live refresh: what the previous round computed per mapping, so that a
 * mapping whose scan did not change reuses its pread-derived counts and
 * runs (exclusive, file_or_shared, soft-dirty) instead of reading every
 * entry again. Keyed by (start, end, perms, offset, dev, inode) and WANT. */
struct pagemap_cache;
struct pagemap_cache *pagemap_cache_new(void);
void pagemap_cache_free(struct pagemap_cache *c);
/* pagemap_scan_mapping() through the cache: the scan always runs (it gives
 * the present/swapped/zero/THP state cheaply); the pread only when the
 * scan's regions differ from the cached round's, or nothing is cached.
 * *REUSED (may be NULL) says whether the cached result was used. A sharer
 * that unmaps a page without changing this mapping's scan leaves its
 * exclusive count stale until pagemap_cache_sweep() has run
 * PM_CACHE_MAX_AGE times. 0 or -errno. */
int pagemap_scan_mapping_cached(struct pagemap_ctx *ctx, struct pagemap_cache *c,
				struct vm_mapping *m, unsigned want, bool *reused);
/* End of a refresh round: forget mappings not seen in it. */
void pagemap_cache_sweep(struct pagemap_cache *c);
#define PM_CACHE_MAX_AGE 10

/* Is PFN one of the zero pages (the 4 KiB one, or part of the huge one)?
 * False when PFNs do not show. */
bool pagemap_pfn_is_zero(const struct pagemap_ctx *ctx, uint64_t pfn);

/* Whether the kernel keeps soft-dirty bits (CONFIG_MEM_SOFT_DIRTY);
 * soft_dirty counts are left out (unknown) when it does not. */
bool pagemap_soft_dirty_supported(void);

/* One page's raw pagemap entry (for `addr`), 0 or -errno. */
int pagemap_read_entry(struct pagemap_ctx *ctx, uint64_t vaddr, uint64_t *entry);

/* Read N raw entries starting at VADDR into OUT (for COW comparison).
 * Returns the number of entries read (short at end of address space) or
 * -errno. */
ssize_t pagemap_read_entries(struct pagemap_ctx *ctx, uint64_t vaddr,
			     uint64_t *out, size_t n);

/* Decoding of a raw entry (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_ENTRY_PRESENT(e)   (((e) >> 63) & 1)
#define PM_ENTRY_SWAPPED(e)   (((e) >> 62) & 1)
#define PM_ENTRY_FILE(e)      (((e) >> 61) & 1)
#define PM_ENTRY_EXCLUSIVE(e) (((e) >> 56) & 1)
#define PM_ENTRY_SOFTDIRTY(e) (((e) >> 55) & 1)
#define PM_ENTRY_PFN(e)       ((e) & ((1ULL << 55) - 1))
#define PM_ENTRY_SWAP_TYPE(e) ((e) & 0x1f)
#define PM_ENTRY_SWAP_OFFSET(e) (((e) >> 5) & ((1ULL << 50) - 1))

/* Copy-on-write state of one page of a parent/child pair (issue 5). */
enum cow_state {
	COW_NEITHER,     /* neither has the page */
	COW_SHARED,      /* same PFN, or swapped in both with the same entry */
	COW_DIVERGED,    /* in both, different pages (copied on write) */
	COW_PARENT_ONLY,
	COW_CHILD_ONLY,
	COW__COUNT
};

enum cow_precision {
	COW_PRECISION_PFN,           /* PFNs compared (CAP_SYS_ADMIN) */
	COW_PRECISION_EXCLUSIVE_BIT, /* estimate: present in both and the
				      * child's copy exclusive = diverged */
};

struct cow_counts {
	uint64_t shared, diverged, parent_only, child_only, neither;
	enum cow_precision precision;
};

/* Compare the pages of PARENT and CHILD over [START, END) (page-aligned),
 * streaming both pagemaps side by side in fixed chunks (never two whole
 * arrays); untouched space in both is skipped with the scan. OUT gets the
 * counts (zeroed first). When RUNS is not NULL, *RUNS gets a malloc'd
 * run-length encoding of the COW_* state of every page (in a run's `flags`)
 * and *NRUNS its length. "Has the page" means present or swapped; one side
 * swapped and the other present counts as diverged (it may still be the
 * same swap-cache page: that needs kpageflags). 0 or -errno (-ESRCH when
 * either is gone); nothing is returned in RUNS on error. */
int pagemap_cow_compare(struct pagemap_ctx *parent, struct pagemap_ctx *child,
			uint64_t start, uint64_t end, struct cow_counts *out,
			struct vm_page_run **runs, size_t *nruns);
/* The state of one page from its raw PARENT and CHILD entries, as
 * pagemap_cow_compare counts it (PFN: the frames are visible). */
enum cow_state pagemap_cow_state(uint64_t parent, uint64_t child, bool pfn);
const char *cow_state_name(enum cow_state s);
/* "pfn" or "exclusive-bit", as in the JSON documents. */
const char *cow_precision_name(enum cow_precision p);

/* kpageflags/kpagecount for one PFN (root only; either pointer may be
 * NULL). 0 or -errno: -EACCES/-EPERM without root, -ENXIO past max_pfn. */
int kpage_read(uint64_t pfn, uint64_t *flags, uint64_t *count);
/* Names of the set KPF_* bits in bit order into NAMES, at most MAX - 1 of
 * them and a NULL after the last. Returns the number stored. */
size_t kpage_flag_names(uint64_t flags, const char **names, size_t max);

#endif
