/* vmatlas view FILE [--svg OUT.svg] [--format=text|json|svg] [--index=N]:
 * a saved snapshot or timeline, offline. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "vmatlas/render.h"
#include "vmatlas/outfile.h"
#include "vmatlas/snapread.h"
#include "vmatlas/tui.h"
#include "vmatlas/util.h"

static void view_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas view [OPTIONS] FILE\n"
		"Show a saved snapshot or timeline (JSON, JSON Lines, optionally gzip);\n"
		"FILE - (or /dev/stdin) reads standard input.\n\n"
		"On a terminal it opens the live screen offline ([ and ] step through a\n"
		"timeline); into a pipe or with --format it prints.\n\n"
		"  -f, --format=FMT   text, json or svg: print instead of opening the screen\n"
		"      --svg=OUT      write the picture to OUT (a timeline: a chart over time;\n"
		"                     a family's: each member's erosion curve)\n"
		"  -n, --index=N      the Nth snapshot of a timeline (1 = first, -1 = last,\n"
		"                     the default)\n"
		"  -o, --output=FILE  write to FILE atomically instead of stdout\n"
		"      --force        replace an existing output file\n"
		"      --no-color     the screen without colours\n"
		"      --ascii        the screen without UTF-8 block characters\n"
		"  -h, --help         this help\n");
}

static int render_timeline(FILE *f, const void *arg)
{
	const struct vm_timeline *t = arg;

	/* A family's timeline (vmatlas family --interval): its erosion. */
	if (t->snaps[0]->family)
		return family_timeline_write_svg(f, t->snaps, t->nsnaps);
	return timeline_write_svg(f, t->snaps, t->nsnaps);
}

/* ---- the live screen on a file ----------------------------------------
 * A source for tui_run() (include/vmatlas/tui.h) that hands out the
 * snapshots of a file: the timeline keeps owning them, so release() has
 * nothing to do, and refresh() has something new only the first time. */

struct file_source {
	struct tui_source src;
	const struct vm_timeline *t; /* borrowed */
	char *name;                  /* escaped for the screen */
	size_t pos;                  /* the snapshot shown */
	bool handed;                 /* refresh() gave the first one */
};

static int file_refresh(struct tui_source *src, const struct tui_want *want,
			struct vm_snapshot **out)
{
	struct file_source *f = src->priv;

	if (f->handed)
		return 0;
	f->handed = true;
	*out = f->t->snaps[f->pos];
	return 1;
}

static void file_release(struct tui_source *src, struct vm_snapshot *s)
{
}

static void file_describe(struct tui_source *src, char *buf, size_t len)
{
	struct file_source *f = src->priv;

	/* The header says when it was taken; a long name is cut last. */
	if (f->t->nsnaps > 1)
		snprintf(buf, len, "snapshot %zu of %zu  ([ ] step)  %s", f->pos + 1,
			 f->t->nsnaps, f->name);
	else
		snprintf(buf, len, "%s", f->name);
}

static bool file_is_live(const struct tui_source *src)
{
	return false;
}

static int file_step(struct tui_source *src, int dir, struct vm_snapshot **out)
{
	struct file_source *f = src->priv;

	if ((dir < 0 && f->pos == 0) || (dir > 0 && f->pos + 1 >= f->t->nsnaps))
		return 0;
	f->pos = dir < 0 ? f->pos - 1 : f->pos + 1;
	*out = f->t->snaps[f->pos];
	return 1;
}

static void file_close(struct tui_source *src)
{
	struct file_source *f = src->priv;

	free(f->name);
	free(f);
}

/* A file of one snapshot steps nowhere: [ and ] say it is the first or
 * the last. */
static const struct tui_source_ops file_ops = {
	.refresh = file_refresh,
	.release = file_release,
	.describe = file_describe,
	.is_live = file_is_live,
	.step = file_step,
	.close = file_close,
};

