/* vmatlas snapshot [--follow-forks] [--at-exit] [--interval S [--count N]]
 * -o FILE -- PROGRAM [ARGS...]: snapshots of a launched process tree.
 *
 * The program runs under the tracer with PTRACE_O_EXITKILL, so it (and
 * every child it forks, which inherits the options) dies with vmatlas.
 * PTRACE_O_TRACEEXIT stops each process at its exit with its memory still
 * mapped; the tracer holds it there until the next tracer_poll(), long
 * enough for a snapshot. Each snapshot is one line of compact JSON written
 * with a single write() and synced, so a killed run keeps every line
 * finished before the kill. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "follow.h"
#include "progress.h"
#include "vmatlas/jsonlines.h"
#include "vmatlas/render.h"
#include "vmatlas/cow.h"
#include "vmatlas/json.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

#define FOLLOW_MAX_PROCS 1024

/* A snapshot of the followed processes (only ROOT unless FORKS) with the
 * COW pairs among them; a process gone meanwhile is left out. NULL when
 * none could be read. */
static struct vm_snapshot *tree_take(struct tracer *t, pid_t root, bool forks,
				     const struct snapshot_opts *so)
{
	pid_t pids[FOLLOW_MAX_PROCS];
	size_t n = forks ? tracer_pids(t, pids, FOLLOW_MAX_PROCS) : 1;
	struct vm_snapshot *s = calloc(1, sizeof(*s));

	if (!forks)
		pids[0] = root;
	if (!s || !(s->procs = calloc(n ? n : 1, sizeof(*s->procs)))) {
		free(s);
		return NULL;
	}
	snapshot_host_init(&s->host);
	s->live = true;
	s->frozen_ms = -1;
	clock_gettime(CLOCK_REALTIME, &s->taken_at);
	for (size_t i = 0; i < n && !vm_should_quit(); i++)
		if (snapshot_collect_process(pids[i], so, &s->procs[s->nprocs], &s->host) == 0)
			s->nprocs++;
	if (s->nprocs == 0) {
		vm_snapshot_free(s);
		return NULL;
	}
	cow_snapshot_add_pairs(s, (so->pm_want & PM_WANT_RUNS) != 0);
	return s;
}

/* Take and append one snapshot; EVENT says what triggered it. 1 when a
 * line was written, 0 when nothing could be read, or -errno. */
static int take_line(struct tracer *t, pid_t root, const struct follow_opts *fo,
		     const struct snapshot_opts *so, unsigned flags,
		     struct jsonlines *out, const char *event, pid_t pid)
{
	struct vm_snapshot *s = tree_take(t, root, fo->forks, so);
	json_t *doc;
	int r;

	if (!s)
		return 0;
	s->trigger = strdup(event);
	s->trigger_pid = pid;
	doc = s->trigger ? snapshot_to_json(s, flags) : NULL;
	vm_snapshot_free(s);
	if (!doc)
		return -ENOMEM;
	r = jsonlines_append(out, doc);
	json_decref(doc);
	return r < 0 ? r : 1;
}

/* The status line of a launch: how long the program runs, how many
 * processes are followed, what is written. */
static void launch_status(struct progress *pg, const char *prog, size_t nprocs,
			  unsigned long taken, const struct jsonlines *out)
{
	char el[32], sz[16];

	progress_status(pg, false, "%s running %s; %zu process%s followed; %lu snapshot%s, %s written",
			prog, progress_elapsed(pg, el, sizeof(el)), nprocs, nprocs == 1 ? "" : "es",
			taken, taken == 1 ? "" : "s", fmt_kb(sz, sizeof(sz), out->bytes / 1024));
}

