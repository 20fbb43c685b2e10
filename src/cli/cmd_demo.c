/* vmatlas demo: launch the bundled demo program and show its layout. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "vmatlas/cow.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/outfile.h"
#include "vmatlas/piderr.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/tracer.h"
#include "vmatlas/tui.h"
#include "vmatlas/util.h"

char *demo_program_path(void)
{
	char self[PATH_MAX], *slash, *path = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&path, "%s/vmatlas-demo", self) < 0)
				path = NULL;
			if (path && access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	path = strdup(PKGLIBEXECDIR "/vmatlas-demo");
	if (path && access(path, X_OK) == 0)
		return path;
	free(path);
	errno = ENOENT;
	return NULL;
}

/* Start the demo, on terminal TTY (a pty slave) unless it is -1; it
 * reports "ready PARENT CHILD" on a pipe. The demo dies with vmatlas
 * (PR_SET_PDEATHSIG in the child before exec). */
static int demo_start(pid_t *parent, pid_t *child, int tty)
{
	char *prog = demo_program_path();
	int fds[2], r = -1;
	char buf[128], env[32];
	ssize_t n, got = 0;
	pid_t pid;

	if (!prog) {
		vm_error("the demo program vmatlas-demo is not installed (looked beside vmatlas and in %s)",
			 PKGLIBEXECDIR);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		vm_error("pipe: %s", strerror(errno));
		free(prog);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int fd = dup(fds[1]); /* without O_CLOEXEC: inherited by the demo */
		snprintf(env, sizeof(env), "%d", fd);
		setenv("VMATLAS_DEMO_READY_FD", env, 1);
		if (tty >= 0 && pty_make_controlling(tty) < 0)
			_exit(127);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(prog, "vmatlas-demo", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		vm_error("fork: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) <= 0)
			break;
		n = read(fds[0], buf + got, sizeof(buf) - 1 - (size_t)got);
		if (n <= 0)
			break;
		got += n;
		buf[got] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	buf[got] = '\0';
	if (sscanf(buf, "ready %d %d", parent, child) != 2) {
		vm_error("the demo program %s did not start", prog);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	r = 0;
out:
	close(fds[0]);
	free(prog);
	return r;
}

static void demo_stop(pid_t parent)
{
	kill(parent, SIGKILL); /* its child follows: PR_SET_PDEATHSIG */
	waitpid(parent, NULL, 0);
}

/* The demo under the live screen, on the COW view: attached (it is our
 * child) with its forked child, so quitting detaches and then the demo is
 * killed. It runs on a terminal of its own (the Output view). */
static int demo_watch(const struct tui_opts *opts)
{
	struct tui_opts o = *opts;
	struct tui_source *src;
	struct tracer *tr;
	pid_t pids[2];
	char err[512];
	int ret = 1, master, slave, r;

	r = screen_pty_open(&master, &slave);
	if (r < 0) {
		vm_error("cannot open a terminal for the demo: %s", strerror(-r));
		return 1;
	}
	r = demo_start(&pids[0], &pids[1], slave);
	close(slave);
	if (r < 0)
		goto out;
	o.has_pty = true;
	o.pty_fd = master;
	o.pty_name = "vmatlas-demo";
	tr = tracer_new(TRACER_FOLLOW | TRACER_THREAD);
	if (!tr) {
		vm_error("cannot set up tracing: %s", strerror(errno));
		demo_stop(pids[0]);
		goto out;
	}
	src = tui_source_live_new(tr, pids[0], NULL, err, sizeof(err));
	if (!src) {
		vm_error("%s", err);
		demo_stop(pids[0]);
		goto out;
	}
	ret = watch_run_source(src, &o);
	demo_stop(pids[0]);
out:
	close(master);
	return ret;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "delay", required_argument, NULL, 'd' },
		{ "no-color", no_argument, NULL, 'C' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapshot_opts so = { .pm_want = PM_WANT_EXCLUSIVE | PM_WANT_FLAGS | PM_WANT_SOFTDIRTY };
	struct tui_opts to = { .delay = 1.0, .initial_view = TUI_VIEW_COW,
			       .source_line = "demo (killed on quit), following forks" };
	enum snapshot_fmt format = FMT_TEXT;
	bool have_format = false;
	char why[256];
	struct vm_snapshot *s = NULL;
	struct outfile out;
	pid_t pids[2], failed = 0;
	int c, ret = 1;

	optind = 1;
	while ((c = cmd_getopt("demo", argc, argv, "f:d:h", opts)) != -1) {
		int w = watch_parse_opt(c, optarg, &to);

		if (w < 0)
			return EXIT_USAGE;
		if (w > 0)
			continue;
		switch (c) {
		case 'f':
			have_format = true;
			if (snapshot_parse_format(optarg, &format) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			printf("Usage: vmatlas demo [-d SECONDS] [--no-color] [--ascii]\n"
			       "       vmatlas demo --format=text|json\n"
			       "Run the bundled demo program (a textbook layout, a thread and three\n"
			       "forked workers writing their copy-on-write pages at three paces)\n"
			       "and show it live on the COW view (the first worker's divergence\n"
			       "from its parent; the Tree view shows the family), or\n"
			       "print one snapshot of it with --format. It runs until you quit;\n"
			       "the demo (parent and child) is killed when vmatlas quits.\n");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vm_error("demo: unexpected argument (see 'vmatlas demo --help')");
		return EXIT_USAGE;
	}
	if (!have_format) {
		if (tui_terminal_usable(why, sizeof(why)) < 0) {
			vm_error("%s: use 'vmatlas demo --format=text' (or json) to print one snapshot, or 'vmatlas snapshot PID'",
				 why);
			return 1;
		}
		return demo_watch(&to);
	}
	if (demo_start(&pids[0], &pids[1], -1) < 0)
		return 1;
	usleep(500 * 1000); /* let the child diverge a little */
	so.elf_cache = elf_cache_new();
	s = snapshot_take(pids, 2, &so, &failed);
	if (!s) {
		char msg[512];
		pid_error_describe(failed, errno, msg, sizeof(msg));
		vm_error("%s", msg);
		goto out;
	}
	/* The forked child's divergence from its parent. */
	c = cow_snapshot_add_pair(s, 0, 1, format == FMT_TEXT);
	if (c < 0)
		vm_error("cannot compare the demo's parent and child: %s", strerror(-c));
	if (outfile_open(&out, "-", false) == 0)
		ret = snapshot_render(s, format, 0, &out);
out:
	demo_stop(pids[0]);
	vm_snapshot_free(s);
	elf_cache_free(so.elf_cache);
	return ret;
}
