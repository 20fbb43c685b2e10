/* vmatlas faults [OPTIONS] PID... | -- PROGRAM [ARGS]: record page faults
 * for a while, then report them by process, type, mapping and code. The
 * processes are never stopped: the kernel writes the events into ring
 * buffers, and symbols are read afterwards. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "progress.h"
#include "vmatlas/faults.h"
#include "vmatlas/json.h"
#include "vmatlas/outfile.h"
#include "vmatlas/piderr.h"
#include "vmatlas/procfs.h"
#include "vmatlas/render.h"
#include "vmatlas/util.h"

#define MAX_PIDS 256

static void faults_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas faults [OPTIONS] PID...\n"
		"       vmatlas faults [OPTIONS] -- PROGRAM [ARGS...]\n"
		"Record the page faults of processes (every thread) and report them: per\n"
		"process (with the kernel's own count), per type (first_touch, file, swap_in,\n"
		"cow, other), per mapping, and by the function of the faulting instruction.\n"
		"The processes are never stopped. Needs root (or CAP_PERFMON).\n\n"
		"  -d, --duration=S   record S seconds (default: until Ctrl-C, or the end\n"
		"                     of the processes)\n"
		"      --follow-forks record their descendants too, existing and new\n"
		"      --sample=N     record every Nth fault only (cheaper; counts become\n"
		"                     estimates)\n"
		"      --callchains   the calling functions too (where frame pointers are kept)\n"
		"  -f, --format=FMT   text (default) or json (\"vmatlas-faults\", man 5 vmatlas-snapshot)\n"
		"  -o, --output=FILE  write to FILE atomically (mode 0600), not to stdout\n"
		"      --force        replace an existing FILE\n"
		"  -q, --quiet        no status line on a terminal while recording, no summary\n"
		"  -h, --help         this help\n");
}

struct faults_args {
	double duration;
	struct fault_opts fo;
	struct cmd_out out;
};

static int render_text(FILE *f, const void *arg)
{
	return faults_write_text(f, arg);
}

static int render_json(FILE *f, const void *arg)
{
	json_t *d = faults_to_json(arg);
	int r;

	if (!d)
		return -ENOMEM;
	r = json_dumpf(d, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(d);
	if (r == 0 && fputc('\n', f) == EOF)
		r = -1;
	return r < 0 ? -EIO : 0;
}

/* A launched program waits on a pipe until its events are open, so
 * nothing it does from its exec on is missed. */
