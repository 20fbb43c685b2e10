/* vmatlas diff [--format=text|json] [--pages] [--each] A [B]: what changed
 * between two snapshots. A and B are snapshot files or pid:N for a live
 * process; a timeline alone compares its first and last snapshot, or with
 * --each every step. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vmatlas/diff.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/json.h"
#include "vmatlas/render.h"
#include "vmatlas/piderr.h"
#include "vmatlas/snapread.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/util.h"

static void diff_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas diff [--format=text|json] [--pages] [--each] [--exit-code] A [B]\n"
		"Compare two snapshots. A and B are snapshot files (JSON, JSON Lines,\n"
		"gzip) or pid:N for a live process. A timeline alone: its first and\n"
		"last snapshot; with --each, every step.\n\n"
		"  -f, --format=FMT   text (default) or json\n"
		"  -p, --pages        the page ranges that changed state (needs runs:\n"
		"                     snapshots taken with --pages)\n"
		"  -e, --each         every step of a timeline\n"
		"      --exit-code    exit 1 when the snapshots differ, 0 when not\n"
		"                     (as diff: 2 on an error)\n"
		"  -h, --help         this help\n");
}

/* One side of the comparison: a snapshot and where it came from. */
struct side {
	const struct vm_snapshot *s; /* borrowed */
	const char *name;            /* borrowed, as given */
	size_t index;                /* in its timeline, from 1; 0 if alone */
};

static const struct vm_process empty_process;

/* ---- text ---------------------------------------------------------------- */

static const char *skb(char *b, size_t n, int64_t kb)
{
	char t[14];

	fmt_kb(t, sizeof(t), (uint64_t)(kb < 0 ? -kb : kb));
	snprintf(b, n, "%s%s", kb < 0 ? "-" : kb > 0 ? "+" : "", t);
	return b;
}

static void text_side(FILE *f, const char *tag, const struct side *sd, const struct vm_process *p)
{
	char when[40];
	char *n = escape_untrusted(sd->name), *c = escape_untrusted(p->comm ? p->comm : "");

	fprintf(f, "%s %s", tag, n ? n : "?");
	if (sd->index)
		fprintf(f, " #%zu", sd->index);
	fprintf(f, " (%s)", fmt_rfc3339(when, sizeof(when), &sd->s->taken_at));
	if (p != &empty_process)
		fprintf(f, " pid %d %s", (int)p->pid, c ? c : "?");
	else
		fprintf(f, " (no such process)");
	fputc('\n', f);
	free(n);
	free(c);
}

static const char *what_word(unsigned w)
{
	if (w & DIFF_ADDED)
		return "added";
	if (w & DIFF_REMOVED)
		return "removed";
	if (w & DIFF_MOVED)
		return "moved";
	if (w & DIFF_GROWN)
		return "grown";
	if (w & DIFF_SHRUNK)
		return "shrunk";
	return "changed";
}

static void text_mapping(FILE *f, const struct vm_mapping *m)
{
	char *path = escape_mapping_path(m->path, m->deleted);
	char sz[16];

	fprintf(f, "%016" PRIx64 "-%016" PRIx64 " %s %-8s %7s  %s", m->start, m->end, m->perms,
		vm_kind_name(m->kind), fmt_kb(sz, sizeof(sz), (m->end - m->start) / 1024),
		path ? path : "?");
	free(path);
}

static void text_entry(FILE *f, const struct vm_diff *d, const struct diff_entry *e)
{
	char a[16], b[16], c[16];

	fprintf(f, "%-8s ", what_word(e->what));
	text_mapping(f, e->b ? e->b : e->a);
	fputc('\n', f);
	if (e->a && e->b && (e->what & (DIFF_MOVED | DIFF_GROWN | DIFF_SHRUNK | DIFF_PERMS | DIFF_KIND))) {
		fprintf(f, "         was ");
		text_mapping(f, e->a);
		fputc('\n', f);
	}
	fprintf(f, "         size %s  resident %s (%+" PRId64 " pages)  swapped %s (%+" PRId64
		" pages)  not present %+" PRId64 " pages\n",
		skb(a, sizeof(a), e->d_virtual_kb), skb(b, sizeof(b), e->d_resident_kb),
		e->d_pages_resident, skb(c, sizeof(c), e->d_swapped_kb), e->d_pages_swapped,
		e->d_pages_not_present);
	for (size_t i = 0; i < e->nranges; i++) {
		const struct diff_range *r = &e->ranges[i];
		fprintf(f, "         pages %016" PRIx64 "-%016" PRIx64 " (%" PRIu64 "): %s -> %s\n",
			r->start, r->end, (r->end - r->start) / (uint64_t)d->page_size_b,
			r->from < 0 ? "unmapped" : vm_page_state_name(r->from),
			r->to < 0 ? "unmapped" : vm_page_state_name(r->to));
	}
}

