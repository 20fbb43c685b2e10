/* Copy-on-write divergence of two processes (a parent and its child, or
 * any two that share an ancestor's pages): fills struct vm_cow_pair of the
 * model from both pagemaps, streamed side by side
 * (pagemap_cow_compare). PFNs are compared as root; otherwise the
 * exclusive-mapping bit gives an estimate, and the pair says so. */
#ifndef VMATLAS_COW_H
#define VMATLAS_COW_H

#include "vmatlas/model.h"
#include "vmatlas/pagemap.h"

/* Compare every pair of mappings of P (parent) and C (child), both already
 * collected, that overlap and are the same memory (the same file at the
 * same offsets, or anonymous memory of the same name), over the range both
 * cover,
 * reading pagemaps through PCTX and CCTX (borrowed). With RUNS, each
 * mapping gets per-page states. OUT is overwritten; the caller frees it
 * with vm_cow_pair_fini(). 0 or -errno (-ESRCH when either is gone). */
int cow_compare_ctx(struct pagemap_ctx *pctx, struct pagemap_ctx *cctx,
		    const struct vm_process *p, const struct vm_process *c,
		    bool runs, struct vm_cow_pair *out);
/* The same, opening both pagemaps. */
int cow_compare(const struct vm_process *p, const struct vm_process *c,
		bool runs, struct vm_cow_pair *out);

/* How PARENT and CHILD are related, from /proc's parent links; *COMMON
 * gets the common ancestor for COW_REL_KIN, else 0. */
void cow_relation(pid_t parent, pid_t child, enum vm_cow_relation *rel, pid_t *common);

/* Append to S the pair (S->procs[PARENT], S->procs[CHILD]), with their
 * relation. 0 or -errno. */
int cow_snapshot_add_pair(struct vm_snapshot *s, size_t parent, size_t child,
			  bool runs);
/* Append a pair for every process of S whose parent is also in S; a
 * process gone meanwhile is skipped. 0 or -errno. */
int cow_snapshot_add_pairs(struct vm_snapshot *s, bool runs);

#endif
