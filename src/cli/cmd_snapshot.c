/* vmatlas snapshot [--format=text|json|svg] [--pages] [--freeze] [-o FILE [--force]]
 *                  [--interval=S [--count=N]] PID...
 * vmatlas snapshot [--follow-forks] [--at-exit] [--interval S [--count N]]
 *                  -o FILE -- PROGRAM [ARGS...] */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "commands.h"
#include "follow.h"
#include "vmatlas/gzio.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/json.h"
#include "vmatlas/render.h"
#include "vmatlas/outfile.h"
#include "vmatlas/piderr.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/stacks.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

static void snapshot_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas snapshot [--format=text|json|svg] [--pages] [--sections] [--stacks]\n"
		"                        [--freeze] [-o FILE [--force]] [--interval=S [--count=N]] PID...\n"
		"       vmatlas snapshot [--follow-forks] [--at-exit] [--interval=S [--count=N]]\n"
		"                        [--pages] -o FILE -- PROGRAM [ARGS...]\n"
		"Print the layout and page states of processes, or of a program vmatlas\n"
		"launches (it dies with vmatlas) as JSON Lines: one document a line, each\n"
		"written and synced as it is taken.\n\n"
		"  -f, --format=FMT   text (default), json (man vmatlas-snapshot(5)) or svg\n"
		"  -p, --pages        include every page's state, run-length encoded (json)\n"
		"      --exclusive    count exclusive pages of anonymous mappings too (slower)\n"
		"  -o, --output=FILE  write to FILE atomically (mode 0600), not to stdout;\n"
		"                     FILE.gz is written gzip-compressed\n"
		"      --force        replace an existing FILE\n"
		"      --backend=B    pagemap reader: auto (default), scan or pread\n"
		"  -i, --interval=S   every S seconds append a snapshot to FILE as one\n"
		"                     JSON line (a timeline); Ctrl-C stops\n"
		"  -c, --count=N      with --interval: stop after N snapshots\n"
		"      --freeze       stop every thread during the scan for a consistent\n"
		"                     snapshot (ptrace); says how long the target was stopped\n"
		"      --sections     text: list the ELF sections under each mapping\n"
		"      --stacks       add a backtrace of every thread (ptrace: the process\n"
		"                     is stopped while unwinding)\n"
		"      --follow-forks with PROGRAM: every process it forks, and their\n"
		"                     copy-on-write comparisons, in each snapshot\n"
		"      --at-exit      with PROGRAM: a snapshot at each followed process's exit,\n"
		"                     its memory still mapped\n"
		"  -i, --interval=S   with PROGRAM: a snapshot every S seconds\n"
		"  -c, --count=N      stop (killing PROGRAM) after N snapshots\n"
		"  -q, --quiet        no status line on a terminal while a timeline or\n"
		"                     PROGRAM runs, and no summary at the end\n"
		"  -h, --help         this help\n");
}

/* Attach to and stop every thread of each of PIDS; a message on failure. */
static int snapshot_freeze(struct tracer *t, const pid_t *pids, size_t npids)
{
	char msg[512];
	int r;

	for (size_t i = 0; i < npids; i++) {
		r = tracer_attach(t, pids[i], 0);
		if (r == 0)
			r = tracer_freeze(t, pids[i]);
		if (r < 0) {
			if (r == -EINTR || vm_should_quit())
				return -EINTR;
			if (r == -ETIMEDOUT)
				snprintf(msg, sizeof(msg),
					 "process %d: a thread did not stop within 5 seconds (uninterruptible sleep?); try without --freeze",
					 (int)pids[i]);
			else
				tracer_error_describe(pids[i], r, msg, sizeof(msg));
			vm_error("--freeze: %s", msg);
			return r;
		}
	}
	return 0;
}

/* --interval SECONDS (> 0, fractions allowed) or --count N (> 0). */
static int follow_parse_number(int opt, const char *arg, struct follow_opts *fo)
{
	return cmd_parse_interval("snapshot", opt, arg, &fo->interval, &fo->count);
}

/* Backtraces of every process of S (--stacks), through *T (created when
 * NULL). 0, or -errno after saying why in one line. */
static int snapshot_stacks(struct stacks_ctx *u, struct tracer **t,
			   struct vm_snapshot *s, struct elf_cache *cache)
{
	char msg[512];
	int r = 0;

