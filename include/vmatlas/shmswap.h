/* Swapped-out pages of shared memory (tmpfs, SysV shm, memfd, shared
 * anonymous memory), which pagemap shows as holes: counted and placed from
 * the object itself, or counted from /proc/PID/smaps (shmswap.c). */
#ifndef VMATLAS_SHMSWAP_H
#define VMATLAS_SHMSWAP_H

#include "vmatlas/model.h"

struct shmswap;

/* For the mappings of PID; NULL only when out of memory. Cheap when no
 * swap is in use: then nothing is a candidate. */
struct shmswap *shmswap_open(pid_t pid, long page_size);
void shmswap_close(struct shmswap *s);

/* M maps a tmpfs object that may have swapped pages (S may be NULL). */
bool shmswap_candidate(const struct shmswap *s, const struct vm_mapping *m);
/* M's pagemap runs are needed to place them (a private mapping counts the
 * object's swap at its holes only, as smaps does). */
bool shmswap_wants_runs(const struct shmswap *s, const struct vm_mapping *m);

/* After pagemap filled M: move the object's swapped pages in M's holes
 * from not_present to swapped, in the counts and, when M has runs, in
 * them. Where the object cannot be read, M is left for shmswap_finish.
 * 0 or -errno. */
int shmswap_mapping(struct shmswap *s, struct vm_mapping *m);

/* The mappings left over get their count from /proc/PID/smaps' Swap; the
 * runs of those that had such pages are dropped (their places are not
 * known). 0 or -errno (-ESRCH when the process is gone). */
int shmswap_finish(struct shmswap *s, struct vm_process *p);

/* Whether the page at ADDR of M, a mapping of PID that pagemap shows not
 * present, is a swapped page of its shared-memory object: 1 yes, 0 no (or
 * M is no shared memory, or no swap is in use), -errno when the object
 * cannot be read (-EPERM/-EACCES without CAP_SYS_ADMIN, -ENOSYS before
 * Linux 6.5). */
int shmswap_page(pid_t pid, const struct vm_mapping *m, uint64_t addr);

#endif