static void text_totals(FILE *f, const struct vm_diff *d)
{
	const struct vm_totals *ta = &d->a->totals, *tb = &d->b->totals;
	char v[16], r[16], s[16];

	fprintf(f, "totals (B - A):\n  %-9s %9s %9s %9s\n", "KIND", "VIRTUAL", "RESIDENT", "SWAPPED");
	for (int k = 0; k < VK__COUNT; k++) {
		const struct vm_kind_totals *x = &ta->by_kind[k], *y = &tb->by_kind[k];
		if (!x->virtual_kb && !y->virtual_kb)
			continue;
		fprintf(f, "  %-9s %9s %9s %9s\n", vm_kind_name(k),
			skb(v, sizeof(v), (int64_t)y->virtual_kb - (int64_t)x->virtual_kb),
			skb(r, sizeof(r), (int64_t)y->resident_kb - (int64_t)x->resident_kb),
			skb(s, sizeof(s), (int64_t)y->swapped_kb - (int64_t)x->swapped_kb));
	}
	fprintf(f, "  %-9s %9s %9s %9s\n", "total",
		skb(v, sizeof(v), (int64_t)tb->virtual_kb - (int64_t)ta->virtual_kb),
		skb(r, sizeof(r), (int64_t)tb->resident_kb - (int64_t)ta->resident_kb),
		skb(s, sizeof(s), (int64_t)tb->swapped_kb - (int64_t)ta->swapped_kb));
}

static void text_diff(FILE *f, const struct vm_diff *d, const struct side *sa, const struct side *sb)
{
	size_t n[3] = { 0, 0, 0 };

	text_side(f, "---", sa, d->a);
	text_side(f, "+++", sb, d->b);
	for (size_t i = 0; i < d->nentries; i++) {
		const struct diff_entry *e = &d->entries[i];
		n[e->what & DIFF_ADDED ? 0 : e->what & DIFF_REMOVED ? 1 : 2]++;
		text_entry(f, d, e);
	}
	fprintf(f, "%zu added, %zu removed, %zu changed, %zu unchanged\n", n[0], n[1], n[2],
		d->nunchanged);
	text_totals(f, d);
}

/* ---- json ---------------------------------------------------------------- */

static json_t *hexj(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_string(b);
}

/* A name given by the user or read from a file, as a JSON string. */
static json_t *jname(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *e;

	if (j)
		return j;
	e = escape_untrusted(s);
	j = json_string(e ? e : "?");
	free(e);
	return j;
}

static json_t *side_json(const struct side *sd, const struct vm_process *p)
{
	char when[40];
	json_t *o = json_object();

	json_object_set_new(o, "source", jname(sd->name));
	if (sd->index)
		json_object_set_new(o, "index", json_integer((json_int_t)sd->index));
	json_object_set_new(o, "taken_at", json_string(fmt_rfc3339(when, sizeof(when), &sd->s->taken_at)));
	if (p != &empty_process) {
		json_object_set_new(o, "pid", json_integer(p->pid));
		json_object_set_new(o, "comm", jname(p->comm));
	} else {
		json_object_set_new(o, "pid", json_null());
	}
	return o;
}

static json_t *delta3(int64_t v, int64_t r, int64_t s)
{
	return json_pack("{s:I,s:I,s:I}", "virtual_kb", (json_int_t)v, "resident_kb", (json_int_t)r,
			 "swapped_kb", (json_int_t)s);
}