static pid_t launch(char *const argv[], int *go)
{
	int pfd[2];
	pid_t c;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	c = fork();
	if (c < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (c == 0) {
		char b;
		char *e;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[1]);
		if (read(pfd[0], &b, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		e = escape_untrusted(argv[0]);
		vm_error("faults: cannot run %s: %s", e ? e : "?", strerror(errno));
		_exit(127);
	}
	close(pfd[0]);
	*go = pfd[1];
	return c;
}

static bool alive(pid_t pid)
{
	struct proc_stat st;

	return procfs_read_stat(pid, &st) == 0 && st.state != 'Z' && st.state != 'X';
}

int cmd_faults(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "follow-forks", no_argument, NULL, 'k' },
		{ "sample", required_argument, NULL, 'S' },
		{ "callchains", no_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct faults_args a = { .out = CMD_OUT_INIT };
	struct fault_report rep = { 0 };
	struct faults *f = NULL;
	struct outfile out;
	pid_t pids[MAX_PIDS], child = 0;
	size_t npids;
	int c, r, go = -1, ret = 1;
	struct progress pg;
	bool quiet = false;
	char el[32];
	bool launched, child_done = false;
	uint64_t t0;

	optind = 1;
	while ((c = cmd_getopt("faults", argc, argv, "d:f:o:hq", opts)) != -1) {
		char *e;
		int k;

		switch (c) {
		case 'd':
			a.duration = strtod(optarg, &e);
			if (e == optarg || *e || !(a.duration > 0) || !isfinite(a.duration) ||
			    a.duration > 1e7) {
				vm_error("faults: --duration wants seconds > 0, not '%s'", optarg);
				return EXIT_USAGE;
			}
			continue;
		case 'k':
			a.fo.follow_forks = true;
			continue;
		case 'S': {
			uint64_t v;

			if (parse_u64(optarg, &v) < 0 || v < 1 || v > 1000000000) {
				vm_error("faults: --sample wants a number from 1 to 1000000000, not '%s'",
					 optarg);
				return EXIT_USAGE;
			}
			a.fo.sample = (unsigned)v;
			continue;
		}
		case 'c':
			a.fo.callchains = true;
			continue;
		case 'q':
			quiet = true;
			continue;
		case 'f':
			a.out.format_given = true;
			if (cmd_parse_text_json("faults", optarg, &a.out.format) < 0)
				return EXIT_USAGE;
			continue;
		case 'h':
			faults_usage(stdout);
			return 0;
		default:
			k = cmd_out_option(&a.out, c, optarg);
			if (k > 0)
				continue;
			return EXIT_USAGE;
		}
	}
	cmd_out_format_from_name(&a.out, false);
	launched = optind > 1 && optind < argc && strcmp(argv[optind - 1], "--") == 0;
	if (!launched) {
		npids = (size_t)(argc - optind);
		if (npids == 0) {
			vm_error("faults: give PIDs or -- PROGRAM (see 'vmatlas faults --help')");
			return EXIT_USAGE;
		}
		if (npids > MAX_PIDS) {
			vm_error("faults: at most %d PIDs", MAX_PIDS);
			return EXIT_USAGE;
		}
		if (cmd_parse_pids(argv + optind, npids, pids) < 0)
			return EXIT_USAGE;
		for (size_t i = 0; i < npids; i++) {
			struct vm_process p;

			r = procfs_collect(pids[i], &p);
			vm_process_fini(&p);
			if (r < 0) {
				char msg[512];

				pid_error_describe(pids[i], -r, msg, sizeof(msg));
				vm_error("%s", msg);
				return 1;
			}
		}
	}
	if (cmd_output_open(&out, a.out.path, a.out.force) < 0)
		return 1;
	if (launched) {
		child = launch(argv + optind, &go);
		if (child < 0) {
			vm_error("faults: cannot start the program: %s", strerror(errno));
			goto fail;
		}
		pids[0] = child;
		npids = 1;
		a.fo.on_exec = true;
	}
	r = faults_open(pids, npids, &a.fo, &f);
	if (r < 0) {
		char msg[512];

		if (r == -ESRCH) {
			pid_error_describe(pids[0], ESRCH, msg, sizeof(msg));
			vm_error("%s", msg);
		} else {
			faults_refusal(r, msg, sizeof(msg));
			vm_error("faults: %s", msg);
		}
		goto fail;
	}
	r = faults_start(f);
	if (r < 0) {
		vm_error("faults: cannot start recording: %s", strerror(-r));
		goto fail;
	}
	if (launched) {
		if (write(go, "g", 1) != 1) {
			vm_error("faults: cannot start the program: %s", strerror(errno));
			goto fail;
		}
		close(go);
		go = -1;
	} else {
		/* Said on stderr so that a caller knows recording runs. */
		fprintf(stderr, "%s: faults: recording %zu process%s%s; Ctrl-C ends\n", vm_progname,
			npids, npids == 1 ? "" : "es", a.fo.follow_forks ? " and descendants" : "");
	}
	t0 = vm_now_ns();
	if (launched)
		progress_init_lines(&pg, quiet); /* the program writes here too */
	else
		progress_init(&pg, quiet);
	while (!vm_should_quit()) {
		bool any = false;

		if (a.duration > 0)
			progress_status(&pg, false, "faults: recording %s of %.1f s", progress_elapsed(&pg, el,
					sizeof(el)), a.duration);
		else
			progress_status(&pg, false, "faults: recording %s; Ctrl-C ends",
					progress_elapsed(&pg, el, sizeof(el)));

		if (a.duration > 0 && (double)(vm_now_ns() - t0) / 1e9 >= a.duration)
			break;
		r = faults_poll(f, 100);
		if (r < 0) {
			vm_error("faults: reading the events failed: %s", strerror(-r));
			goto fail;
		}
		if (launched) {
			int st;

			if (waitpid(child, &st, WNOHANG) == child) {
				child_done = true;
				break;
			}
			continue;
		}
		for (size_t i = 0; i < npids && !any; i++)
			any = alive(pids[i]);
		if (!any)
			break;
	}
	/* Ctrl-C ended the recording; the report is still written whole. */
	vm_quit_signal = 0;
	progress_clear(&pg);
	r = faults_stop(f);
	if (r == 0)
		r = faults_report(f, &rep);
	if (r == 0)
		progress_end(&pg, "faults: %" PRIu64 " faults (%" PRIu64 " minor, %" PRIu64 " major) in %s, "
			     "%" PRIu64 " lost", rep.faults, rep.minor, rep.major,
			     progress_elapsed(&pg, el, sizeof(el)), rep.lost);
	if (r < 0) {
		vm_error("faults: %s", strerror(-r));
		goto fail;
	}
	ret = output_render(&out, a.out.format == FMT_JSON ? render_json : render_text, &rep);
	goto done;
fail:
	outfile_abort(&out);
done:
	if (go >= 0)
		close(go);
	fault_report_fini(&rep);
	faults_close(f);
	if (launched && child > 0 && !child_done) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return ret;
}
