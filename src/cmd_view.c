/* vmatlas view FILE [--svg OUT.svg] [--format=text|json|svg] [--index=N]:
 * a saved snapshot or timeline, offline. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "vmatlas/output.h"
#include "vmatlas/snapread.h"
#include "vmatlas/util.h"

static void view_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas view [OPTIONS] FILE\n"
		"Show a saved snapshot or timeline (JSON, JSON Lines, optionally gzip).\n\n"
		"  -f, --format=FMT   text, json or svg: print instead of opening the screen\n"
		"      --svg=OUT      write the picture to OUT (a timeline: a chart over time)\n"
		"  -n, --index=N      the Nth snapshot of a timeline (1 = first, -1 = last)\n"
		"  -o, --output=FILE  write to FILE atomically instead of stdout\n"
		"      --force        replace an existing output file\n"
		"  -h, --help         this help\n");
}

/* Load FILE and report its warning; NULL after printing the error. */
struct vm_timeline *view_load(const char *path)
{
	struct snapread_error err;
	struct vm_timeline *t = snapshot_read_file(path, &err);

	if (!t) {
		vm_error("%s", err.msg);
		return NULL;
	}
	if (t->warning)
		vm_error("warning: %s", t->warning);
	return t;
}

static int render_timeline(FILE *f, const void *arg)
{
	const struct vm_timeline *t = arg;

	return timeline_write_svg(f, t->snaps, t->nsnaps);
}

int view_interactive(struct vm_timeline *t, const char *name)
{
	return -ENOSYS;
}

int cmd_view(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "svg", required_argument, NULL, 'S' },
		{ "index", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum snapshot_fmt format = FMT_TEXT;
	bool have_format = false, force = false;
	const char *output = "-", *file = NULL;
	struct vm_timeline *t = NULL;
	struct outfile out;
	long index = 0;
	int c, r, ret = 1;

	optind = 1;
	/* Options may follow FILE: "vmatlas view FILE --svg OUT.svg". */
	while ((c = cmd_getopt("view", argc, argv, "f:n:o:h", opts)) != -1 || optind < argc) {
		if (c == -1) {
			if (file) {
				vm_error("view: one FILE only (see 'vmatlas view --help')");
				return EXIT_USAGE;
			}
			file = argv[optind++];
			continue;
		}
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
	if (!file) {
		vm_error("view: no FILE given (see 'vmatlas view --help')");
		return EXIT_USAGE;
	}
	t = view_load(file);
	if (!t)
		return 1;
	if (!have_format && isatty(STDOUT_FILENO)) {
		r = view_interactive(t, file);
		if (r != -ENOSYS) {
			ret = r < 0 ? 1 : 0;
			goto out;
		}
		/* Built without the live screen: print the text form. */
	}
	if (index < 0 ? (size_t)-index > t->nsnaps : (size_t)index > t->nsnaps) {
		vm_error("--index=%ld: the file holds %zu snapshot%s", index, t->nsnaps,
			 t->nsnaps == 1 ? "" : "s");
		ret = EXIT_USAGE;
		goto out;
	}
	r = outfile_open(&out, output, force);
	if (r < 0) {
		outfile_report_open_error(output, r);
		goto out;
	}
	if (format == FMT_SVG && t->nsnaps > 1 && index == 0)
		ret = output_render(&out, render_timeline, t);
	else
		ret = snapshot_render(t->snaps[index < 0 ? t->nsnaps - (size_t)-index
					       : index > 0 ? (size_t)index - 1 : t->nsnaps - 1],
				      format, OUT_PAGES, &out);
out:
	vm_timeline_free(t);
	return ret;
}
