/* SVG pictures: the textbook layout of each process, the copy-on-write
 * comparison of a parent and a child, and for a timeline a chart of memory
 * by kind over time.
 *
 * The layout is drawn from high to low addresses in the textbook's areas
 * (areas.h), each area named at the left with the way it grows. A row's
 * height tells its size on a log scale (ROW_MIN pixels for one page, LOG_STEP
 * more for each doubling); unmapped gaps are bands that say their size, the
 * size the text output gives. Small mappings of one object (a library's
 * text, rodata, data and bss) share one row, and when a process still has
 * more than MAX_ROWS rows, neighbouring small rows are grouped further, so
 * that the picture stays a page high whatever the process maps. Every
 * mapping keeps a <g class="region"> with a <title> naming it exactly.
 *
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

#include "areas.h"
#include "svg_priv.h"
#include "vmatlas/cow.h"
#include "vmatlas/render.h"
#include "vmatlas/util.h"

enum {
	ROW_MIN = 26,   /* a row of one page */
	LOG_STEP = 4,   /* pixels more for each doubling of size */
	MAX_ROWS = 40,  /* rows per process before small ones are grouped */
	GAP_H = 14,     /* a gap smaller than FOLD_BYTES */
	FOLD_H = 20,    /* a folded gap (zigzag) */
	KERNEL_H = 34,
	LOW_H = 34,     /* the reserved low memory */
	TOP = 76,       /* the first row */
	/* x offsets inside a process's column */
	AREA_X = 150,   /* area labels end here (text-anchor end) */
	BRACKET_X = 160,
	BOX_X = 272,    /* the region boxes */
	BOX_W = 330,
	STRIP_W = 12,   /* a group's per-mapping strip at the box's left */
	MARK_X = BOX_X + BOX_W,
	BAR_X = BOX_X + BOX_W + 200,
	BAR_W = 150,
	COL_W = BAR_X + BAR_W + 30,
};

/* Gaps from this size on are folded (zigzag). */
#define FOLD_BYTES (64ULL << 20)

/* The screen's colours (src/tui/tui_screen.c: text red, rodata magenta,
 * data and bss yellow, heap green, stack cyan, anonymous blue, file white,
 * guard and reserved grey), light enough for black text. */
static const char *const kind_colour[VK__COUNT] = {
	[VK_TEXT] = "#f28b82",   [VK_RODATA] = "#e3a1ea", [VK_DATA] = "#f3d35f",
	[VK_BSS] = "#f9e7a1",    [VK_HEAP] = "#8fd694",   [VK_STACK] = "#7fd6de",
	[VK_ANON] = "#93b5f2",   [VK_FILE] = "#f4f4f4",   [VK_SHM] = "#d7a6e0",
	[VK_VDSO] = "#a9e4ea",   [VK_VVAR] = "#a9e4ea",   [VK_VSYSCALL] = "#a9e4ea",
	[VK_GUARD] = "#c8c8c8",  [VK_RESERVED] = "#e4e4e4", [VK_OTHER] = "#ffffff",
};
#define RESIDENT_COLOUR "#2e9e3e"
#define SWAPPED_COLOUR "#d62728"

const char *svg_kind_colour(enum vm_kind k)
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
void svg_text(FILE *f, const char *s, size_t max)
{
	xml_escaped(f, escape_untrusted(s ? s : ""), max, false);
}

/* A mapping's name: its path with the kernel's deleted marker told apart
 * from a name that ends so (as the text output), or its kind. */
void svg_name(FILE *f, const char *path, bool deleted, enum vm_kind kind, size_t max)
{
	if (path && *path)
		xml_escaped(f, escape_mapping_path(path, deleted), max, true);
	else
		svg_text(f, vm_kind_name(kind), max);
}

static void xml_mapping_name(FILE *f, const struct vm_mapping *m, size_t max)
{
	svg_name(f, m->path, m->deleted, m->kind, max);
}

const char *svg_size(char *b, size_t n, uint64_t bytes)
{
	return fmt_kb(b, n, bytes / 1024);
}

