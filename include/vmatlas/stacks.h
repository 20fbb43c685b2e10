/* Backtraces of every thread of a process (libunwind-ptrace), into the
 * model's vm_process.threads. */
#ifndef VMATLAS_STACKS_H
#define VMATLAS_STACKS_H

#include <stdio.h>

#include "vmatlas/elfinfo.h"
#include "vmatlas/model.h"

struct tracer;

/* Unwinding stops at STACKS_MAX_DEPTH frames (model.h), and when a frame
 * makes no progress (same pc and sp again, or sp going down). */

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

#endif