	if (!u || (!*t && !(*t = tracer_new(0)))) {
		vm_error("out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->nprocs && r == 0; i++) {
		r = stacks_attach_collect(u, *t, cache, &s->procs[i]);
		if (r < 0) {
			tracer_error_describe(s->procs[i].pid, r, msg, sizeof(msg));
			vm_error("--stacks: %s", msg);
		}
	}
	return r;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "pages", no_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "backend", required_argument, NULL, 'B' },
		{ "exclusive", no_argument, NULL, 'X' },
		{ "freeze", no_argument, NULL, 'Z' },
		{ "follow-forks", no_argument, NULL, 'W' },
		{ "at-exit", no_argument, NULL, 'E' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "stacks", no_argument, NULL, 'S' },
		{ "sections", no_argument, NULL, 'N' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Exclusive counts of private anonymous memory need a pread of every
	 * entry (2-3x the scan): only with --exclusive. */
	struct snapshot_opts so = { .pm_want = PM_WANT_EXCLUSIVE_FILE | PM_WANT_FLAGS |
					       PM_WANT_SOFTDIRTY };
	struct cmd_out o = CMD_OUT_INIT;
	bool freeze = false, stacks = false;
	struct follow_opts fo = { 0 };
	struct tracer *tracer = NULL;
	struct stacks_ctx *stk = NULL;
	struct vm_snapshot *s = NULL;
	struct outfile out;
	pid_t *pids = NULL, failed = 0;
	size_t npids;
	int c, r, ret = 1;

	optind = 1;
	while ((c = cmd_getopt("snapshot", argc, argv, "f:po:hi:c:q", opts)) != -1) {
		int k = cmd_out_option(&o, c, optarg);

		if (k > 0)
			continue;
		if (k < 0)
			return EXIT_USAGE;
		switch (c) {
		case 'B':
			if (strcmp(optarg, "auto") == 0)
				so.backend = PM_BACKEND_AUTO;
			else if (strcmp(optarg, "scan") == 0)
				so.backend = PM_BACKEND_SCAN;
			else if (strcmp(optarg, "pread") == 0)
				so.backend = PM_BACKEND_PREAD;
			else {
				vm_error("unknown backend '%s' (auto, scan or pread)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'X':
			so.pm_want |= PM_WANT_EXCLUSIVE;
			break;
		case 'Z':
			freeze = true;
			break;
		case 'W':
			fo.forks = true;
			break;
		case 'E':
			fo.at_exit = true;
			break;
		case 'i':
		case 'c':
			if (follow_parse_number(c, optarg, &fo) < 0)
				return EXIT_USAGE;
			break;
		case 'S':
			stacks = true;
			break;
		case 'N':
			o.flags |= OUT_SECTIONS;
			break;
		case 'q':
			fo.quiet = true;
			break;
		case 'h':
			snapshot_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	cmd_out_format_from_name(&o, true);
	if (o.flags & OUT_PAGES)
		so.pm_want |= PM_WANT_RUNS;
	/* "-- PROGRAM": launch it (the "--" was not -o's argument). */
	if (optind > 1 && optind < argc && strcmp(argv[optind - 1], "--") == 0 &&
	    o.path != argv[optind - 1] &&
	    (fo.forks || fo.at_exit || fo.interval > 0 || fo.count ||
	     (argv[optind][0] != '-' && !isdigit((unsigned char)argv[optind][0])))) {
		if (freeze) {
			vm_error("snapshot: --freeze is for PIDs, not a launched PROGRAM");
			return EXIT_USAGE;
		}
		if (!fo.at_exit && fo.interval <= 0) {
			vm_error("snapshot: give --at-exit and/or --interval to say when to take snapshots of PROGRAM");
			return EXIT_USAGE;
		}
		so.elf_cache = elf_cache_new();
		fo.gzip = output_wants_gzip(o.path);
		ret = follow_launch(argv + optind, &fo, &so, &o);
		elf_cache_free(so.elf_cache);
		return ret;
	}
	if (fo.forks || fo.at_exit) {
		vm_error("snapshot: --follow-forks and --at-exit apply to a launched program: -- PROGRAM [ARGS...]");
		return EXIT_USAGE;
	}
	if (fo.count && fo.interval <= 0) {
		vm_error("--count needs --interval");
		return EXIT_USAGE;
	}
	if (fo.interval > 0 && freeze) {
		vm_error("--freeze takes one snapshot: it does not combine with --interval");
		return EXIT_USAGE;
	}
	/* A timeline is JSON Lines whatever the default: an asked-for text or
	 * SVG would be silently replaced. */
	if (fo.interval > 0 && (o.format == FMT_SVG || (o.format_given && o.format == FMT_TEXT))) {
		vm_error("--interval writes a JSON Lines timeline: --format=%s does not apply",
			 o.format == FMT_SVG ? "svg" : "text");
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		vm_error("snapshot: no PID given (see 'vmatlas snapshot --help')");
		return EXIT_USAGE;
	}
	pids = calloc((size_t)(argc - optind), sizeof(*pids));
	if (!pids) {
		vm_error("out of memory");
		return 1;
	}
	if ((r = cmd_parse_pids(argv + optind, (size_t)(argc - optind), pids)) < 0) {
		free(pids);
		return r == -EXDEV ? 1 : EXIT_USAGE;
	}

	if (fo.interval > 0) {
		struct capture_opts co = { .output = o.path, .force = o.force,
					   .gzip = output_wants_gzip(o.path), .interval = fo.interval,
					   .count = fo.count, .flags = o.flags, .quiet = fo.quiet };

		so.elf_cache = elf_cache_new();
		ret = capture_timeline(pids, (size_t)(argc - optind), &so, &co);
		elf_cache_free(so.elf_cache);
		free(pids);
		return ret;
	}
	/* Open the output first: a refused file is reported before the work,
	 * and nothing is visible under its name until the snapshot is whole. */
	if (cmd_output_open(&out, o.path, o.force) < 0) {
		free(pids);
		return 1;
	}

	so.elf_cache = elf_cache_new();
	npids = (size_t)(argc - optind);
	if (freeze) {
		tracer = tracer_new(0);
		if (!tracer) {
			vm_error("out of memory");
			outfile_abort(&out);
			goto out;
		}
		r = snapshot_freeze(tracer, pids, npids);
		if (r < 0) {
			outfile_abort(&out);
			goto out;
		}
		/* The mapped files are read once the target runs again
		 * (the unwinder of --stacks reads them while it is stopped). */
		so.defer_classify = !stacks;
	}
	s = snapshot_take(pids, npids, &so, &failed);
	if (stacks)
		stk = stacks_ctx_new();
	if (s && stacks && snapshot_stacks(stk, &tracer, s, so.elf_cache) < 0) {
		vm_snapshot_free(s);
		s = NULL;
		errno = 0;
	}
	if (stacks && !freeze)
		tracer_detach_all(tracer); /* stopped only while unwinding */
	if (freeze) {
		unsigned long long ns, most = 0;

		for (size_t i = 0; i < npids; i++)
			if (tracer_thaw(tracer, pids[i], &ns) == 0 && ns > most)
				most = ns;
		tracer_detach_all(tracer);
		if (s) {
			s->live = false;
			s->frozen_ms = (double)most / 1e6;
			if (so.defer_classify)
				snapshot_classify(s, so.elf_cache);
		}
		/* Stacks copied while frozen are unwound now that it runs. */
		for (size_t i = 0; s && stacks && stk && i < s->nprocs; i++)
			if (stacks_finish(stk, so.elf_cache, &s->procs[i]) == -ENOMEM) {
				vm_error("out of memory");
				vm_snapshot_free(s);
				s = NULL;
				errno = 0;
			}
	}
	if (vm_should_quit()) {
		outfile_abort(&out);
		goto out;
	}
	if (!s && errno == 0) {
		outfile_abort(&out); /* said by snapshot_stacks */
		goto out;
	}
	if (!s) {
		char msg[512];
		pid_error_describe(failed, errno, msg, sizeof(msg));
		vm_error("%s", msg);
		outfile_abort(&out);
		goto out;
	}
	ret = snapshot_render(s, o.format, o.flags, &out);
	if (ret == 0)
		cmd_note_unread();
out:
	tracer_free(tracer);
	stacks_ctx_free(stk);
	vm_snapshot_free(s);
	elf_cache_free(so.elf_cache);
	free(pids);
	if (ret != 0 && vm_should_quit())
		ret = 128 + vm_quit_signal;
	return ret;
}