void svg_begin(FILE *f, int w, int h, const char *title)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"12\">\n",
		w, h, w, h);
	fprintf(f, "<title>%s</title>\n", title);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
	/* Arrow heads for the growth directions. */
	fputs("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"5\" refY=\"5\" "
	      "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
	      "<path d=\"M0 0 L10 5 L0 10 z\" fill=\"#333333\"/></marker></defs>\n", f);
}

static void fmt_time(char *b, size_t n, const struct timespec *ts)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(b, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* ---- the layout of one process ----------------------------------------- */

/* The picture's areas: the textbook's, with the program image split. */
enum svg_area { PIC_KERNEL, PIC_STACK, PIC_MMAP, PIC_HEAP, PIC_BSS, PIC_DATA, PIC_TEXT, PIC__COUNT };
static const char *const svg_area_names[PIC__COUNT] = {
	"kernel space", "stack", "mmap area", "heap", "bss", "data", "text",
};
/* How each area grows: 1 up, -1 down, 0 not at all. */
static const int svg_area_growth[PIC__COUNT] = { [PIC_STACK] = -1, [PIC_MMAP] = -1, [PIC_HEAP] = 1 };

/* One row of the picture: mappings FIRST..LAST (ascending) of a process. */
struct row {
	size_t first, last;
	uint64_t lo, hi;     /* first's start, last's end */
	uint64_t bytes;      /* mapped: the sum of the mappings' sizes */
	enum svg_area area;
	int y, h;
};

struct layout {
	const struct vm_snapshot *s;
	const struct vm_process *p;
	struct area_ctx ac;
	struct row *rows;    /* ascending addresses */
	size_t nrows;
	int height;          /* of the column, from 0 */
};

static enum svg_area svg_area_of(const struct layout *l, const struct vm_mapping *m)
{
	switch (area_of(&l->ac, m)) {
	case AREA_KERNEL: return PIC_KERNEL;
	case AREA_STACK: return PIC_STACK;
	case AREA_HEAP: return PIC_HEAP;
	case AREA_MMAP: return PIC_MMAP;
	default: break;
	}
	/* The program image: its text with the read-only data beside it. */
	if (m->kind == VK_BSS)
		return PIC_BSS;
	if (m->kind == VK_DATA)
		return PIC_DATA;
	return PIC_TEXT;
}


/* The row's height: ROW_MIN for a page, LOG_STEP more per doubling. */
static int row_height(const struct layout *l, const struct row *r)
{
	return svg_row_height(r->bytes / (uint64_t)l->s->host.page_size, ROW_MIN);
}

int svg_row_height(uint64_t pages, int min)
{
	return min + LOG_STEP * (pages > 1 ? 63 - __builtin_clzll(pages) : 0);
}

static bool same_object(const struct vm_mapping *a, const struct vm_mapping *b)
{
	return a->path && b->path && *a->path && strcmp(a->path, b->path) == 0 &&
	       a->inode == b->inode;
}

/* Merge row I+1 into row I. */
static void row_merge_next(struct layout *l, size_t i)
{
	struct row *a = &l->rows[i], *b = &l->rows[i + 1];

	a->last = b->last;
	a->hi = b->hi;
	a->bytes += b->bytes;
	memmove(b, b + 1, (l->nrows - i - 2) * sizeof(*b));
	l->nrows--;
}

/* Rows I and I+1 may share a row: same area, no folded gap between. */
static bool rows_adjacent(const struct layout *l, size_t i)
{
	const struct row *a = &l->rows[i], *b = &l->rows[i + 1];

	return a->area == b->area && b->lo - a->hi < FOLD_BYTES;
}

static int layout_rows(struct layout *l)
{
	const struct vm_process *p = l->p;
	uint64_t limit;

	l->rows = calloc(p->nmaps ? p->nmaps : 1, sizeof(*l->rows));
	if (!l->rows)
		return -ENOMEM;
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];

		l->rows[i] = (struct row){ .first = i, .last = i, .lo = m->start, .hi = m->end,
					   .bytes = m->end - m->start, .area = svg_area_of(l, m) };
	}
	l->nrows = p->nmaps;
	/* One row per object in the mmap area: a library's segments and the
	 * bss right after them. */
	for (size_t i = 0; i + 1 < l->nrows;) {
		const struct vm_mapping *a = &p->maps[l->rows[i].last], *b = &p->maps[l->rows[i + 1].first];

		if (l->rows[i].area == PIC_MMAP && rows_adjacent(l, i) &&
		    (same_object(a, b) || (b->kind == VK_BSS && b->start == a->end &&
					   a->path && *a->path)))
			row_merge_next(l, i);
		else
			i++;
	}
	/* Still too many: group neighbours in the mmap area smaller than a
	 * limit that grows until the rows fit. */
	for (limit = 1ULL << 20; l->nrows > MAX_ROWS && limit; limit <<= 2) {
		for (size_t i = 0; i + 1 < l->nrows && l->nrows > MAX_ROWS;) {
			if (l->rows[i].area == PIC_MMAP && rows_adjacent(l, i) &&
			    l->rows[i].bytes < limit && l->rows[i + 1].bytes < limit)
				row_merge_next(l, i);
			else
				i++;
		}
	}
	return 0;
}

