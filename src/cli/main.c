/* vmatlas: a process's virtual memory, the way textbooks draw it. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vmatlas/elfinfo.h"
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
	{ "family", cmd_family, "a process and its descendants: PSS, USS, sharing, copy-on-write erosion" },
	{ "addr", cmd_addr, "what is at addresses of a process: mapping, section, symbol, page" },
	{ "stacks", cmd_stacks, "backtraces of every thread of a process" },
	{ "faults", cmd_faults, "record page faults: by process, type, mapping and code" },
	{ "view", cmd_view, "show a saved snapshot or timeline (or draw it as SVG)" },
	{ "diff", cmd_diff, "compare two snapshots (files or live processes)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: vmatlas PID | vmatlas -- PROGRAM [ARGS] | vmatlas COMMAND [OPTIONS] [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'vmatlas help COMMAND' (or 'vmatlas COMMAND --help') describes a command;\n"
		"man vmatlas(1) all of them. Options may follow the PID and other operands.\n");
}

/* `vmatlas help COMMAND`: that command's --help, as git help does. */
static int help_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			char *argv[] = { (char *)name, (char *)"--help", NULL };

			return commands[i].run(2, argv);
		}
	}
	{
		char *e = escape_untrusted(name);
		vm_error("help: unknown command '%s' (see 'vmatlas --help')", e ? e : "?");
		free(e);
	}
	return EXIT_USAGE;
}

/* Options of `vmatlas watch` without a value that may start `vmatlas
 * [WATCH-OPTIONS] PID`. */
static bool is_watch_flag(const char *arg)
{
	static const char *const flags[] = { "--no-color", "--no-colour", "--ascii",
					     "--no-trace", "--no-follow", "--track-writes",
					     "--faults" };

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
		if (argc > 2 && strcmp(argv[1], "help") == 0)
			return help_command(argv[2]);
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
	/* --read-remote and --read-timeout S, for every command: read mapped
	 * files on FUSE, NFS and CIFS mounts too (elf_allow_remote); wait S
	 * seconds for a mapped file (elf_read_timeout). Options end at "--". */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		int used = 0;

		if (strcmp(argv[i], "--read-remote") == 0) {
			elf_allow_remote(true);
			used = 1;
		} else if (strncmp(argv[i], "--read-timeout", 14) == 0 &&
			   (argv[i][14] == '=' || argv[i][14] == '\0')) {
			const char *arg = argv[i][14] == '=' ? argv[i] + 15 : i + 1 < argc ? argv[i + 1] : NULL;
			double sec = 0;
			char *end = NULL;

			if (arg) {
				errno = 0;
				sec = strtod(arg, &end);
			}
			if (!arg || errno || end == arg || *end || !(sec >= 0.001 && sec <= 3600)) {
				char *e = arg ? escape_untrusted(arg) : NULL;

				vm_error("--read-timeout wants seconds from 0.001 to 3600, not '%s'", e ? e : "");
				free(e);
				return EXIT_USAGE;
			}
			elf_read_timeout((unsigned)(sec * 1000 + 0.5));
			used = argv[i][14] == '=' ? 1 : 2;
		}
		if (used) {
			memmove(&argv[i], &argv[i + used], (size_t)(argc - i - used + 1) * sizeof(*argv));
			argc -= used;
			i--;
		}
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
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
