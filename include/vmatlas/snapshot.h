/* Taking a snapshot: collect, then render (STYLE 1). */
#ifndef VMATLAS_SNAPSHOT_H
#define VMATLAS_SNAPSHOT_H

#include "vmatlas/model.h"
#include "vmatlas/pagemap.h"

struct elf_cache;

struct snapshot_opts {
	unsigned pm_want;                 /* PM_WANT_* for every mapping */
	/* PM_WANT_* added for the mappings overlapping [range_start,
	 * range_end) (e.g. runs only for the mapping a screen shows). */
	unsigned pm_want_range;
	uint64_t range_start, range_end;
	enum pagemap_backend_id backend;
	struct elf_cache *elf_cache;      /* borrowed, may be NULL */
	/* Maps, ELF typing and process facts only: no pagemap is read, every
	 * mapping's page counts stay zero with nothing known (for an output
	 * that shows no per-process pages, like the text of `cow`). */
	bool no_pages;
	/* Mappings are not typed from their files yet: the caller holds the
	 * process stopped and calls snapshot_classify() once it is let go
	 * (the target never waits on a file read, which may be slow). */
	bool defer_classify;
	/* A process that exits (or turns zombie, or execs twice) before it is
	 * read is left out of the snapshot instead of failing it: the members
	 * of a family, where workers come and go. */
	bool skip_gone;
};

/* Type the mappings of every process of S from their files (what
 * defer_classify left out), and count the totals again. */
void snapshot_classify(struct vm_snapshot *s, struct elf_cache *cache);

/* Fill host facts (kernel, page size, pfn visibility, swap). */
void snapshot_host_init(struct vm_host *h);

/* Collect one process into P (maps, stat, status, cmdline, kinds, pages).
 * Returns 0 or -errno (-ESRCH when it exited). */
int snapshot_collect_process(pid_t pid, const struct snapshot_opts *o,
			     struct vm_process *p, struct vm_host *h);

/* Collect NPIDS processes into a new snapshot. On error returns NULL with
 * errno set and *failed_pid the pid that failed. */
struct vm_snapshot *snapshot_take(const pid_t *pids, size_t npids,
				  const struct snapshot_opts *o,
				  pid_t *failed_pid);

#endif