static json_t *entry_json(const struct vm_diff *d, const struct diff_entry *e)
{
	static const struct { unsigned bit; const char *name; } words[] = {
		{ DIFF_MOVED, "moved" }, { DIFF_GROWN, "grown" }, { DIFF_SHRUNK, "shrunk" },
		{ DIFF_PAGES, "pages" }, { DIFF_PERMS, "perms" }, { DIFF_KIND, "kind" },
	};
	/* B's mapping as a snapshot has it (names exact, whatever bytes they
	 * hold), then what changed. */
	json_t *o = mapping_to_json(e->b, 0), *w = json_array(), *delta;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (e->what & words[i].bit)
			json_array_append_new(w, json_string(words[i].name));
	json_object_set_new(o, "changes", w);
	json_object_set_new(o, "a_start", hexj(e->a->start));
	json_object_set_new(o, "a_end", hexj(e->a->end));
	if (e->what & DIFF_KIND)
		json_object_set_new(o, "a_kind", json_string(vm_kind_name(e->a->kind)));
	delta = delta3(e->d_virtual_kb, e->d_resident_kb, e->d_swapped_kb);
	json_object_set_new(delta, "resident_pages", json_integer(e->d_pages_resident));
	json_object_set_new(delta, "swapped_pages", json_integer(e->d_pages_swapped));
	json_object_set_new(delta, "not_present_pages", json_integer(e->d_pages_not_present));
	json_object_set_new(o, "delta", delta);
	if (e->ranges || (e->what & DIFF_PAGES && e->nranges == 0 && e->a->runs && e->b->runs)) {
		json_t *ra = json_array();
		for (size_t i = 0; i < e->nranges; i++) {
			const struct diff_range *r = &e->ranges[i];
			json_array_append_new(ra, json_pack("{s:o,s:o,s:I,s:s,s:s}",
				"start", hexj(r->start), "end", hexj(r->end),
				"pages", (json_int_t)((r->end - r->start) / (uint64_t)d->page_size_b),
				"from", r->from < 0 ? "unmapped" : vm_page_state_name(r->from),
				"to", r->to < 0 ? "unmapped" : vm_page_state_name(r->to)));
		}
		json_object_set_new(o, "ranges", ra);
	}
	return o;
}

static json_t *diff_json(const struct vm_diff *d, const struct side *sa, const struct side *sb)
{
	json_t *o = json_object(), *add = json_array(), *rem = json_array(), *chg = json_array();
	json_t *tot, *bk = json_object();
	const struct vm_totals *ta = &d->a->totals, *tb = &d->b->totals;

	json_object_set_new(o, "a", side_json(sa, d->a));
	json_object_set_new(o, "b", side_json(sb, d->b));
	for (size_t i = 0; i < d->nentries; i++) {
		const struct diff_entry *e = &d->entries[i];
		if (e->what & DIFF_ADDED)
			json_array_append_new(add, mapping_to_json(e->b, 0));
		else if (e->what & DIFF_REMOVED)
			json_array_append_new(rem, mapping_to_json(e->a, 0));
		else
			json_array_append_new(chg, entry_json(d, e));
	}
	json_object_set_new(o, "added", add);
	json_object_set_new(o, "removed", rem);
	json_object_set_new(o, "changed", chg);
	json_object_set_new(o, "unchanged", json_integer((json_int_t)d->nunchanged));
	for (int k = 0; k < VK__COUNT; k++) {
		const struct vm_kind_totals *x = &ta->by_kind[k], *y = &tb->by_kind[k];
		if (!x->virtual_kb && !y->virtual_kb)
			continue;
		json_object_set_new(bk, vm_kind_name(k),
			delta3((int64_t)y->virtual_kb - (int64_t)x->virtual_kb,
			       (int64_t)y->resident_kb - (int64_t)x->resident_kb,
			       (int64_t)y->swapped_kb - (int64_t)x->swapped_kb));
	}
	tot = delta3((int64_t)tb->virtual_kb - (int64_t)ta->virtual_kb,
		     (int64_t)tb->resident_kb - (int64_t)ta->resident_kb,
		     (int64_t)tb->swapped_kb - (int64_t)ta->swapped_kb);
	json_object_set_new(tot, "by_kind", bk);
	json_object_set_new(o, "totals", tot);
	return o;
}

/* ---- the command ------------------------------------------------------- */

struct diff_run {
	enum snapshot_fmt format;
	unsigned opts;     /* DIFF_OPT_* */
	bool jsonl;        /* several JSON documents: one per line */
	FILE *out;
	bool differ;       /* some comparison found a change */
};

