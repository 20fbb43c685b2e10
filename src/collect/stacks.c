/* Backtraces with libunwind-ptrace (_UPT_*), symbols from vmatlas's own
 * tables (symbols.c): libunwind's unw_get_proc_name would read the objects
 * again, with its own, less careful reader. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <libunwind-ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/procfs.h"
#include "vmatlas/stacks.h"
#include "vmatlas/symbols.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

#define STACKS_MAX_THREADS 65536

/* Name and state of thread TID of PID, read before the process is
 * stopped: the state is reported as found. */
static int thread_read(pid_t pid, struct vm_thread *th)
{
	char path[96], *buf = NULL;
	struct proc_stat st;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)th->tid);
	r = procfs_read_file(path, 1 << 16, &buf, &len);
	if (r < 0)
		return r;
	r = stat_parse(buf, len, &st);
	free(buf);
	if (r < 0)
		return r;
	th->state = st.state;
	th->name = strdup(st.comm);
	return th->name ? 0 : -ENOMEM;
}

/* The threads of PID, sorted by id. */
static int threads_list(pid_t pid, struct vm_thread **out, size_t *nout)
{
	struct vm_thread *v;
	pid_t *tids;
	size_t n = 0, ntids;
	int r = procfs_tids(pid, &tids, &ntids);

	if (r < 0)
		return r;
	if (ntids > STACKS_MAX_THREADS)
		ntids = STACKS_MAX_THREADS;
	v = calloc(ntids ? ntids : 1, sizeof(*v));
	if (!v) {
		free(tids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ntids; i++) {
		v[n].tid = tids[i];
		r = thread_read(pid, &v[n]);
		if (r == -ENOMEM)
			break;
		if (r < 0) { /* gone meanwhile */
			free(v[n].name);
			memset(&v[n], 0, sizeof(v[n]));
			r = 0;
			continue;
		}
		n++;
	}
	free(tids);
	if (r < 0) {
		for (size_t i = 0; i <= n && i < ntids; i++)
			free(v[i].name);
		free(v);
		return r;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* Record frame PC of TH. LOOKUP is the address whose symbol is wanted: a
 * return address minus one, so that a call at the very end of a function
 * (noreturn) is not blamed on the next one, as gdb does. Only addresses
 * are taken while the target is stopped (PC - LOOKUP is kept in offset):
 * frames_name reads the symbols once it runs again. */
static int frame_add(struct vm_thread *th, uint64_t pc, uint64_t lookup)
{
	struct vm_frame *f = &th->frames[th->nframes];

	memset(f, 0, sizeof(*f));
	f->pc = pc;
	f->offset = pc - lookup;
	th->nframes++;
	return 0;
}

/* Name the frames of the N threads V, with P running again: symbols,
 * debug files and demangling are read only now. */
static int frames_name(struct vm_thread *v, size_t n, struct elf_cache *c,
		       const struct vm_process *p)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].nframes; j++) {
			struct vm_frame *f = &v[i].frames[j];
			uint64_t lookup = f->pc - f->offset;
			struct sym_where w;
			int r;

			if (vm_should_quit())
				return -EINTR;
			r = symbols_describe(c, p, lookup, &w);
			if (r < 0)
				return r;
			f->symbol = w.symbol;
			f->object = w.object;
			f->offset = w.offset + (f->pc - lookup);
			w.symbol = w.object = NULL;
			sym_where_fini(&w);
			if (!f->object) {
				ssize_t k = vm_process_find(p, f->pc);

				if (k >= 0 && p->maps[k].path && p->maps[k].path[0] &&
				    !(f->object = strdup(p->maps[k].path)))
					return -ENOMEM;
			}
		}
	return 0;
}

/* Unwind thread TH (ptrace-stopped) through address space AS. */
static int thread_unwind(struct vm_thread *th, unw_addr_space_t as,
			 struct elf_cache *c, const struct vm_process *p)
{
	uint64_t prev_pc = 0, prev_sp = 0;
	bool prev_signal = false, guessed = false;
	unw_cursor_t cur;
	void *ui;
	int r = 0;

