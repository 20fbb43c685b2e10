/* vmatlas family [--format=text|json|prom] [--pages] [-o FILE [--force]]
 *                [--interval S [--count N]] PID... */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "commands.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/family.h"
#include "vmatlas/outfile.h"
#include "vmatlas/piderr.h"
#include "vmatlas/render.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/util.h"

enum { FMT_PROM = FMT_SVG + 1 };

static void family_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas family [--format=text|json|prom|svg] [--pages] [-o FILE [--force]]\n"
		"                      [--interval=S [--count=N]] PID...\n"
		"Where the memory of a family goes: PID and all its descendants (or of\n"
		"several roots). Per process RSS, PSS, USS, swap and swap PSS (the kernel's\n"
		"smaps_rollup), the memory still shared with its parent and the memory\n"
		"copied on write since (diverged); the family's footprint (every physical\n"
		"page once), how much memory is mapped by exactly k of its processes, and\n"
		"the root's mappings that its members have copied most.\n"
		"As root physical frames are compared (exact); otherwise shared, diverged,\n"
		"footprint and sharing are an estimate, and every output says so.\n\n"
		"  -f, --format=FMT   text (default), json (man vmatlas-snapshot(5)), prom\n"
		"                     (the Prometheus text exposition format) or svg (the\n"
		"                     tree, each member's RSS shared and diverged)\n"
		"  -p, --pages        json: every page's state in every member, run-length encoded\n"
		"  -o, --output=FILE  write to FILE atomically (mode 0600), not to stdout\n"
		"      --force        replace an existing FILE\n"
		"  -i, --interval=S   every S seconds append the family to FILE as one JSON\n"
		"                     line (a timeline: view --svg draws each member's\n"
		"                     diverged memory over time); Ctrl-C stops\n"
		"  -c, --count=N      with --interval: stop after N snapshots\n"
		"  -h, --help         this help\n");
}

static int family_parse_format(const char *arg, int *format)
{
	char *e;

	if (strcmp(arg, "text") == 0 || strcmp(arg, "json") == 0 || strcmp(arg, "prom") == 0 ||
	    strcmp(arg, "svg") == 0) {
		*format = arg[0] == 't' ? FMT_TEXT : arg[0] == 'j' ? FMT_JSON : arg[0] == 's' ? FMT_SVG
											: FMT_PROM;
		return 0;
	}
	e = escape_untrusted(arg);
	vm_error("family: unknown format '%s' (text, json, prom or svg)", e ? e : "?");
	free(e);
	return -EINVAL;
}

/* Is PID one of the processes of S? */
static bool snapshot_has(const struct vm_snapshot *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return true;
	return false;
}

/* The members of ROOTS as one snapshot with its family. A member that
 * exits (or turns zombie) while it is read is left out, as workers come
 * and go; a root that is gone is an error, named in *FAILED. */
static struct vm_snapshot *family_take(const pid_t *roots, size_t nroots,
				       const struct snapshot_opts *so, pid_t *failed)
{
	struct snapshot_opts o = *so;

	o.skip_gone = true;
	for (int attempt = 0;; attempt++) {
		pid_t *pids = NULL, bad = 0;
		size_t n = 0;
		struct vm_snapshot *s;
		int r = family_members(roots, nroots, &pids, &n, failed);

		if (r < 0) {
			errno = -r;
			return NULL;
		}
		s = snapshot_take(pids, n, &o, &bad);
		for (size_t i = 0; s && i < nroots; i++) {
			if (!snapshot_has(s, roots[i])) {
				vm_snapshot_free(s);
				s = NULL;
				errno = ESRCH;
				bad = roots[i];
			}
		}
		if (s && (r = family_snapshot_add(s)) < 0) {
			vm_snapshot_free(s);
			s = NULL;
			errno = -r;
			bad = roots[0];
		}
		free(pids);
		if (s)
			return s;
		r = errno;
		*failed = bad;
		for (size_t i = 0; i < nroots; i++)
			if (bad == roots[i])
				attempt = 3;
		if (r != ESRCH || attempt >= 3) {
			errno = r;
			return NULL;
		}
	}
}

struct take_arg {
	const pid_t *roots;
	size_t nroots;
	const struct snapshot_opts *so;
};

static struct vm_snapshot *family_take_cb(void *arg, pid_t *failed)
{
	const struct take_arg *a = arg;

