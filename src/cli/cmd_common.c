/* Option handling shared by the commands, each saying its error once. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/procfs.h"
#include "vmatlas/model.h"
#include "vmatlas/outfile.h"
#include "vmatlas/util.h"

void cmd_output_error(const char *path, int err)
{
	char *e = escape_untrusted(path);

	if (err == -EEXIST)
		vm_error("%s exists (use --force to replace it)", e ? e : "?");
	else if (err == -EINVAL || err == -ENXIO)
		/* ENXIO: a FIFO without a reader, opened O_NONBLOCK. */
		vm_error("%s is not a regular file: refusing to write to it",
			 e ? e : "?");
	else if (err == -ELOOP)
		vm_error("%s is a symbolic link: refusing to write through it", e ? e : "?");
	else
		vm_error("cannot create %s: %s", e ? e : "?", strerror(-err));
	free(e);
}

int cmd_output_open(struct outfile *out, const char *path, bool force)
{
	int r = outfile_open(out, path, force);

	if (r < 0)
		cmd_output_error(path, r);
	return r;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t l = strlen(suffix);

	return n >= l && strncmp(s + n - l, suffix, l) == 0;
}

void cmd_out_format_from_name(struct cmd_out *o, bool svg_ok)
{
	size_t n = strlen(o->path);

	if (o->format_given || strcmp(o->path, "-") == 0)
		return;
	if (has_suffix(o->path, n, ".gz"))
		n -= 3;
	if (has_suffix(o->path, n, ".json") || has_suffix(o->path, n, ".jsonl"))
		o->format = FMT_JSON;
	else if (svg_ok && has_suffix(o->path, n, ".svg"))
		o->format = FMT_SVG;
}

int cmd_out_option(struct cmd_out *o, int c, const char *arg)
{
	switch (c) {
	case 'f':
		o->format_given = true;
		return snapshot_parse_format(arg, &o->format) < 0 ? -1 : 1;
	case 'p':
		o->flags |= OUT_PAGES;
		return 1;
	case 'o':
		if (!*arg) {
			vm_error("-o wants a file name: an empty one names no file (- is standard output)");
			return -1;
		}
		o->path = arg;
		return 1;
	case 'F':
		o->force = true;
		return 1;
	default:
		return 0;
	}
}

int cmd_check_namespace(void)
{
	char msg[512];

	if (procfs_check_namespace(msg, sizeof(msg)) == 0)
		return 0;
	vm_error("%s", msg);
	return -EXDEV;
}

void cmd_note_unread(void)
{
	static size_t remote_said, timeout_said;
	size_t n;

	if ((n = elf_remote_skipped()) > remote_said) {
		remote_said = n;
		vm_error("note: files mapped from FUSE, NFS or CIFS mounts were not read (their mappings are typed by permissions; --read-remote reads them)");
	}
	if ((n = elf_timeout_skipped()) > timeout_said) {
		timeout_said = n;
		vm_error("note: mapped files that did not answer within the deadline were not read (their mappings are typed by permissions, marked \"unread\": \"timeout\" in JSON; --read-timeout S waits longer)");
	}
}

int cmd_parse_interval(const char *cmd, int opt, const char *arg, double *interval,
		       unsigned long *count)
{
	char *end, *e;
	uint64_t n;

	if (opt == 'i') {
		errno = 0;
		*interval = strtod(arg, &end);
		if (errno == 0 && end != arg && *end == '\0' && *interval >= 0.001 &&
		    *interval <= 86400.0 * 365)
			return 0;
	} else if (parse_u64(arg, &n) == 0 && n > 0 && n <= ULONG_MAX) {
		*count = (unsigned long)n;
		return 0;
	}
	e = escape_untrusted(arg);
	if (opt == 'i')
		vm_error("%s: --interval wants seconds from 0.001 (one millisecond) to 31536000 (a year), not '%s'",
			 cmd, e ? e : "?");
	else
		vm_error("%s: --count wants a positive number, not '%s'", cmd, e ? e : "?");
	free(e);
	return -EINVAL;
}

int cmd_parse_pids(char *const *args, size_t n, pid_t *pids)
{
	for (size_t i = 0; i < n; i++) {
		if (parse_pid(args[i], &pids[i]) < 0) {
			char *e = escape_untrusted(args[i]);
			vm_error("'%s' is not a process ID (a positive decimal number)", e ? e : "?");
			free(e);
			return -EINVAL;
		}
	}
	return cmd_check_namespace();
}

int cmd_parse_text_json(const char *cmd, const char *arg, enum snapshot_fmt *format)
{
	char *e;

	if (strcmp(arg, "text") == 0 || strcmp(arg, "json") == 0) {
		*format = arg[0] == 't' ? FMT_TEXT : FMT_JSON;
		return 0;
	}
	e = escape_untrusted(arg);
	vm_error("%s: unknown format '%s' (text or json)", cmd, e ? e : "?");
	free(e);
	return -EINVAL;
}

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
		return cmd_check_namespace() == 0 ? 0 : 1;
	e = escape_untrusted(arg);
	vm_error("'%s' is not a process ID (a positive decimal number)", e ? e : "?");
	free(e);
	return EXIT_USAGE;
}

int snapshot_parse_format(const char *arg, enum snapshot_fmt *format)
{
	static const char *const names[] = { [FMT_TEXT] = "text", [FMT_JSON] = "json",
					     [FMT_SVG] = "svg" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0) {
			*format = (enum snapshot_fmt)i;
			return 0;
		}
	{
		char *e = escape_untrusted(arg);
		vm_error("unknown format '%s' (text, json or svg)", e ? e : "?");
		free(e);
	}
	return -EINVAL;
}
