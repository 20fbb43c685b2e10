/* SVG pictures: the textbook layout of each process (regions from high to
 * low addresses, coloured by kind, with a resident/swapped bar each, huge
 * gaps folded), and for a timeline a chart of memory by kind over time.
 * Names come from the target: they are escaped so that the document stays
 * well-formed XML whatever bytes they hold. Coordinates are integers, so a
 * locale's decimal comma cannot break the numbers. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmatlas/render.h"
#include "vmatlas/util.h"

enum {
	COL_W = 760,    /* one process column */
	BOX_W = 440,    /* the region boxes */
	BAR_X = 460,    /* the page-state bar */
	BAR_W = 200,
	ROW_H = 34,
	GAP_SMALL = 6,  /* a gap shown as a thin space */
	GAP_FOLD = 22,  /* a huge gap folded into a zigzag band */
	TOP = 70,
};

/* Gaps from this size on are folded and labelled. */
#define FOLD_BYTES (64ULL << 20)

static const char *const kind_colour[VK__COUNT] = {
	[VK_TEXT] = "#4e79a7",   [VK_RODATA] = "#76b7b2", [VK_DATA] = "#59a14f",
	[VK_BSS] = "#8cd17d",    [VK_HEAP] = "#f28e2b",   [VK_STACK] = "#e15759",
	[VK_ANON] = "#edc948",   [VK_FILE] = "#b07aa1",   [VK_SHM] = "#ff9da7",
	[VK_VDSO] = "#9c755f",   [VK_VVAR] = "#bab0ac",   [VK_VSYSCALL] = "#d37295",
	[VK_GUARD] = "#d4d4d4",  [VK_RESERVED] = "#ececec", [VK_OTHER] = "#a0cbe8",
};

static const char *colour(enum vm_kind k)
{
	return (unsigned)k < VK__COUNT ? kind_colour[k] : kind_colour[VK_OTHER];
}

/* Write E, text already made printable and valid UTF-8 (by the escape_*
 * functions: controls and invalid sequences became \xNN), as XML character
 * data: the XML specials escaped, and the noncharacters U+FFFE and U+FFFF,
 * which XML 1.0 forbids though they are valid UTF-8, spelled out. At most
 * MAX code points (0: all): beyond that "..." and the tail when KEEP_TAIL
 * (a path keeps its file name), else the head and "...". Frees E. */
static void xml_escaped(FILE *f, char *e, size_t max, bool keep_tail)
{
	size_t cps = 0, skip = 0;
	const unsigned char *p;

	if (!e) {
		fputs("?", f);
		return;
	}
	for (p = (const unsigned char *)e; *p; p++)
		cps += (*p & 0xc0) != 0x80;
	if (max && cps > max && keep_tail) {
		fputs("...", f);
		skip = cps - (max - 3);
		max = 0;
	}
	cps = 0;
	for (p = (const unsigned char *)e; *p; p++) {
		bool lead = (*p & 0xc0) != 0x80;

		if (lead && skip) {
			skip--;
			continue;
		}
		if (!lead && skip)
			continue;
		if (lead && max && ++cps > max) {
			fputs("...", f);
			break;
		}
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
				fprintf(f, "\\u{ff%s}", p[2] == 0xbe ? "fe" : "ff");
				p += 2;
			} else {
				fputc(*p, f);
			}
		}
	}
	free(e);
}

/* Untrusted S as XML character data, at most MAX code points (0: all). */
static void xml_text(FILE *f, const char *s, size_t max)
{
	xml_escaped(f, escape_untrusted(s ? s : ""), max, false);
}

/* A mapping's name: its path with the kernel's deleted marker told apart
 * from a name that ends so (as the text output), or its kind. */
static void xml_mapping_name(FILE *f, const struct vm_mapping *m, size_t max)
{
	if (m->path && *m->path)
		xml_escaped(f, escape_mapping_path(m->path, m->deleted), max, true);
	else
		xml_text(f, vm_kind_name(m->kind), max);
}

static const char *hsize(char *b, size_t n, uint64_t bytes)
{
	return fmt_kb(b, n, bytes / 1024);
}

static void svg_begin(FILE *f, int w, int h, const char *title)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"12\">\n", w, h, w, h);
	fprintf(f, "<title>%s</title>\n", title);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
}

/* Height of process P's column. */
static int column_height(const struct vm_process *p)
{
	int h = TOP + ROW_H; /* kernel space band */

	for (size_t i = p->nmaps; i-- > 0;) {
		h += ROW_H;
		if (i > 0 && p->maps[i - 1].end < p->maps[i].start)
			h += p->maps[i].start - p->maps[i - 1].end >= FOLD_BYTES ? GAP_FOLD : GAP_SMALL;
	}
	return h + 60;
}