static int diff_pair(struct diff_run *dr, const struct side *sa, const struct vm_process *pa,
		     const struct side *sb, const struct vm_process *pb)
{
	struct vm_diff *d;
	int r = diff_processes(pa, sa->s->host.page_size, pb, sb->s->host.page_size, dr->opts, &d);

	if (r == -ENOMEM) {
		vm_error("out of memory");
		return 1;
	}
	if (r < 0) {
		vm_error("--pages: cannot compare pages of %s", "these snapshots");
		return 1;
	}
	if (dr->format == FMT_JSON) {
		json_t *j = diff_json(d, sa, sb);
		r = json_write(dr->out, j, dr->jsonl);
		json_decref(j);
	} else {
		text_diff(dr->out, d, sa, sb);
	}
	if (d->nentries)
		dr->differ = true;
	diff_free(d);
	return 0;
}

/* Pair the processes of A and B: the only one of each, else by pid. */
static int diff_snapshots(struct diff_run *dr, const struct side *sa, const struct side *sb)
{
	const struct vm_snapshot *a = sa->s, *b = sb->s;
	int ret = 0;

	if (a->nprocs == 1 && b->nprocs == 1)
		return diff_pair(dr, sa, &a->procs[0], sb, &b->procs[0]);
	for (size_t i = 0; i < a->nprocs; i++) {
		const struct vm_process *pb = &empty_process;
		for (size_t j = 0; j < b->nprocs; j++)
			if (b->procs[j].pid == a->procs[i].pid)
				pb = &b->procs[j];
		ret |= diff_pair(dr, sa, &a->procs[i], sb, pb);
	}
	for (size_t j = 0; j < b->nprocs; j++) {
		bool seen = false;
		for (size_t i = 0; i < a->nprocs; i++)
			seen |= a->procs[i].pid == b->procs[j].pid;
		if (!seen)
			ret |= diff_pair(dr, sa, &empty_process, sb, &b->procs[j]);
	}
	/* Two moments of a family (vmatlas family): how it moved. */
	if (a->family && b->family) {
		if (dr->format == FMT_JSON) {
			json_t *j = diff_family_json(a->family, b->family);

			if (!j || json_dumpf(j, dr->out, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0)
				ret = 1;
			json_decref(j);
			fputc('\n', dr->out);
		} else {
			diff_family_write_text(dr->out, a->family, b->family);
		}
	}
	return ret;
}

/* pid:N is a live process; anything else a file. */
static struct vm_timeline *load_source(const char *arg, bool want_runs)
{
	pid_t pid;

	if (strncmp(arg, "pid:", 4) == 0) {
		/* What snapshot takes by default: a live side compares with its files. */
		struct snapshot_opts so = { .pm_want = PM_WANT_EXCLUSIVE_FILE | PM_WANT_FLAGS |
						       PM_WANT_SOFTDIRTY };
		struct vm_timeline *t;
		pid_t failed = 0;

		if (parse_pid(arg + 4, &pid) < 0) {
			char *e = escape_untrusted(arg);
			vm_error("'%s': pid:N wants a process ID", e ? e : "?");
			free(e);
			return NULL;
		}
		if (cmd_check_namespace() < 0)
			return NULL;
		if (want_runs)
			so.pm_want |= PM_WANT_RUNS;
		t = calloc(1, sizeof(*t));
		if (!t || !(t->snaps = calloc(1, sizeof(*t->snaps)))) {
			free(t);
			vm_error("out of memory");
			return NULL;
		}
		so.elf_cache = elf_cache_new();
		t->snaps[0] = snapshot_take(&pid, 1, &so, &failed);
		elf_cache_free(so.elf_cache);
		if (!t->snaps[0]) {
			char msg[512];
			pid_error_describe(failed, errno, msg, sizeof(msg));
			vm_error("%s", msg);
			vm_timeline_free(t);
			return NULL;
		}
		t->nsnaps = 1;
		return t;
	}
	return view_load(arg);
}

static bool has_runs(const struct vm_snapshot *s)
{
	for (size_t i = 0; i < s->nprocs; i++)
		for (size_t j = 0; j < s->procs[i].nmaps; j++)
			if (!s->procs[i].maps[j].runs)
				return false;
	return true;
}

static int check_pages(const struct side *sd)
{
	char *e;

	if (has_runs(sd->s))
		return 0;
	e = escape_untrusted(sd->name);
	vm_error("%s%s has no per-page states: --pages needs snapshots taken with --pages",
		 e ? e : "?", sd->index ? " (a timeline)" : "");
	free(e);
	return -1;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "pages", no_argument, NULL, 'p' },
		{ "each", no_argument, NULL, 'e' },
		{ "exit-code", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct diff_run dr = { .format = FMT_TEXT, .out = stdout };
	struct vm_timeline *ta = NULL, *tb = NULL;
	bool each = false, exit_code = false;
	int c, ret = 1;

	optind = 1;
	while ((c = cmd_getopt("diff", argc, argv, "f:peh", opts)) != -1) {
		switch (c) {
		case 'f':
			if (cmd_parse_text_json("diff", optarg, &dr.format) < 0)
				return EXIT_USAGE;
			break;
		case 'p':
			dr.opts |= DIFF_OPT_RANGES;
			break;
		case 'e':
			each = true;
			break;
		case 'x':
			exit_code = true;
			break;
		case 'h':
			diff_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		vm_error("diff: give two snapshots, or one timeline (see 'vmatlas diff --help')");
		return EXIT_USAGE;
	}
	if (each && argc - optind != 1) {
		vm_error("diff: --each compares the steps of one timeline");
		return EXIT_USAGE;
	}
	ta = load_source(argv[optind], dr.opts & DIFF_OPT_RANGES);
	if (!ta)
		goto out;
	if (argc - optind == 2) {
		struct side sa = { ta->snaps[ta->nsnaps - 1], argv[optind], ta->nsnaps > 1 ? ta->nsnaps : 0 };
		struct side sb;

		tb = load_source(argv[optind + 1], dr.opts & DIFF_OPT_RANGES);
		if (!tb)
			goto out;
		sb = (struct side){ tb->snaps[tb->nsnaps - 1], argv[optind + 1],
				    tb->nsnaps > 1 ? tb->nsnaps : 0 };
		if ((dr.opts & DIFF_OPT_RANGES) && (check_pages(&sa) < 0 || check_pages(&sb) < 0))
			goto out;
		if ((dr.opts & DIFF_OPT_RANGES) && sa.s->host.page_size != sb.s->host.page_size) {
			vm_error("--pages: the snapshots have different page sizes (%ld and %ld)",
				 sa.s->host.page_size, sb.s->host.page_size);
			goto out;
		}
		dr.jsonl = sa.s->nprocs > 1 || sb.s->nprocs > 1 || (sa.s->family && sb.s->family);
		ret = diff_snapshots(&dr, &sa, &sb);
	} else {
		size_t steps;

		if (ta->nsnaps < 2) {
			char *e = escape_untrusted(argv[optind]);
			vm_error("%s holds one snapshot: give a second one to compare with", e ? e : "?");
			free(e);
			goto out;
		}
		steps = each ? ta->nsnaps - 1 : 1;
		dr.jsonl = steps > 1 || ta->snaps[0]->nprocs > 1 || ta->snaps[0]->family;
		ret = 0;
		for (size_t i = 0; i < steps; i++) {
			size_t ia = each ? i : 0, ib = each ? i + 1 : ta->nsnaps - 1;
			struct side sa = { ta->snaps[ia], argv[optind], ia + 1 };
			struct side sb = { ta->snaps[ib], argv[optind], ib + 1 };

			if ((dr.opts & DIFF_OPT_RANGES) && (check_pages(&sa) < 0 || check_pages(&sb) < 0)) {
				ret = 1;
				goto out;
			}
			ret |= diff_snapshots(&dr, &sa, &sb);
			if (dr.format == FMT_TEXT && i + 1 < steps)
				fputc('\n', dr.out);
		}
	}
	if (fflush(dr.out) != 0 || ferror(dr.out)) {
		vm_error("cannot write standard output: %s", strerror(errno));
		ret = 1;
	}
out:
	vm_timeline_free(ta);
	vm_timeline_free(tb);
	/* --exit-code, as diff and cmp: 0 the same, 1 changed, 2 trouble. */
	if (exit_code)
		return ret == 0 ? dr.differ : ret == 1 ? 2 : ret;
	return ret;
}
