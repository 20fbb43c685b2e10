/* Families: a process and its descendants (a prefork server, a zygote):
 * per process what smaps_rollup says (RSS, PSS, USS, swap, swap PSS) and
 * how much it still shares with its parent; for the family its footprint
 * (every physical page once) and how many of its processes map each page.
 * Fills struct vm_family of the model (issue 12). */
#ifndef VMATLAS_FAMILY_H
#define VMATLAS_FAMILY_H

#include <stddef.h>
#include <sys/types.h>

#include "vmatlas/model.h"

/* The fields of /proc/PID/smaps_rollup that a family shows, in kB. */
struct smaps_rollup {
	uint64_t rss, pss, shared_clean, shared_dirty, private_clean,
		 private_dirty, swap, swap_pss;
	unsigned found; /* one bit per field above, in that order */
};
/* Parse the text of /proc/PID/smaps_rollup (or of smaps: the fields of
 * every mapping are summed). -EINVAL when Rss or Pss is missing. */
int smaps_rollup_parse(const char *buf, size_t len, struct smaps_rollup *out);

/* ROOTS and every descendant of each (/proc/PID/task/TID/children,
 * breadth first, each pid once) into a new array *PIDS of *N. A root that
 * does not exist gives -ESRCH (*failed names it). 0 or -errno. */
int family_members(const pid_t *roots, size_t nroots, pid_t **pids, size_t *n,
		   pid_t *failed);

/* The family of the processes of S (collected with their maps; pages are
 * not needed): a process whose parent is not in S is a root, and the
 * mappings erosion is told for the first root, S->procs[0]'s tree.
 * Members gone meanwhile are left out. OUT is overwritten; free it with
 * vm_family_fini(). 0 or -errno (-ESRCH when every member is gone). */
int family_compute(const struct vm_snapshot *s, struct vm_family *out);

/* Attach the family of S's processes to S (s->family). 0 or -errno. */
int family_snapshot_add(struct vm_snapshot *s);

#endif