/* The screen on T, starting at snapshot START (0-based); an exit status. */
static int view_interactive(const struct vm_timeline *t, const char *name, size_t start,
			    const struct tui_opts *o)
{
	struct file_source *f = calloc(1, sizeof(*f));
	char why[256];

	if (tui_terminal_usable(why, sizeof(why)) < 0) {
		vm_error("%s: use 'vmatlas view --format=text FILE' or --svg", why);
		free(f);
		return 1;
	}
	if (!f || !(f->name = escape_untrusted(name))) {
		free(f);
		vm_error("out of memory");
		return 1;
	}
	f->t = t;
	f->pos = start;
	f->src.ops = &file_ops;
	f->src.priv = f;
	return watch_run_source(&f->src, o);
}

int cmd_view(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "svg", required_argument, NULL, 'S' },
		{ "index", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "no-color", no_argument, NULL, 'C' },
		{ "no-colour", no_argument, NULL, 'C' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tui_opts o = { .delay = 1.0, .initial_view = -1 };
	enum snapshot_fmt format = FMT_TEXT;
	bool have_format = false, force = false;
	const char *output = "-", *file = NULL;
	struct vm_timeline *t = NULL;
	struct outfile out;
	long index = 0;
	size_t pos;
	int c, r, ret = 1;

	optind = 1;
	while ((c = cmd_getopt("view", argc, argv, "f:n:o:h", opts)) != -1) {
		r = watch_parse_opt(c, optarg, &o);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'f':
			if (snapshot_parse_format(optarg, &format) < 0)
				return EXIT_USAGE;
			have_format = true;
			break;
		case 'S':
			format = FMT_SVG;
			have_format = true;
			output = optarg;
			break;
		case 'n': {
			char *end;
			errno = 0;
			index = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || index == 0) {
				vm_error("--index wants a snapshot number (1 = first, -1 = last)");
				return EXIT_USAGE;
			}
			break;
		}
		case 'o':
			if (!*optarg) {
				vm_error("-o wants a file name: an empty one names no file (- is standard output)");
				return EXIT_USAGE;
			}
			output = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'h':
			view_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		vm_error("view: no FILE given (see 'vmatlas view --help')");
		return EXIT_USAGE;
	}
	if (argc - optind > 1) {
		vm_error("view: one FILE only (see 'vmatlas view --help')");
		return EXIT_USAGE;
	}
	file = argv[optind];
	t = view_load(file);
	if (!t)
		return 1;
	if (index < 0 ? (size_t)-index > t->nsnaps : (size_t)index > t->nsnaps) {
		vm_error("--index=%ld: the file holds %zu snapshot%s", index, t->nsnaps,
			 t->nsnaps == 1 ? "" : "s");
		ret = EXIT_USAGE;
		goto out;
	}
	pos = index < 0 ? t->nsnaps - (size_t)-index : index > 0 ? (size_t)index - 1 : t->nsnaps - 1;
	if (t->nsnaps == 1 && t->snaps[0]->nprocs == 0 && t->snaps[0]->ncows == 0) {
		char *e = escape_untrusted(file);

		vm_error("%s: the snapshot holds no process (its \"processes\" list is empty): nothing to show",
			 e ? e : "?");
		free(e);
		ret = 1;
		goto out;
	}
	/* The screen on a terminal; the text form into a pipe or a file. */
	if (!have_format && isatty(STDOUT_FILENO)) {
		/* The file came through standard input: the keys come from the
		 * terminal, as less takes them. */
		if (snapread_is_stdin(file) && !isatty(STDIN_FILENO)) {
			int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);

			if (tty >= 0) {
				dup2(tty, STDIN_FILENO);
				close(tty);
			}
		}
		ret = view_interactive(t, snapread_is_stdin(file) ? "standard input" : file, pos, &o);
		goto out;
	}
	r = outfile_open(&out, output, force);
	if (r < 0) {
		cmd_output_error(output, r);
		goto out;
	}
	if (format == FMT_SVG && t->nsnaps > 1 && index == 0)
		ret = output_render(&out, render_timeline, t);
	else
		ret = snapshot_render(t->snaps[pos], format, OUT_PAGES, &out);
out:
	vm_timeline_free(t);
	return ret;
}
