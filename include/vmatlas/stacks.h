/* Backtraces of every thread of a process (libunwind-ptrace), into the
 * model's vm_process.threads. */
#ifndef VMATLAS_STACKS_H
#define VMATLAS_STACKS_H

#include <stdio.h>

#include "vmatlas/elfinfo.h"
#include "vmatlas/model.h"

struct tracer;

/* Frames per thread at most; unwinding also stops when a frame makes no
 * progress (same pc and sp again, or sp going down). */
#define STACKS_MAX_DEPTH 256

/* Fill P->threads (P's maps collected and classified): each thread's id,
 * name, state (read now: 't' once traced), stack pointer and frames, symbols read through
 * CACHE. T must have P->pid attached (tracer_attach); the process is
 * frozen only while unwinding (tracer_freeze/tracer_thaw, which nest, so
 * a process already frozen stays so). A thread that cannot be unwound gets
 * no frames. 0 or -errno (-EINTR on a quit signal); P->threads is left
 * NULL on error. */
int stacks_collect(struct tracer *t, struct elf_cache *cache,
		   struct vm_process *p);

/* stacks_collect, attaching T to P->pid first unless it is already (the
 * start time guards against a reused pid), with the thread states read
 * before attaching: a stopped process says T, not t. Errors from attaching
 * are those of tracer_attach (tracer_error_describe says them). */
int stacks_attach_collect(struct tracer *t, struct elf_cache *cache,
			  struct vm_process *p);

/* Which stack the stack pointer SP of a thread of P lies in: "main" (the
 * kernel's [stack]), "thread" (any other mapping: a thread stack is an
 * anonymous mapping made by the thread library), or NULL (no mapping).
 * *MAP gets the mapping's index when not NULL. */
const char *stacks_sp_place(const struct vm_process *p, uint64_t sp,
			    ssize_t *map);

/* The threads of P as text: one header line per thread (tid, name, state,
 * where its stack is), then its frames "#N 0xPC SYMBOL+0xOFF (OBJECT)". */
int stacks_write_text(FILE *f, const struct vm_process *p);

#endif