/* Heights and positions, from the top: kernel space, the rows from high to
 * low with the gaps between, the reserved low memory. */
static void layout_place(struct layout *l)
{
	uint64_t above = l->ac.user_top;
	int y = TOP + KERNEL_H;
	bool user = false;

	for (size_t n = l->nrows; n-- > 0;) {
		struct row *r = &l->rows[n];

		if (r->area != PIC_KERNEL && !user) {
			user = true;
			y += 2; /* the top of user space line */
		}
		if (r->area != PIC_KERNEL && r->hi < above)
			y += above - r->hi >= FOLD_BYTES ? FOLD_H : GAP_H;
		r->h = row_height(l, r);
		r->y = y;
		y += r->h;
		if (r->area != PIC_KERNEL)
			above = r->lo;
	}
	l->height = y + LOW_H + 40;
}

static void draw_bar(FILE *f, const struct layout *l, const struct row *r, int x, int y)
{
	uint64_t total = 0, rss = 0, swapped = 0, pk = (uint64_t)l->s->host.page_size;
	int rw, sw;
	char a[16], b[16];

	/* Resident as smaps and the totals count it: the zero page is not
	 * charged (model.h). */
	for (size_t i = r->first; i <= r->last; i++) {
		const struct vm_page_counts *c = &l->p->maps[i].pages;

		total += c->total;
		rss += c->resident - c->zero;
		swapped += c->swapped;
	}
	if (!total)
		total = 1;
	rw = (int)((uint64_t)BAR_W * rss / total);
	sw = (int)((uint64_t)BAR_W * swapped / total);
	/* Any page at all gets at least one pixel: a bar must not hide it. */
	if (rss && rw == 0)
		rw = 1;
	if (swapped && sw == 0)
		sw = 1;
	if (rw + sw > BAR_W)
		rw = BAR_W - sw;
	fprintf(f, "<g class=\"bar\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"8\" fill=\"#eeeeee\" "
		"stroke=\"#999999\"/>\n", x, y, BAR_W);
	if (rw)
		fprintf(f, "<rect class=\"resident\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"8\" fill=\"%s\"/>\n",
			x, y, rw, RESIDENT_COLOUR);
	if (sw)
		fprintf(f, "<rect class=\"swapped\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"8\" fill=\"%s\"/>\n",
			x + rw, y, sw, SWAPPED_COLOUR);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">resident %s  swapped %s</text></g>\n",
		x, y + 19, svg_size(a, sizeof(a), rss * pk), svg_size(b, sizeof(b), swapped * pk));
}

static void region_title(FILE *f, const struct vm_mapping *m)
{
	fprintf(f, "<title>");
	xml_mapping_name(f, m, 0);
	fprintf(f, " 0x%" PRIx64 "-0x%" PRIx64 " %s %s</title>\n", m->start, m->end, m->perms,
		vm_kind_name(m->kind));
}

/* The mapping of the row that decides its colour: the largest. */
static const struct vm_mapping *row_main(const struct layout *l, const struct row *r)
{
	const struct vm_mapping *best = &l->p->maps[r->first];

	for (size_t i = r->first + 1; i <= r->last; i++)
		if (l->p->maps[i].end - l->p->maps[i].start > best->end - best->start)
			best = &l->p->maps[i];
	return best;
}