int follow_launch(char *const argv[], const struct follow_opts *fo,
		  const struct snapshot_opts *so, const struct cmd_out *o)
{
	uint64_t step = (uint64_t)(fo->interval * 1e9), next = UINT64_MAX;
	unsigned long taken = 0;
	struct tracer *t = NULL;
	struct jsonlines out;
	pid_t root, pids[FOLLOW_MAX_PROCS];
	int r, w = 0, ret = 1, root_status = 0;
	bool root_ended = false;
	struct progress pg;
	char *prog = escape_untrusted(argv[0]), *where = NULL;

	r = jsonlines_open(&out, o->path, o->force, fo->gzip);
	if (r < 0) {
		cmd_output_error(o->path, r);
		free(prog);
		return 1;
	}
	/* Exit stops come with following (PTRACE_O_TRACEEXIT). */
	t = tracer_new(TRACER_FOLLOW);
	if (!t) {
		vm_error("out of memory");
		goto out;
	}
	r = tracer_launch(t, argv, &root);
	if (r < 0) {
		char *e = escape_untrusted(argv[0]);
		vm_error("cannot run %s: %s", e ? e : "?", strerror(-r));
		free(e);
		goto out;
	}
	if (step)
		next = vm_now_ns() + step;
	/* The program writes to this terminal too: whole lines, not one
	 * redrawn in place. */
	progress_init_lines(&pg, fo->quiet);
	r = tracer_resume(t, root);
	while (r >= 0 && !vm_should_quit() && (!fo->count || taken < fo->count)) {
		struct tracer_event ev;
		uint64_t now = vm_now_ns();
		int timeout = 200;

		if (step && next <= now) {
			w = take_line(t, root, fo, so, o->flags, &out, "interval", 0);
			taken += w > 0;
			next = next + step > now ? next + step : now + step;
			if (w < 0)
				break;
			continue;
		}
		if (step && (next - now) / 1000000u < (uint64_t)timeout)
			timeout = (int)((next - now) / 1000000u);
		r = tracer_poll(t, &ev, timeout);
		if (r == 1 && ev.kind == TEV_EXIT && fo->at_exit &&
		    (fo->forks || ev.pid == root)) {
			/* Held at its exit until the next poll: memory still there. */
			w = take_line(t, root, fo, so, o->flags, &out, "exit", ev.pid);
			taken += w > 0;
			if (w < 0)
				break;
		}
		if (r == 1 && ev.kind == TEV_GONE && ev.pid == root) {
			root_status = ev.status;
			root_ended = true;
		}
		launch_status(&pg, prog ? prog : "?", tracer_pids(t, pids, FOLLOW_MAX_PROCS), taken, &out);
		if (r >= 0 && tracer_pids(t, pids, FOLLOW_MAX_PROCS) == 0) {
			/* The whole tree is gone; the program's own end may still
			 * wait among the events. */
			struct tracer_event ev2;

			for (int i = 0; !root_ended && i < 4096 && tracer_poll(t, &ev2, 0) == 1; i++)
				if (ev2.kind == TEV_GONE && ev2.pid == root) {
					root_status = ev2.status;
					root_ended = true;
				}
			break;
		}
	}
	progress_clear(&pg);
	if (r == -EINTR || vm_should_quit())
		ret = 128 + vm_quit_signal;
	else if (w < 0)
		vm_error("cannot write %s: %s",
			 jsonlines_is_file(&out) ? "the output file" : "standard output", strerror(-w));
	else if (r < 0)
		vm_error("following process %d: %s", (int)root, strerror(-r));
	else
		/* The program's own status, as time and strace give it; 0 when
		 * --count ended it. */
		ret = root_ended ? vm_wait_status_code(root_status) : 0;
	if (r >= 0 && w >= 0 && !vm_should_quit()) {
		char how[64], el[32], sz[16];

		where = escape_untrusted(jsonlines_is_file(&out) ? o->path : "standard output");
		progress_end(&pg, "%s %s after %s; %lu snapshot%s written to %s (%s)", prog ? prog : "?",
			     root_ended ? vm_wait_status_describe(root_status, how, sizeof(how))
					: "stopped (--count)", progress_elapsed(&pg, el, sizeof(el)),
			     taken, taken == 1 ? "" : "s", where ? where : "?",
			     fmt_kb(sz, sizeof(sz), out.bytes / 1024));
	}
out:
	free(prog);
	free(where);
	tracer_free(t);
	r = jsonlines_close(&out);
	if (r < 0 && ret == 0) {
		vm_error("cannot write the output file: %s", strerror(-r));
		ret = 1;
	}
	return ret;
}