	th->frames = calloc(STACKS_MAX_DEPTH, sizeof(*th->frames));
	if (!th->frames)
		return -ENOMEM;
	ui = _UPT_create(th->tid);
	if (!ui)
		return -ENOMEM;
	if (unw_init_remote(&cur, as, ui) < 0)
		goto out; /* no frames: the thread is gone or unreadable */
	for (;;) {
		unw_word_t ip, sp;
		unw_proc_info_t pi;
		bool no_info;
		uint64_t pc;

		if (vm_should_quit())
			break;
		if (th->nframes == STACKS_MAX_DEPTH) {
			th->end = UNWIND_END_DEPTH;
			break;
		}
		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 ||
		    unw_get_reg(&cur, UNW_REG_SP, &sp) < 0 || ip == 0)
			break;
		pc = ip;
		if (th->nframes == 0) {
			th->sp = sp;
		} else if ((pc == prev_pc && sp == prev_sp) || sp < prev_sp) {
			th->end = UNWIND_END_NO_PROGRESS;
			break;
		}
		r = frame_add(th, pc, th->nframes && !prev_signal && pc ? pc - 1 : pc);
		if (r < 0)
			break;
		th->frames[th->nframes - 1].guessed = guessed;
		/* Without unwind information for this frame's code (a static
		 * binary has no .eh_frame_hdr) libunwind 1.6 reports a dummy
		 * one-byte procedure and falls back to frame pointers: what it
		 * finds beyond is a guess, and when it finds nothing the
		 * backtrace is cut, not complete. */
		no_info = unw_get_proc_info(&cur, &pi) < 0 ||
			  (pi.format == UNW_INFO_FORMAT_DYNAMIC && pi.unwind_info_size == 0 &&
			   pi.start_ip == ip && pi.end_ip == ip + 1);
		prev_pc = pc;
		prev_sp = sp;
		prev_signal = unw_is_signal_frame(&cur) > 0;
		if (unw_step(&cur) <= 0) {
			if (no_info && !prev_signal)
				th->end = UNWIND_END_NO_INFO;
			break;
		}
		guessed = guessed || no_info;
	}
out:
	_UPT_destroy(ui);
	if (vm_should_quit() && r == 0)
		r = -EINTR;
	return r;
}

static void threads_free(struct vm_thread *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		for (size_t j = 0; j < v[i].nframes; j++) {
			free(v[i].frames[j].symbol);
			free(v[i].frames[j].object);
		}
		free(v[i].frames);
	}
	free(v);
}

/* Freeze P, unwind the threads V (N of them), thaw; they become
 * P->threads, or are freed on error. */
static int stacks_unwind(struct tracer *t, struct elf_cache *cache,
			 struct vm_process *p, struct vm_thread *v, size_t n)
{
	unw_addr_space_t as;
	int r, r2;

	as = unw_create_addr_space(&_UPT_accessors, 0);
	if (!as) {
		threads_free(v, n);
		return -ENOMEM;
	}
	r = tracer_freeze(t, p->pid);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n && r == 0; i++)
		r = thread_unwind(&v[i], as, cache, p);
	r2 = tracer_thaw(t, p->pid, NULL);
	if (r == 0)
		r = r2;
	if (r == 0)
		r = frames_name(v, n, cache, p);
out:
	unw_destroy_addr_space(as);
	if (r < 0) {
		threads_free(v, n);
		return r;
	}
	p->threads = v;
	p->nthreads = n;
	return 0;
}

int stacks_collect(struct tracer *t, struct elf_cache *cache,
		   struct vm_process *p)
{
	struct vm_thread *v = NULL;
	size_t n = 0;
	int r = threads_list(p->pid, &v, &n);

	return r < 0 ? r : stacks_unwind(t, cache, p, v, n);
}

int stacks_attach_collect(struct tracer *t, struct elf_cache *cache,
			  struct vm_process *p)
{
	pid_t traced[64];
	size_t n = tracer_pids(t, traced, 64), nthreads = 0;
	struct vm_thread *v = NULL;
	bool attached = false;
	int r;

	for (size_t i = 0; i < n && i < 64; i++)
		attached |= traced[i] == p->pid;
	/* States are read before attaching: a stopped process shows 't'
	 * (tracing stop) once seized. */
	r = threads_list(p->pid, &v, &nthreads);
	if (r < 0)
		return r;
	if (!attached && (r = tracer_attach(t, p->pid, p->start_time)) < 0) {
		threads_free(v, nthreads);
		return r;
	}
	return stacks_unwind(t, cache, p, v, nthreads);
}