/* The objects of a row, in the text of its second line. */
static size_t row_objects(const struct layout *l, const struct row *r)
{
	size_t n = 0;

	for (size_t i = r->first; i <= r->last; i++)
		if (i == r->first || !same_object(&l->p->maps[i], &l->p->maps[i - 1]))
			n += !(l->p->maps[i].kind == VK_BSS && i > r->first && l->p->maps[i - 1].path &&
			       *l->p->maps[i - 1].path);
	return n;
}

static void draw_group_strip(FILE *f, const struct layout *l, const struct row *r, int x)
{
	/* Each mapping a band of the strip, from the top (its highest): the
	 * row's height shared in proportion, at least 2 pixels each while
	 * that leaves half the height to share; beyond, in proportion alone
	 * (a band may then be too thin to see: its title stays). */
	size_t n = r->last - r->first + 1;
	int min = 4 * (int)n <= r->h ? 2 : 0;
	int avail = r->h - min * (int)n, y = r->y;
	uint64_t left = r->bytes;

	for (size_t i = r->last + 1; i-- > r->first;) {
		const struct vm_mapping *m = &l->p->maps[i];
		uint64_t sz = m->end - m->start;
		int h = min + (left ? (int)((uint64_t)avail * sz / left) : 0);

		if (i == r->first)
			h = r->y + r->h - y;
		avail -= h - min;
		left -= sz;
		fprintf(f, "<g class=\"region\">");
		region_title(f, m);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"%s/></g>\n",
			x, y, STRIP_W, h, svg_kind_colour(m->kind),
			min ? " stroke=\"#555555\" stroke-width=\"0.5\"" : "");
		y += h;
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#555555\"/>\n",
		x, r->y, STRIP_W, r->h);
}

/* A group's second line: its size and its largest kinds. */
static void group_summary(FILE *f, const struct layout *l, const struct row *r)
{
	uint64_t by[VK__COUNT] = { 0 };
	char sz[16];

	for (size_t i = r->first; i <= r->last; i++)
		by[l->p->maps[i].kind < VK__COUNT ? l->p->maps[i].kind : VK_OTHER] +=
			l->p->maps[i].end - l->p->maps[i].start;
	fprintf(f, "%s in %zu mappings:", svg_size(sz, sizeof(sz), r->bytes), r->last - r->first + 1);
	for (int shown = 0; shown < 3; shown++) {
		int best = -1;

		for (int k = 0; k < VK__COUNT; k++)
			if (by[k] && (best < 0 || by[k] > by[best]))
				best = k;
		if (best < 0)
			break;
		fprintf(f, " %s %s", vm_kind_name(best), svg_size(sz, sizeof(sz), by[best]));
		by[best] = 0;
	}
}

static void draw_row(FILE *f, const struct layout *l, const struct row *r, int x0)
{
	const struct vm_mapping *m = row_main(l, r);
	int x = x0 + BOX_X, ty = r->y + (r->h - 24) / 2;
	char size[16];

	fprintf(f, "<g class=\"row\">\n");
	if (r->first == r->last) {
		fprintf(f, "<g class=\"region\">");
		region_title(f, m);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#333333\"/>\n",
			x, r->y, BOX_W, r->h, svg_kind_colour(m->kind));
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", x + 6, ty + 12);
		xml_mapping_name(f, m, 44);
		fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"10\">%s %s %s</text></g>\n",
			x + 6, ty + 23, svg_size(size, sizeof(size), r->bytes), m->perms,
			vm_kind_name(m->kind));
	} else {
		size_t nobj = row_objects(l, r);

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#333333\"/>\n",
			x, r->y, BOX_W, r->h, svg_kind_colour(m->kind));
		draw_group_strip(f, l, r, x);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", x + STRIP_W + 6, ty + 12);
		if (nobj == 1) {
			xml_mapping_name(f, &l->p->maps[r->first], 42);
		} else {
			/* The first objects' file names. */
			size_t shown = 0;

			fprintf(f, "%zu mappings", r->last - r->first + 1);
			for (size_t i = r->first; i <= r->last && shown < 2; i++) {
				const char *p = l->p->maps[i].path, *b;

				if (!p || !*p || (i > r->first && same_object(&l->p->maps[i], &l->p->maps[i - 1])))
					continue;
				b = strrchr(p, '/');
				fputs(shown++ ? ", " : ": ", f);
				svg_text(f, b ? b + 1 : p, 16);
			}
			if (shown && nobj > shown)
				fputs(", ...", f);
		}
		fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"10\">", x + STRIP_W + 6, ty + 23);
		group_summary(f, l, r);
		fputs("</text>\n", f);
	}
	draw_bar(f, l, r, x0 + BAR_X, r->y + (r->h - 24) / 2 + 4);
	fprintf(f, "</g>\n");
}

