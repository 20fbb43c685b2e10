/* Backtraces of every thread of a process, into the model's
 * vm_process.threads: unwound from the call frame information of each
 * object (libdw reads .eh_frame and .debug_frame), frame pointers only
 * below a frame without it (marked guessed), with file:line where there
 * are line tables. */
#ifndef VMATLAS_STACKS_H
#define VMATLAS_STACKS_H

#include <stdio.h>

#include "vmatlas/elfinfo.h"
#include "vmatlas/model.h"

struct tracer;

/* Unwinding stops at STACKS_MAX_DEPTH frames (model.h), when a frame
 * makes no progress (sp going down, or the same pc and sp again), and
 * when a thread's walk has used its budget of steps or time
 * (UNWIND_END_BUDGET).
 *
 * A thread is stopped only while its registers and stack are copied (a
 * few microseconds), one thread at a time, and unwound from the copy once
 * it runs again; in a process the caller froze (tracer_freeze, --freeze)
 * the copies are taken as they stand. */

/* What the unwinder keeps across calls: the DWARF handles of the objects
 * seen, and for stacks_refresh the last backtraces and the duty cycle. */
struct stacks_ctx;
struct stacks_ctx *stacks_ctx_new(void);
void stacks_ctx_free(struct stacks_ctx *u);

/* Fill P->threads (P's maps collected and classified): each thread's id,
 * name, state (read before stopping it), stack pointer and frames,
 * symbols read through CACHE. T must have P->pid attached. A thread that
 * cannot be stopped within 200 ms or read gets no frames (-ETIMEDOUT when
 * none of them stops: uninterruptible sleep). 0 or
 * -errno (-EINTR on a quit signal); P->threads is left NULL on error.
 * In a process T holds frozen, only the copies are taken: the threads
 * have no frames until stacks_finish, called once the process is thawed,
 * unwinds them (nothing is unwound while the target is stopped). */
int stacks_collect(struct stacks_ctx *u, struct tracer *t,
		   struct elf_cache *cache, struct vm_process *p);

/* stacks_collect, attaching T to P->pid first unless it is already (the
 * start time guards against a reused pid), with the thread states read
 * before attaching: a stopped process says T, not t. Errors from attaching
 * are those of tracer_attach (tracer_error_describe says them). */
int stacks_attach_collect(struct stacks_ctx *u, struct tracer *t,
			  struct elf_cache *cache, struct vm_process *p);

/* Unwind the copies taken of P's threads while it was frozen (see
 * stacks_collect) into P->threads. 0 or -errno. */
int stacks_finish(struct stacks_ctx *u, struct elf_cache *cache,
		  struct vm_process *p);

/* For the live screen: P->threads with every thread's latest backtrace,
 * unwinding a slice of the threads (at most 50 ms of work) now if the
 * duty cycle allows: the target has any thread stopped at most 2% of the
 * wall time, and unwinding takes at most a quarter of it, so stacks are
 * refreshed less often the more they cost. A thread not unwound yet has
 * no frames. */
int stacks_refresh(struct stacks_ctx *u, struct tracer *t,
		   struct elf_cache *cache, struct vm_process *p);

#endif