static void draw_bar(FILE *f, const struct vm_snapshot *s, const struct vm_mapping *m,
		     int x, int y)
{
	const struct vm_page_counts *c = &m->pages;
	uint64_t total = c->total ? c->total : 1;
	/* Resident as smaps and the totals count it: the zero page is not
	 * charged (model.h). */
	uint64_t rss = c->resident - c->zero;
	int rw = (int)((uint64_t)BAR_W * rss / total);
	int sw = (int)((uint64_t)BAR_W * c->swapped / total);
	uint64_t pk = (uint64_t)s->host.page_size;
	char r[16], sz[16];

	/* Any page at all gets at least one pixel: a bar must not hide it. */
	if (rss && rw == 0)
		rw = 1;
	if (c->swapped && sw == 0)
		sw = 1;
	if (rw + sw > BAR_W)
		rw = BAR_W - sw;
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"#eeeeee\" stroke=\"#999999\"/>\n",
		x, y, BAR_W);
	if (rw)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"#2ca02c\"/>\n", x, y, rw);
	if (sw)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"#d62728\"/>\n",
			x + rw, y, sw);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">resident %s", x, y + 22,
		hsize(r, sizeof(r), rss * pk));
	fprintf(f, "  swapped %s</text>\n", hsize(sz, sizeof(sz), c->swapped * pk));
}

static void draw_region(FILE *f, const struct vm_snapshot *s, const struct vm_mapping *m,
			int x, int y)
{
	char size[16];

	fprintf(f, "<g class=\"region\">\n<title>");
	xml_mapping_name(f, m, 0);
	fprintf(f, " 0x%" PRIx64 "-0x%" PRIx64 " %s %s</title>\n", m->start, m->end, m->perms,
		vm_kind_name(m->kind));
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#333333\"/>\n",
		x, y, BOX_W, ROW_H, colour(m->kind));
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", x + 6, y + 14);
	xml_mapping_name(f, m, 44);
	fprintf(f, "</text>\n");
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">0x%" PRIx64 "-0x%" PRIx64 "  %s  %s  %s</text>\n",
		x + 6, y + 28, m->start, m->end, hsize(size, sizeof(size), m->end - m->start),
		m->perms, vm_kind_name(m->kind));
	draw_bar(f, s, m, x + BAR_X, y + 6);
	fprintf(f, "</g>\n");
}

static int draw_gap(FILE *f, uint64_t lo, uint64_t hi, int x, int y)
{
	char size[16];
	int w = BOX_W;

	if (hi - lo < FOLD_BYTES)
		return GAP_SMALL;
	/* A zigzag band: the gap is not to scale. */
	fprintf(f, "<path d=\"M%d %d", x, y + 4);
	for (int i = 0; i <= w; i += 20)
		fprintf(f, " L%d %d", x + i, y + ((i / 20) % 2 ? 8 : 4));
	fprintf(f, "\" fill=\"none\" stroke=\"#888888\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#555555\">%s unmapped "
		"(0x%" PRIx64 "-0x%" PRIx64 ")</text>\n", x + 6, y + 19,
		hsize(size, sizeof(size), hi - lo), lo, hi);
	return GAP_FOLD;
}

static void draw_process(FILE *f, const struct vm_snapshot *s, const struct vm_process *p,
			 int x)
{
	char v[16], r[16], sw[16];
	int y = TOP;

	fprintf(f, "<text x=\"%d\" y=\"40\" font-size=\"15\" font-weight=\"bold\">pid %d ", x, (int)p->pid);
	xml_text(f, p->comm, 32);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"58\">virtual %s  resident %s  swapped %s</text>\n", x,
		fmt_kb(v, sizeof(v), p->totals.virtual_kb), fmt_kb(r, sizeof(r), p->totals.resident_kb),
		fmt_kb(sw, sizeof(sw), p->totals.swapped_kb));
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#555555\"/>\n"
		"<text x=\"%d\" y=\"%d\" fill=\"#ffffff\">kernel space (not accessible to the process)</text>\n",
		x, y, BOX_W, ROW_H - 4, x + 6, y + 19);
	y += ROW_H;
	for (size_t i = p->nmaps; i-- > 0;) {
		draw_region(f, s, &p->maps[i], x, y);
		y += ROW_H;
		if (i > 0 && p->maps[i - 1].end < p->maps[i].start)
			y += draw_gap(f, p->maps[i - 1].end, p->maps[i].start, x, y);
	}
}

static void draw_legend(FILE *f, int y)
{
	int x = 10;

	for (int k = 0; k < VK__COUNT; k++) {
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n",
			x, y, colour(k), x + 16, y + 10, vm_kind_name(k));
		x += 24 + 8 * (int)strlen(vm_kind_name(k));
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#2ca02c\"/>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\">resident</text>\n", x, y, x + 16, y + 10);
	x += 90;
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#d62728\"/>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\">swapped</text>\n", x, y, x + 16, y + 10);
}