/* An address at the left of the boxes, at height Y. */
static void draw_addr(FILE *f, int x0, int y, uint64_t a)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\" fill=\"#444444\">"
		"0x%012" PRIx64 "</text>\n", x0 + BOX_X - 4, y + 3, a);
}

static void draw_gap(FILE *f, int x0, int y, int h, uint64_t lo, uint64_t hi, const char *what)
{
	char size[16];
	int x = x0 + BOX_X;

	fprintf(f, "<g class=\"gap\"><title>unmapped 0x%" PRIx64 "-0x%" PRIx64 "</title>\n", lo, hi);
	if (h >= FOLD_H) {
		/* A zigzag band: the gap is not to scale. */
		fprintf(f, "<path d=\"M%d %d", x, y + 5);
		for (int i = 0; i <= BOX_W; i += 15)
			fprintf(f, " L%d %d", x + i, y + ((i / 15) % 2 ? 9 : 5));
		fprintf(f, "\" fill=\"none\" stroke=\"#888888\"/>\n");
	} else {
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbbbbb\" "
			"stroke-dasharray=\"2,3\"/>\n", x, y + h / 2, x + BOX_W, y + h / 2);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#555555\">unmapped %s%s</text></g>\n",
		x + BOX_W / 2 - 20, y + h - 2, svg_size(size, sizeof(size), hi - lo), what);
}

struct mark {
	const char *name;
	uint64_t v;
	int y;
};

/* The mm boundaries, each in the mapping the text output puts it in
 * (up to and including its end, but for start_stack, start_data and
 * start_code, which lie inside). */
static size_t collect_marks(const struct layout *l, struct mark *out)
{
	const struct vm_mm *mm = &l->p->mm;
	const struct { const char *name; uint64_t v; bool end_ok; } want[] = {
		{ "start_stack", mm->start_stack, false }, { "brk", mm->brk, true },
		{ "start_brk", mm->start_brk, true },      { "end_data", mm->end_data, true },
		{ "start_data", mm->start_data, false },   { "end_code", mm->end_code, true },
		{ "start_code", mm->start_code, false },
	};
	size_t n = 0;

	if (!mm->valid)
		return 0;
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		uint64_t v = want[k].v;

		if (!v)
			continue;
		for (size_t i = 0; i < l->nrows; i++) {
			const struct row *r = &l->rows[i];

			if (v >= r->lo && (v < r->hi || (want[k].end_ok && v == r->hi))) {
				out[n++] = (struct mark){ want[k].name, v,
					r->y + r->h - (int)((__uint128_t)(v - r->lo) * (unsigned)r->h / (r->hi - r->lo)) };
				break;
			}
		}
	}
	return n;
}

static int mark_cmp(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	return x->y < y->y ? -1 : x->y > y->y;
}

static void draw_marks(FILE *f, const struct layout *l, int x0)
{
	struct mark m[8];
	size_t n = collect_marks(l, m);
	int last = -100;

	qsort(m, n, sizeof(*m), mark_cmp);
	for (size_t i = 0; i < n; i++) {
		/* Labels 11 pixels apart at least; a line leads from the mark. */
		int ty = m[i].y + 4 < last + 11 ? last + 11 : m[i].y + 4;
		int x = x0 + MARK_X;

		last = ty;
		fprintf(f, "<g class=\"mark\"><polyline points=\"%d,%d %d,%d %d,%d\" fill=\"none\" "
			"stroke=\"#000000\"/>\n", x - 14, m[i].y, x + 6, m[i].y, x + 12, ty - 4);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s 0x%" PRIx64 "</text></g>\n",
			x + 14, ty, m[i].name, m[i].v);
	}
}

