/* Taking a snapshot: /proc collectors, ELF typing and pagemap into the model. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vmatlas/shmswap.h"
#include "vmatlas/classify.h"
#include "vmatlas/procfs.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/tracer.h"

static void host_read_swap(struct vm_host *h)
{
	char *buf = NULL, *line;
	size_t len;

	if (procfs_read_file("/proc/meminfo", 1 << 20, &buf, &len) < 0)
		return;
	line = strstr(buf, "\nSwapTotal:");
	if (line && sscanf(line + 1, "SwapTotal: %lu kB", &h->swap_total_kb) == 1)
		h->swap_total_known = true;
	free(buf);
}

void snapshot_host_init(struct vm_host *h)
{
	struct utsname u;

	memset(h, 0, sizeof(*h));
	if (uname(&u) == 0) {
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
		snprintf(h->machine, sizeof(h->machine), "%s", u.machine);
	}
	h->page_size = sysconf(_SC_PAGESIZE);
	host_read_swap(h);
}

/* PID read through task VIA (PID, or a thread when the main thread has
 * exited). */
static int collect_via(pid_t pid, pid_t via, const struct snapshot_opts *o,
		       struct vm_process *p, struct vm_host *h)
{
	struct pagemap_ctx *ctx = NULL;
	struct shmswap *shm = NULL;
	int r;

	r = procfs_collect_task(pid, via, p);
	if (r < 0)
		return r;
	/* The mapped files are read on a worker while the pagemap is. */
	if (!o->defer_classify)
		classify_begin(p, o->elf_cache);
	if (o->no_pages)
		goto done;

	/* /proc/TID/pagemap: the same memory, reachable while the leader is
	 * a zombie. */
	ctx = pagemap_open(via, o->backend);
	if (!ctx) {
		r = -errno;
		goto fail;
	}
	shm = shmswap_open(pid, h->page_size);
	if (!shm) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < p->nmaps; i++) {
		struct vm_mapping *m = &p->maps[i];
		unsigned want = o->pm_want;
		bool runs_asked;

		/* A quit signal: unwind so the caller can detach and exit. */
		if (vm_should_quit()) {
			r = -EINTR;
			goto fail;
		}
		if (m->start < o->range_end && o->range_start < m->end)
			want |= o->pm_want_range;
		runs_asked = want & PM_WANT_RUNS;
		if (shmswap_wants_runs(shm, m))
			want |= PM_WANT_RUNS;
		r = pagemap_scan_mapping(ctx, m, want);
		if (r == 0)
			r = shmswap_mapping(shm, m);
		if (r < 0)
			goto fail;
		if (!runs_asked) {
			free(m->runs);
			m->runs = NULL;
			m->nruns = 0;
		}
	}
	if ((r = shmswap_finish(shm, p)) < 0)
		goto fail;
	if (pagemap_pfn_visible(ctx))
		h->pfn_visible = true;
done:
	if (!o->defer_classify)
		classify_finish(p, o->elf_cache);
	vm_process_compute_totals(p, h->page_size);
	pagemap_close(ctx);
	shmswap_close(shm);
	return 0;
fail:
	pagemap_close(ctx);
	shmswap_close(shm);
	vm_process_fini(p);
	return r;
}

void snapshot_classify(struct vm_snapshot *s, struct elf_cache *cache)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		classify_process(&s->procs[i], cache);
		vm_process_compute_totals(&s->procs[i], s->host.page_size);
	}
}

/* PID's start time if it is a live process (its main thread may have
 * exited), else 0. */
static uint64_t live_start_time(pid_t pid)
{
	char path[64], *buf = NULL;
	struct proc_stat st;
	size_t len;
	int r;

	if (procfs_main_tid(pid) <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = procfs_read_file(path, 1u << 16, &buf, &len);
	if (r == 0)
		r = stat_parse(buf, len, &st);
	free(buf);
	return r == 0 ? st.start_time : 0;
}

int snapshot_collect_process(pid_t pid, const struct snapshot_opts *o,
			     struct vm_process *p, struct vm_host *h)
{
	uint64_t start = live_start_time(pid);
	int r = -ESRCH;

	/* An exec by another thread replaces the leader, and for a moment
	 * the pid names a zombie or an empty map, or a new mm not yet marked
	 * dumpable (EACCES: fs/exec.c sets it in setup_new_exec): a process
	 * still there afterwards, with the same start time, is read again
	 * (a few times, 2 ms apart: an exec under load takes longer). */
	for (int attempt = 0; attempt < 5; attempt++) {
		pid_t via = procfs_main_tid(pid);

		if (attempt)
			nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
		r = via < 0 ? (int)via : collect_via(pid, via, o, p, h);
		if ((r != -ESRCH && r != -EACCES && r != -EPERM) || !start ||
		    live_start_time(pid) != start)
			break;
	}
	return r;
}

struct vm_snapshot *snapshot_take(const pid_t *pids, size_t npids,
				  const struct snapshot_opts *o,
				  pid_t *failed_pid)
{
	struct vm_snapshot *s = calloc(1, sizeof(*s));
	int r;

	if (!s || !(s->procs = calloc(npids ? npids : 1, sizeof(*s->procs)))) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	snapshot_host_init(&s->host);
	s->live = true;
	s->frozen_ms = -1;
	clock_gettime(CLOCK_REALTIME, &s->taken_at);
	for (size_t i = 0; i < npids; i++) {
		r = snapshot_collect_process(pids[i], o, &s->procs[s->nprocs], &s->host);
		if (r == -ESRCH && o->skip_gone) {
			memset(&s->procs[s->nprocs], 0, sizeof(s->procs[s->nprocs]));
			continue;
		}
		if (r < 0) {
			if (failed_pid)
				*failed_pid = pids[i];
			vm_snapshot_free(s);
			errno = -r;
			return NULL;
		}
		s->nprocs++;
	}
	return s;
}
