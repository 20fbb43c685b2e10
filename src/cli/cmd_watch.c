/* vmatlas watch [OPTIONS] PID | -- PROGRAM [ARGS...]: the live screen.
 * Also `vmatlas PID` and `vmatlas -- PROGRAM` (cli/main.c). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "vmatlas/tracer.h"
#include "vmatlas/tui.h"
#include "vmatlas/util.h"

static void watch_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas watch [OPTIONS] PID          (or: vmatlas PID)\n"
		"       vmatlas watch [OPTIONS] -- PROGRAM [ARGS...]   (or: vmatlas -- PROGRAM)\n"
		"Show a process's virtual memory live in the terminal.\n\n"
		"  -d, --delay=SECONDS  refresh interval (default 1, fractions allowed)\n"
		"      --no-color       no colours\n"
		"      --ascii          ASCII characters only (no UTF-8 blocks)\n"
		"      --no-trace       do not attach with ptrace (only read /proc)\n"
		"      --no-follow      do not follow forks (children are only read)\n"
		"      --track-writes   mark the pages written between refreshes (Pages\n"
		"                       view); resets the process's soft-dirty bits at\n"
		"                       every refresh (as key w does)\n"
		"      --faults         record page faults all the time (else only while\n"
		"                       the Faults or COW view is shown; needs root)\n"
		"  -h, --help           this help\n\n"
		"Processes forked while watched are followed (t: the process tree,\n"
		"c: their copy-on-write divergence). An attached process and its\n"
		"children are left as they were found when vmatlas quits; a PROGRAM\n"
		"started by vmatlas is killed with its children. Keys: F1 or h.\n");
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "no-color", no_argument, NULL, 'C' },
		{ "no-colour", no_argument, NULL, 'C' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "no-trace", no_argument, NULL, 'T' },
		{ "no-follow", no_argument, NULL, 'F' },
		{ "track-writes", no_argument, NULL, 'W' },
		{ "faults", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tui_opts o = { .delay = 1.0, .initial_view = -1 };
	struct tui_source *src;
	struct tracer *tr = NULL;
	bool no_trace = false, no_follow = false, launch;
	char err[512];
	pid_t pid = 0;
	int c, r, master = -1, slave = -1;

	optind = 1;
	while ((c = cmd_getopt("watch", argc, argv, "d:h", opts)) != -1) {
		r = watch_parse_opt(c, optarg, &o);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'T':
			no_trace = true;
			break;
		case 'F':
			no_follow = true;
			break;
		case 'W':
			o.track_writes = true;
			break;
		case 'P':
			o.faults = true;
			break;
		case 'h':
			watch_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	launch = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
	if (optind >= argc) {
		vm_error(launch ? "no PROGRAM after '--'" : "watch: which process? (vmatlas watch PID)");
		return EXIT_USAGE;
	}
	if (!launch) {
		if (optind + 1 < argc) {
			vm_error("watch: one PID only (see 'vmatlas watch --help')");
			return EXIT_USAGE;
		}
		if (parse_pid(argv[optind], &pid) < 0) {
			char *e = escape_untrusted(argv[optind]);
			vm_error("'%s' is not a process id (to run a program: vmatlas -- PROGRAM)",
				 e ? e : "?");
			free(e);
			return EXIT_USAGE;
		}
	} else if (no_trace) {
		vm_error("--no-trace cannot launch a program: it is started under ptrace");
		return EXIT_USAGE;
	}
	if (cmd_check_namespace() < 0)
		return 1;
	if (tui_terminal_usable(err, sizeof(err)) < 0) {
		vm_error("%s: use 'vmatlas snapshot PID' for text or JSON", err);
		return 1;
	}
	/* Started in the background (vmatlas PID &): attach only once in the
	 * foreground, so that nobody waits on a vmatlas stopped for the
	 * terminal; a Ctrl-Z from here on lets the processes go first. */
	vm_stop_signals_install();
	vm_wait_foreground(STDIN_FILENO);
	if (vm_should_quit())
		return 128 + vm_quit_signal;
	if (!no_trace) {
		tr = tracer_new(TRACER_THREAD | (no_follow ? 0 : TRACER_FOLLOW));
		if (!tr) {
			vm_error("cannot set up tracing: %s", strerror(errno));
			return 1;
		}
	}
	if (launch) {
		/* The program writes on a terminal of its own, shown in the
		 * Output view, never over the screen. */
		r = screen_pty_open(&master, &slave);
		if (r < 0) {
			vm_error("cannot open a terminal for the program: %s", strerror(-r));
			tracer_free(tr);
			return 1;
		}
		tracer_set_launch_tty(tr, slave);
		o.has_pty = true;
		o.pty_fd = master;
		o.pty_name = argv[optind];
	}
	src = tui_source_live_new(tr, pid, launch ? argv + optind : NULL, err, sizeof(err));
	if (slave >= 0)
		close(slave); /* the program has it: its exit hangs the master up */
	if (!src) {
		vm_error("%s", err);
		if (master >= 0)
			close(master);
		return vm_should_quit() ? 128 + vm_quit_signal : 1;
	}
	r = watch_run_source(src, &o);
	if (master >= 0)
		close(master);
	return r;
}
