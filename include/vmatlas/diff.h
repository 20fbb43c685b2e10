/* Comparing two snapshots of a process. Mappings are matched by identity,
 * not by address: a file mapping by its path and file offset, a named one
 * ([heap], [stack], [vdso], ...) by its name, the anonymous bss after an
 * object by that object's path, other anonymous memory by its address and
 * kind. A library loaded at another address in another run still matches;
 * the n-th mapping with a given identity matches the n-th on the other side.
 * An anonymous mapping whose start changed (it grew downwards, or merged
 * with the one below) matches the one of its kind and name it overlaps
 * most. Overlapping mappings are grown or shrunk, never moved, and their
 * pages are compared address by address. */
#ifndef VMATLAS_DIFF_H
#define VMATLAS_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include "vmatlas/model.h"

enum {
	DIFF_ADDED   = 1u << 0,
	DIFF_REMOVED = 1u << 1,
	DIFF_MOVED   = 1u << 2, /* matched at another address */
	DIFF_GROWN   = 1u << 3,
	DIFF_SHRUNK  = 1u << 4,
	DIFF_PAGES   = 1u << 5, /* page counts changed */
	DIFF_PERMS   = 1u << 6,
	DIFF_KIND    = 1u << 7,
};

/* Options of diff_processes. */
enum { DIFF_OPT_RANGES = 1u << 0 /* page ranges that changed state */ };

#define DIFF_UNMAPPED (-1) /* a range's state on a side where it is not mapped */

/* Pages that changed state, in address order. */
struct diff_range {
	uint64_t start, end; /* in B, or in A for pages B no longer has */
	int from, to;        /* enum vm_page_state, or DIFF_UNMAPPED */
};

struct diff_entry {
	const struct vm_mapping *a, *b; /* borrowed; a NULL: added; b NULL: removed */
	unsigned what;                  /* DIFF_* */
	/* B minus A (a missing side counts as zero). Pages are base pages;
	 * resident_kb counts as totals do (the zero page is not charged). */
	int64_t d_pages_resident, d_pages_swapped, d_pages_not_present;
	int64_t d_virtual_kb, d_resident_kb, d_swapped_kb;
	struct diff_range *ranges;      /* owned; with DIFF_OPT_RANGES */
	size_t nranges;
};

struct vm_diff {
	const struct vm_process *a, *b; /* borrowed */
	long page_size_a, page_size_b;
	struct diff_entry *entries;     /* owned; what changed, by address */
	size_t nentries;
	size_t nunchanged;              /* matched mappings without a change */
};

/* Compare A (page size PSA) with B. With DIFF_OPT_RANGES both must hold
 * per-page runs and have the same page size (-EINVAL otherwise). Returns 0
 * or -errno. */
int diff_processes(const struct vm_process *a, long psa, const struct vm_process *b,
		   long psb, unsigned opts, struct vm_diff **out);
void diff_free(struct vm_diff *d);

#endif
