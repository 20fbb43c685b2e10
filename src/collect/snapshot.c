/* Taking a snapshot: /proc collectors, ELF typing and pagemap into the model. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "shmswap.h"
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

int snapshot_collect_process(pid_t pid, const struct snapshot_opts *o,
			     struct vm_process *p, struct vm_host *h)
{
	struct pagemap_ctx *ctx = NULL;
	struct shmswap *shm = NULL;
	int r;

	r = procfs_collect(pid, p);
	if (r < 0)
		return r;
	classify_process(p, o->elf_cache);
	if (o->no_pages)
		goto done;

	ctx = pagemap_open(pid, o->backend);
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
		r = snapshot_collect_process(pids[i], o, &s->procs[i], &s->host);
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