/* The area names at the left, a bracket over each area's rows, and how it
 * grows. */
static void draw_areas(FILE *f, const struct layout *l, int x0)
{
	for (size_t n = l->nrows; n-- > 0;) {
		const struct row *r = &l->rows[n];
		enum svg_area a = r->area;
		size_t k = n;
		int top = r->y, bottom, mid, g;

		while (k > 0 && l->rows[k - 1].area == a)
			k--;
		bottom = l->rows[k].y + l->rows[k].h;
		n = k;
		if (a == PIC_KERNEL)
			continue; /* inside the kernel space band */
		mid = (top + bottom) / 2;
		fprintf(f, "<g class=\"area\"><path d=\"M%d %d h-6 V%d h6\" fill=\"none\" stroke=\"#333333\"/>\n",
			x0 + BRACKET_X + 6, top + 1, bottom - 1);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-weight=\"bold\">%s</text>\n",
			x0 + AREA_X, mid + (svg_area_growth[a] ? -2 : 4), svg_area_names[a]);
		g = svg_area_growth[a];
		if (g) {
			/* An arrow beside the name, and the words. */
			int ay = mid + 4, x = x0 + AREA_X - 4;
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\" "
				"stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n",
				x, g > 0 ? ay + 14 : ay, x, g > 0 ? ay : ay + 14);
			fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"10\">grows %s</text>\n",
				x - 8, ay + 10, g > 0 ? "up" : "down");
		}
		fputs("</g>\n", f);
	}
}

static void draw_process(FILE *f, const struct layout *l, int x0)
{
	const struct vm_process *p = l->p;
	char v[16], r[16], sw[16];
	uint64_t above = l->ac.user_top;
	bool user = false;
	int y;

	fprintf(f, "<text x=\"%d\" y=\"40\" font-size=\"15\" font-weight=\"bold\">pid %d ", x0, (int)p->pid);
	svg_text(f, p->comm, 32);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"58\">virtual %s  resident %s  swapped %s</text>\n", x0,
		fmt_kb(v, sizeof(v), p->totals.virtual_kb), fmt_kb(r, sizeof(r), p->totals.resident_kb),
		fmt_kb(sw, sizeof(sw), p->totals.swapped_kb));
	/* Kernel space, and the kernel's mappings in it (vsyscall). */
	y = TOP;
	fprintf(f, "<g class=\"area\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4d4d4d\"/>\n"
		"<text x=\"%d\" y=\"%d\" fill=\"#ffffff\">kernel space (not accessible to the process)</text>\n"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-weight=\"bold\">kernel space</text></g>\n",
		x0 + BOX_X, y, BOX_W, KERNEL_H, x0 + BOX_X + 6, y + 21, x0 + AREA_X, y + 21);
	for (size_t n = l->nrows; n-- > 0;) {
		const struct row *rw = &l->rows[n];

		if (rw->area != PIC_KERNEL && !user) {
			user = true;
			y = rw->y - (rw->hi < above ? (above - rw->hi >= FOLD_BYTES ? FOLD_H : GAP_H) : 0) - 2;
			fprintf(f, "<g class=\"mark\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\" "
				"stroke-width=\"2\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"10\">top of user space"
				"</text></g>\n", x0 + BOX_X, y + 1, x0 + MARK_X + 6, y + 1, x0 + MARK_X + 14, y + 5);
			draw_addr(f, x0, y + 1, l->ac.user_top);
		}
		if (rw->area != PIC_KERNEL && rw->hi < above) {
			int h = above - rw->hi >= FOLD_BYTES ? FOLD_H : GAP_H;
			draw_gap(f, x0, rw->y - h, h, rw->hi, above, "");
			draw_addr(f, x0, rw->y, rw->hi);
		}
		draw_row(f, l, rw, x0);
		/* Kernel space's rows keep their addresses in their titles: the
		 * top of user space is labelled just below. */
		if (rw->area != PIC_KERNEL)
			draw_addr(f, x0, rw->y + rw->h, rw->lo);
		if (rw->area != PIC_KERNEL)
			above = rw->lo;
	}
	/* The reserved low memory, down to address 0. */
	y = l->nrows ? l->rows[0].y + l->rows[0].h : TOP + KERNEL_H;
	if (above > 0) {
		fprintf(f, "<g class=\"area\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#e6e6e6\" "
			"stroke=\"#999999\" stroke-dasharray=\"4,3\"/>\n", x0 + BOX_X, y, BOX_W, LOW_H);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-weight=\"bold\">reserved</text>"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-weight=\"bold\">low memory</text></g>\n",
			x0 + AREA_X, y + 15, x0 + AREA_X, y + 28);
		draw_gap(f, x0, y, LOW_H, 0, above, ": address 0 is never mapped");
		draw_addr(f, x0, y + LOW_H, 0);
	}
	draw_areas(f, l, x0);
	draw_marks(f, l, x0);
}