static void fmt_time(char *b, size_t n, const struct timespec *ts)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(b, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int snapshot_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags)
{
	int h = 200, w = (int)(s->nprocs ? s->nprocs : 1) * COL_W + 20;
	char when[64];

	if (w < 1200)
		w = 1200;
	for (size_t i = 0; i < s->nprocs; i++) {
		int ch = column_height(&s->procs[i]);
		if (ch > h)
			h = ch;
	}
	fmt_time(when, sizeof(when), &s->taken_at);
	svg_begin(f, w, h, "vmatlas snapshot");
	fprintf(f, "<text x=\"10\" y=\"18\" font-size=\"13\">vmatlas snapshot, %s, kernel ", when);
	xml_text(f, s->host.kernel, 64);
	fprintf(f, "%s</text>\n", s->live ? " (live: not atomic)" : "");
	for (size_t i = 0; i < s->nprocs; i++)
		draw_process(f, s, &s->procs[i], 10 + (int)i * COL_W);
	draw_legend(f, h - 30);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}

/* A timeline: resident and swapped kB by kind over time, all processes of
 * each snapshot added up. */
enum { CH_X = 90, CH_Y = 50, CH_W = 900, CH_H = 420 };

static uint64_t series_value(const struct vm_snapshot *s, int k, bool swapped)
{
	uint64_t v = 0;

	for (size_t i = 0; i < s->nprocs; i++) {
		const struct vm_kind_totals *t = k < 0 ? NULL : &s->procs[i].totals.by_kind[k];
		if (k < 0)
			v += swapped ? s->procs[i].totals.swapped_kb : s->procs[i].totals.resident_kb;
		else
			v += swapped ? t->swapped_kb : t->resident_kb;
	}
	return v;
}

/* The frame of a chart over time: kB up to YMAX, MS milliseconds across. */
static void chart_axes(FILE *f, uint64_t ymax, int64_t ms)
{
	char lab[16];

	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333333\"/>\n",
		CH_X, CH_Y, CH_W, CH_H);
	for (int i = 0; i <= 4; i++) {
		int y = CH_Y + CH_H - i * CH_H / 4;
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dddddd\"/>"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", CH_X, y, CH_X + CH_W, y,
			CH_X - 6, y + 4, fmt_kb(lab, sizeof(lab), ymax * (uint64_t)i / 4));
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\">0 s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">"
		"%" PRId64 ".%03d s</text>\n", CH_X, CH_Y + CH_H + 18, CH_X + CH_W, CH_Y + CH_H + 18,
		ms / 1000, (int)(ms % 1000));
}

int timeline_write_svg(FILE *f, struct vm_snapshot *const *snaps, size_t n)
{
	int64_t t0, t1;
	uint64_t ymax = 1;
	bool used[VK__COUNT] = { false };
	char a[64], b[64];
	int ly = CH_Y;

	if (n == 0)
		return -EINVAL;
	t0 = (int64_t)snaps[0]->taken_at.tv_sec * 1000 + snaps[0]->taken_at.tv_nsec / 1000000;
	t1 = (int64_t)snaps[n - 1]->taken_at.tv_sec * 1000 + snaps[n - 1]->taken_at.tv_nsec / 1000000;
	if (t1 <= t0)
		t1 = t0 + 1;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = series_value(snaps[i], -1, false);
		if (series_value(snaps[i], -1, true) > v)
			v = series_value(snaps[i], -1, true);
		if (v > ymax)
			ymax = v;
		for (int k = 0; k < VK__COUNT; k++)
			if (series_value(snaps[i], k, false) || series_value(snaps[i], k, true))
				used[k] = true;
	}
	svg_begin(f, CH_X + CH_W + 260, CH_Y + CH_H + 80, "vmatlas timeline");
	fmt_time(a, sizeof(a), &snaps[0]->taken_at);
	fmt_time(b, sizeof(b), &snaps[n - 1]->taken_at);
	fprintf(f, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">vmatlas timeline: "
		"%zu snapshots, %s to %s</text>\n", n, a, b);
	chart_axes(f, ymax, t1 - t0);
	/* -1: all kinds; then each kind in use; resident solid, swapped dashed. */
	for (int k = -1; k < VK__COUNT; k++) {
		if (k >= 0 && !used[k])
			continue;
		for (int sw = 0; sw <= 1; sw++) {
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%d\"%s points=\"",
				k < 0 ? "#000000" : colour(k), k < 0 ? 3 : 2,
				sw ? " stroke-dasharray=\"6,4\"" : "");
			for (size_t i = 0; i < n; i++) {
				int64_t t = (int64_t)snaps[i]->taken_at.tv_sec * 1000 +
					    snaps[i]->taken_at.tv_nsec / 1000000;
				uint64_t v = series_value(snaps[i], k, sw);
				int x = CH_X + (int)((t - t0) * CH_W / (t1 - t0));
				int y = CH_Y + CH_H - (int)(v * CH_H / ymax);
				fprintf(f, "%s%d,%d", i ? " " : "", x, y);
			}
			fprintf(f, "\"/>\n");
		}
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">%s</text>\n", CH_X + CH_W + 20, ly,
			k < 0 ? "#000000" : colour(k), CH_X + CH_W + 38, ly + 10,
			k < 0 ? "all kinds" : vm_kind_name(k));
		ly += 18;
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">solid: resident, dashed: swapped</text>\n",
		CH_X + CH_W + 20, ly + 10);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}