	return family_take(a->roots, a->nroots, a->so, failed);
}

static int render_family_text(FILE *f, const void *arg)
{
	return family_write_text(f, ((const struct vm_snapshot *)arg)->family);
}

static int render_family_svg(FILE *f, const void *arg)
{
	return family_write_svg(f, arg);
}

static int render_family_prom(FILE *f, const void *arg)
{
	return family_write_prom(f, ((const struct vm_snapshot *)arg)->family);
}

int cmd_family(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "pages", no_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapshot_opts so = { .pm_want = PM_WANT_FLAGS };
	struct cmd_out o = CMD_OUT_INIT;
	struct vm_snapshot *s = NULL;
	struct outfile out;
	pid_t *roots = NULL, failed = 0;
	int c, format = FMT_TEXT, ret = 1;
	double interval = 0;
	unsigned long count = 0;
	size_t nroots;

	optind = 1;
	while ((c = cmd_getopt("family", argc, argv, "f:po:i:c:h", opts)) != -1) {
		int k;

		if (c == 'i' || c == 'c') {
			if (cmd_parse_interval("family", c, optarg, &interval, &count) < 0)
				return EXIT_USAGE;
			continue;
		}
		if (c == 'f') {
			if (family_parse_format(optarg, &format) < 0)
				return EXIT_USAGE;
			o.format_given = true;
			continue;
		}
		if ((k = cmd_out_option(&o, c, optarg)) > 0)
			continue;
		if (c == 'h') {
			family_usage(stdout);
			return 0;
		}
		return EXIT_USAGE;
	}
	if (!o.format_given) {
		cmd_out_format_from_name(&o, false);
		format = o.format;
	}
	if (count && interval <= 0) {
		vm_error("family: --count needs --interval");
		return EXIT_USAGE;
	}
	if (interval > 0 && o.format_given && format != FMT_JSON) {
		vm_error("family: --interval writes a JSON Lines timeline: --format=%s does not apply",
			 format == FMT_PROM ? "prom" : "text");
		return EXIT_USAGE;
	}
	if (argc - optind < 1) {
		vm_error("family: give the PID of the family's root (see 'vmatlas family --help')");
		return EXIT_USAGE;
	}
	nroots = (size_t)(argc - optind);
	roots = calloc(nroots, sizeof(*roots));
	if (!roots) {
		vm_error("out of memory");
		return 1;
	}
	if (cmd_parse_pids(argv + optind, nroots, roots) < 0) {
		free(roots);
		return EXIT_USAGE;
	}
	if (o.flags & OUT_PAGES)
		so.pm_want |= PM_WANT_RUNS;
	if (interval > 0) {
		struct take_arg ta = { roots, nroots, &so };
		struct capture_opts co = { .output = o.path, .force = o.force,
					   .gzip = output_wants_gzip(o.path), .interval = interval,
					   .count = count, .flags = o.flags, .take = family_take_cb,
					   .take_arg = &ta };

		so.elf_cache = elf_cache_new();
		ret = capture_timeline(roots, nroots, &so, &co);
		elf_cache_free(so.elf_cache);
		free(roots);
		return ret;
	}
	/* The text and the metrics show the family alone: no per-mapping
	 * page counts are read for them. */
	so.no_pages = format != FMT_JSON;
	if (cmd_output_open(&out, o.path, o.force) < 0) {
		free(roots);
		return 1;
	}
	so.elf_cache = elf_cache_new();
	s = family_take(roots, nroots, &so, &failed);
	if (!s) {
		char msg[512];

		if (errno == EINTR && vm_should_quit()) {
			ret = 128 + vm_quit_signal;
		} else {
			pid_error_describe(failed ? failed : roots[0], errno, msg, sizeof(msg));
			vm_error("%s", msg);
		}
		outfile_abort(&out);
		goto out;
	}
	if (format == FMT_JSON)
		ret = snapshot_render(s, FMT_JSON, o.flags, &out);
	else
		ret = output_render(&out, format == FMT_PROM ? render_family_prom :
					  format == FMT_SVG ? render_family_svg : render_family_text, s);
	if (ret == 0)
		cmd_note_unread();
out:
	vm_snapshot_free(s);
	elf_cache_free(so.elf_cache);
	free(roots);
	return ret;
}
