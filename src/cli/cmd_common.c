/* Option handling shared by the commands, each saying its error once. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vmatlas/output.h"
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
		o->path = arg;
		return 1;
	case 'F':
		o->force = true;
		return 1;
	default:
		return 0;
	}
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
	return 0;
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