/* ---- a family timeline: erosion curves ------------------------------------ */

static const char *const member_colour[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
	"#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
};
#define FAM_SVG_MEMBERS 64

static int64_t snap_ms(const struct vm_snapshot *s)
{
	return (int64_t)s->taken_at.tv_sec * 1000 + s->taken_at.tv_nsec / 1000000;
}

static const struct vm_family_proc *fam_member(const struct vm_snapshot *s, pid_t pid)
{
	for (size_t i = 0; s->family && i < s->family->nprocs; i++)
		if (s->family->procs[i].pid == pid)
			return &s->family->procs[i];
	return NULL;
}

/* Each member's diverged memory (copied from its parent) over time: one
 * curve a member, in the order the members first appear; a member that is
 * not in a snapshot breaks its curve there. */
int family_timeline_write_svg(FILE *f, struct vm_snapshot *const *snaps, size_t n)
{
	pid_t pids[FAM_SVG_MEMBERS];
	const char *comms[FAM_SVG_MEMBERS];
	size_t np = 0;
	uint64_t ymax = 1;
	int64_t t0, t1;
	char a[64], b[64];
	int ly = CH_Y;

	if (n == 0)
		return -EINVAL;
	t0 = snap_ms(snaps[0]);
	t1 = snap_ms(snaps[n - 1]);
	if (t1 <= t0)
		t1 = t0 + 1;
	for (size_t i = 0; i < n; i++) {
		const struct vm_family *fam = snaps[i]->family;

		for (size_t k = 0; fam && k < fam->nprocs; k++) {
			const struct vm_family_proc *p = &fam->procs[k];
			bool seen = false;

			if (!p->has_parent)
				continue;
			if (p->diverged_kb > ymax)
				ymax = p->diverged_kb;
			for (size_t j = 0; j < np; j++)
				seen |= pids[j] == p->pid;
			if (!seen && np < FAM_SVG_MEMBERS) {
				comms[np] = p->comm;
				pids[np++] = p->pid;
			}
		}
	}
	svg_begin(f, CH_X + CH_W + 300, CH_Y + CH_H + 80, "vmatlas family timeline");
	fmt_time(a, sizeof(a), &snaps[0]->taken_at);
	fmt_time(b, sizeof(b), &snaps[n - 1]->taken_at);
	fprintf(f, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">vmatlas family of %d: "
		"memory each member has copied from its parent, %zu snapshots, %s to %s</text>\n",
		snaps[0]->family ? (int)snaps[0]->family->root : 0, n, a, b);
	chart_axes(f, ymax, t1 - t0);
	for (size_t j = 0; j < np; j++) {
		const char *col = member_colour[j % (sizeof(member_colour) / sizeof(member_colour[0]))];
		bool open = false;
		char kb[16];
		uint64_t last = 0;

		for (size_t i = 0; i < n; i++) {
			const struct vm_family_proc *p = fam_member(snaps[i], pids[j]);
			int x = CH_X + (int)((snap_ms(snaps[i]) - t0) * CH_W / (t1 - t0));

			if (!p || !p->has_parent) {
				if (open)
					fprintf(f, "\"/>\n");
				open = false;
				continue;
			}
			if (!open)
				fprintf(f, "<polyline class=\"erosion\" data-pid=\"%d\" fill=\"none\" stroke=\"%s\" "
					"stroke-width=\"2\" points=\"", (int)pids[j], col);
			fprintf(f, "%s%d,%d", open ? " " : "", x,
				CH_Y + CH_H - (int)(p->diverged_kb * CH_H / ymax));
			open = true;
			last = p->diverged_kb;
		}
		if (open)
			fprintf(f, "\"/>\n");
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">%d ", CH_X + CH_W + 20, ly, col, CH_X + CH_W + 38, ly + 10,
			(int)pids[j]);
		xml_text(f, comms[j], 16);
		fprintf(f, " %s</text>\n", fmt_kb(kb, sizeof(kb), last));
		ly += 18;
	}
	if (np == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\">no member has a parent in the family</text>\n",
			CH_X + 20, CH_Y + 30);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
