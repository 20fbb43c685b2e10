/* vmatlas: a process's virtual memory, the way textbooks draw it. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "watch", cmd_watch, "show a process's memory live (also: vmatlas PID, vmatlas -- PROGRAM)" },
	{ "demo", cmd_demo, "the live screen on a bundled demo whose forked child diverges" },
	{ "snapshot", cmd_snapshot, "print or save the layout and page states of processes" },
	{ "cow", cmd_cow, "compare a parent's and a child's pages: shared or copied on write" },
	{ "addr", cmd_addr, "what is at addresses of a process: mapping, section, symbol, page" },
	{ "stacks", cmd_stacks, "backtraces of every thread of a process" },
	{ "view", cmd_view, "show a saved snapshot or timeline (or draw it as SVG)" },
	{ "diff", cmd_diff, "compare two snapshots (files or live processes)" },
};

/* Operands met among the options, in order: when the options end they are
 * moved after them, so "vmatlas snapshot PID -o FILE" reads as
 * "vmatlas snapshot -o FILE PID". Everything after "--" is left in place:
 * a PROGRAM's own options stay its own. */
static struct {
	char **v;
	size_t n, cap;
} operands;

static void operands_reset(void)
{
	free(operands.v);
	memset(&operands, 0, sizeof(operands));
}

/* Options first, then the operands set aside, then "--" and what follows
 * it; optind is left at the first operand. */
static void operands_place(int argc, char **argv, const char *last_optarg)
{
	int end = optind, w = 1;
	char *dd = optind > 1 && optind <= argc ? argv[optind - 1] : NULL;
	bool dashdash = optind > 1 && optind <= argc && strcmp(argv[optind - 1], "--") == 0 &&
			argv[optind - 1] != last_optarg;

	if (dashdash)
		end = optind - 1;
	for (int r = 1; r < end; r++) {
		size_t k;

		for (k = 0; k < operands.n && operands.v[k] != argv[r]; k++)
			;
		if (k == operands.n)
			argv[w++] = argv[r];
	}
	optind = w;
	for (size_t k = 0; k < operands.n; k++)
		argv[w++] = operands.v[k];
	if (dashdash) {
		argv[w++] = dd;
		if (operands.n == 0)
			optind = w;
	}
	operands_reset();
}

int cmd_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	static const char *last_optarg;
	char spec[64];
	int c;

	if (optind <= 1) {
		operands_reset();
		last_optarg = NULL;
	}
	/* "-:" : hand back operands in order (1), report a missing argument
	 * as ':' */
	snprintf(spec, sizeof(spec), "-:%s", shortopts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, spec, longopts, NULL)) == 1) {
		if (operands.n == operands.cap) {
			size_t cap = operands.cap ? 2 * operands.cap : 8;
			char **v = realloc(operands.v, cap * sizeof(*v));

			if (!v) {
				vm_error("%s: out of memory", cmd);
				operands_reset();
				return '?';
			}
			operands.v = v;
			operands.cap = cap;
		}
		operands.v[operands.n++] = optarg;
	}
	if (c == -1) {
		operands_place(argc, argv, last_optarg);
		return -1;
	}
	last_optarg = optarg;
	if (c == '?' || c == ':') {
		const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
		char shortname[3] = { '-', (char)optopt, 0 };
		char *e = escape_untrusted(optopt && !(arg[0] == '-' && arg[1] == '-') ? shortname : arg);

		vm_error("%s: %s '%s' (see 'vmatlas %s --help')", cmd,
			 c == ':' ? "missing argument for option" : "unrecognized option",
			 e ? e : "?", cmd);
		free(e);
		operands_reset();
		return '?';
	}
	return c;
}

int cmd_format_options(const char *cmd, int argc, char **argv,
		       enum snapshot_fmt *format, void (*usage)(FILE *))
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = cmd_getopt(cmd, argc, argv, "f:h", opts)) != -1) {
		if (c == 'f' && cmd_parse_text_json(cmd, optarg, format) == 0)
			continue;
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		return EXIT_USAGE;
	}
	return -1;
}

int cmd_parse_pid(const char *arg, pid_t *pid)
{
	char *e;

	if (parse_pid(arg, pid) == 0)
		return 0;
	e = escape_untrusted(arg);
	vm_error("'%s' is not a process ID (a positive decimal number)", e ? e : "?");
	free(e);
	return EXIT_USAGE;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: vmatlas PID | vmatlas -- PROGRAM [ARGS] | vmatlas COMMAND [OPTIONS] [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'vmatlas COMMAND --help' describes a command; man vmatlas(1) all of them.\n");
}

/* Options of `vmatlas watch` without a value that may start `vmatlas
 * [WATCH-OPTIONS] PID`. */
static bool is_watch_flag(const char *arg)
{
	static const char *const flags[] = { "--no-color", "--no-colour", "--ascii",
					     "--no-trace", "--no-follow", "--track-writes" };

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(arg, flags[i]) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("%s\n", PACKAGE_STRING);
		return 0;
	}
	/* SIGINT, SIGTERM, SIGHUP, SIGPIPE set a flag; the command cleans up
	 * (detaches, restores the terminal) and exits with 128 + signal. A
	 * command that finished its work before it noticed the signal (the
	 * output is whole) exits 0. */
	vm_signals_install();
	/* `vmatlas [WATCH-OPTIONS] PID` and `vmatlas -- PROGRAM` are
	 * `vmatlas watch ...`. */
	if (strcmp(argv[1], "--") == 0 ||
	    (argv[1][0] && strspn(argv[1], "0123456789") == strlen(argv[1])) ||
	    strncmp(argv[1], "-d", 2) == 0 || strncmp(argv[1], "--delay", 7) == 0 ||
	    is_watch_flag(argv[1])) {
		int rc = cmd_watch(argc, argv);

		return rc != 0 && vm_should_quit() ? 128 + vm_quit_signal : rc;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			int rc = commands[i].run(argc - 1, argv + 1);

			return rc != 0 && vm_should_quit() ? 128 + vm_quit_signal : rc;
		}
	}
	{
		char *e = escape_untrusted(argv[1]);
		vm_error("unknown command '%s' (see 'vmatlas --help')", e ? e : "?");
		free(e);
	}
	return EXIT_USAGE;
}