static void draw_legend(FILE *f, int y, const bool *used)
{
	int x = 10;

	for (int k = 0; k < VK__COUNT; k++) {
		if (!used[k])
			continue;
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#333333\"/>"
			"<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n",
			x, y, svg_kind_colour(k), x + 16, y + 10, vm_kind_name(k));
		x += 24 + 7 * (int)strlen(vm_kind_name(k));
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\">resident</text>\n", x, y, RESIDENT_COLOUR,
		x + 16, y + 10);
	x += 90;
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\">swapped</text>\n", x, y, SWAPPED_COLOUR,
		x + 16, y + 10);
	fprintf(f, "<text x=\"10\" y=\"%d\" font-size=\"11\">Heights grow with size on a log scale "
		"(%d px for a page, %d px more for each doubling).</text>\n"
		"<text x=\"10\" y=\"%d\" font-size=\"11\">Gaps are not to scale: each says its size. "
		"Small mappings of one object share a row.</text>\n", y + 28, ROW_MIN, LOG_STEP, y + 42);
}

int snapshot_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags)
{
	struct layout *ls = calloc(s->nprocs ? s->nprocs : 1, sizeof(*ls));
	int h = 200, w = (int)(s->nprocs ? s->nprocs : 1) * COL_W + 20, r = 0;
	bool used[VK__COUNT] = { false };
	char when[64];

	if (!ls)
		return -ENOMEM;
	for (size_t i = 0; i < s->nprocs; i++) {
		ls[i].s = s;
		ls[i].p = &s->procs[i];
		area_ctx_init(&ls[i].ac, ls[i].p);
		if ((r = layout_rows(&ls[i])) < 0)
			goto out;
		layout_place(&ls[i]);
		if (ls[i].height > h)
			h = ls[i].height;
		for (size_t k = 0; k < s->procs[i].nmaps; k++)
			used[s->procs[i].maps[k].kind] = true;
	}
	h += 50;
	fmt_time(when, sizeof(when), &s->taken_at);
	svg_begin(f, w, h, "vmatlas snapshot");
	fprintf(f, "<text x=\"10\" y=\"18\" font-size=\"13\">vmatlas snapshot, %s, kernel ", when);
	svg_text(f, s->host.kernel, 64);
	fprintf(f, "%s</text>\n", s->live ? " (live: not atomic)" : "");
	for (size_t i = 0; i < s->nprocs; i++)
		draw_process(f, &ls[i], 10 + (int)i * COL_W);
	draw_legend(f, h - 56, used);
	fputs("</svg>\n", f);
	r = ferror(f) ? -EIO : 0;
out:
	for (size_t i = 0; i < s->nprocs; i++)
		free(ls[i].rows);
	free(ls);
	return r;
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
				k < 0 ? "#000000" : svg_kind_colour(k), k < 0 ? 3 : 2,
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
			k < 0 ? "#000000" : svg_kind_colour(k), CH_X + CH_W + 38, ly + 10,
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
		svg_text(f, comms[j], 16);
		fprintf(f, " %s</text>\n", fmt_kb(kb, sizeof(kb), last));
		ly += 18;
	}
	if (np == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\">no member has a parent in the family</text>\n",
			CH_X + 20, CH_Y + 30);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
