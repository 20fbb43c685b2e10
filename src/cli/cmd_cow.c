/* vmatlas cow [--format=text|json] [--pages] [-o FILE [--force]] PARENT CHILD */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "vmatlas/cow.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/render.h"
#include "vmatlas/outfile.h"
#include "vmatlas/piderr.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/util.h"

static void cow_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas cow [--format=text|json|svg] [--pages] [-o FILE [--force]] PARENT CHILD\n"
		"Compare the pages of two processes (a parent and its forked child, or any\n"
		"two sharing an ancestor's pages), per mapping both have: shared,\n"
		"diverged (copied on write), parent only, child only, neither.\n"
		"As root physical frames are compared (exact); otherwise the result is an\n"
		"estimate from the exclusive-mapping bit, and every output says so.\n\n"
		"  -f, --format=FMT   text (default), json (man vmatlas-snapshot(5)) or svg:\n"
		"                     parent and child side by side, page by page\n"
		"  -p, --pages        json: every page's COW state, run-length encoded\n"
		"  -o, --output=FILE  write to FILE atomically (mode 0600), not to stdout\n"
		"      --force        replace an existing FILE\n"
		"  -h, --help         this help\n");
}

/* Which of PIDS exited meanwhile (to name it in the message); else the first. */
static pid_t first_gone(const pid_t *pids, size_t n)
{
	char path[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[i]);
		if (access(path, F_OK) != 0)
			return pids[i];
	}
	return pids[0];
}

static int render_cow_svg(FILE *f, const void *arg)
{
	return cow_write_svg(f, arg, 0);
}

int cmd_cow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "pages", no_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapshot_opts so = { .pm_want = PM_WANT_FLAGS };
	struct cmd_out o = CMD_OUT_INIT;
	struct vm_snapshot *s = NULL;
	struct outfile out;
	pid_t pids[2], failed = 0;
	int c, r, ret = 1;

	optind = 1;
	while ((c = cmd_getopt("cow", argc, argv, "f:po:h", opts)) != -1) {
		int k = cmd_out_option(&o, c, optarg);

		if (k > 0)
			continue;
		if (c == 'h') {
			cow_usage(stdout);
			return 0;
		}
		return EXIT_USAGE;
	}
	cmd_out_format_from_name(&o, true);
	if (o.flags & OUT_PAGES)
		so.pm_want |= PM_WANT_RUNS;
	if (argc - optind != 2) {
		vm_error("cow: give exactly two process IDs, PARENT and CHILD (see 'vmatlas cow --help')");
		return EXIT_USAGE;
	}
	r = cmd_parse_pids(argv + optind, 2, pids);
	if (r < 0)
		return r == -EXDEV ? 1 : EXIT_USAGE;
	if (pids[0] == pids[1]) {
		vm_error("cow: PARENT and CHILD are the same process");
		return EXIT_USAGE;
	}

	/* The text shows the comparison alone: the pages of each process
	 * are read once, by it. */
	so.no_pages = o.format != FMT_JSON;
	if (cmd_output_open(&out, o.path, o.force) < 0)
		return 1;
	so.elf_cache = elf_cache_new();
	s = snapshot_take(pids, 2, &so, &failed);
	if (!s) {
		r = -errno;
		goto fail_pid;
	}
	/* Runs feed the text strips, and the JSON only with --pages. */
	r = cow_snapshot_add_pair(s, 0, 1, o.format != FMT_JSON || (o.flags & OUT_PAGES));
	if (r < 0) {
		failed = first_gone(pids, 2);
		goto fail_pid;
	}
	if (o.format == FMT_JSON) {
		ret = snapshot_render(s, FMT_JSON, o.flags, &out);
		goto out;
	}
	if (o.format == FMT_SVG) {
		ret = output_render(&out, render_cow_svg, s);
		goto out;
	}
	r = cow_write_text(out.f, s, o.flags);
	if (r == 0)
		r = outfile_commit(&out);
	else
		outfile_abort(&out);
	if (r < 0)
		vm_error("cannot write %s: %s", out.is_stdout ? "standard output" : "the output file",
			 strerror(-r));
	ret = r < 0 ? 1 : 0;
	goto out;
fail_pid:
	{
		char msg[512];
		pid_error_describe(failed ? failed : pids[0], -r, msg, sizeof(msg));
		vm_error("%s", msg);
	}
	outfile_abort(&out);
out:
	vm_snapshot_free(s);
	elf_cache_free(so.elf_cache);
	return ret;
}
