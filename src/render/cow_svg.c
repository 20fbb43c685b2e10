/* The copy-on-write picture (vmatlas cow --format=svg): for each pair, the
 * parent's and the child's pages side by side, one row per mapping both
 * have at the same address, from high to low addresses. Each column draws
 * the mapping's pages left to right, every pixel column the proportion of
 * its pages in each state (shared green, diverged red, parent only yellow,
 * child only magenta: the COW view's colours); between the two columns a
 * green band as thick as the shared part joins them. Rows are as high as
 * the layout's (a log scale of the pages); when a pair has more than
 * COW_MAX_ROWS mappings, neighbours where nothing diverged share a row. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg_priv.h"
#include "vmatlas/cow.h"
#include "vmatlas/render.h"
#include "vmatlas/util.h"

enum {
	COW_MAX_ROWS = 40,
	ROW_MIN_COW = 22,
	NAME_X = 10,
	PX = 330,            /* the parent's column */
	STRIP = 300,
	CX = PX + STRIP + 70, /* the child's column */
	NOTE_X = CX + STRIP + 12,
	PAGE_W = NOTE_X + 250,
};

static const char *const state_colour[COW__COUNT] = {
	[COW_NEITHER] = "#e3e7ee",  [COW_SHARED] = "#2e9e3e", [COW_DIVERGED] = "#d62728",
	[COW_PARENT_ONLY] = "#e8b81e", [COW_CHILD_ONLY] = "#c34fc9",
};

/* A row: mappings FIRST..LAST of a pair. */
struct cow_row {
	size_t first, last;
	struct vm_cow_counts c;
	int y, h;
};

static uint64_t total_of(const struct vm_cow_counts *c)
{
	return vm_cow_counts_total(c);
}

static bool quiet(const struct vm_cow_counts *c)
{
	return !c->diverged && !c->parent_only && !c->child_only;
}

static void counts_add(struct vm_cow_counts *a, const struct vm_cow_counts *b)
{
	a->shared += b->shared;
	a->diverged += b->diverged;
	a->parent_only += b->parent_only;
	a->child_only += b->child_only;
	a->neither += b->neither;
}

/* What a side shows of a state: the other side's own pages are not there. */
static unsigned side_state(unsigned st, bool child)
{
	if ((child && st == COW_PARENT_ONLY) || (!child && st == COW_CHILD_ONLY))
		return COW_NEITHER;
	return st;
}

/* Add pages [POS, POS + N) of a row of TOTAL pages, WEIGHT[st] of each
 * state per page (in 1/N), to the pixel columns they cover: each column
 * gets its share of overlap. */
static void spread(uint64_t (*px)[COW__COUNT], uint64_t total, uint64_t pos, uint64_t n,
		   const uint64_t *weight, bool child)
{
	/* In units of 1/TOTAL of a pixel: pages [POS, POS+N) are
	 * [POS*STRIP, (POS+N)*STRIP), and column C is [C*TOTAL, (C+1)*TOTAL). */
	uint64_t a = pos * STRIP, b = (pos + n) * STRIP;

	for (uint64_t c = a / total; c < STRIP && c * total < b; c++) {
		uint64_t lo = a > c * total ? a : c * total;
		uint64_t hi = b < (c + 1) * total ? b : (c + 1) * total;

		for (unsigned st = 0; st < COW__COUNT; st++)
			if (weight[st])
				px[c][side_state(st, child)] += (hi - lo) * weight[st] / n;
	}
}

/* Per pixel column of one side, how much of each state: from the runs of
 * each mapping of the row, or, without runs, its counts spread evenly
 * over its share of the strip. */
static void strip_counts(const struct vm_cow_pair *c, const struct cow_row *r, bool child,
			 uint64_t (*px)[COW__COUNT])
{
	uint64_t total = total_of(&r->c), pos = 0;

	memset(px, 0, sizeof(uint64_t) * COW__COUNT * STRIP);
	if (!total)
		return;
	for (size_t i = r->first; i <= r->last; i++) {
		const struct vm_cow_mapping *m = &c->maps[i];
		uint64_t n = total_of(&m->counts);

		if (m->runs) {
			for (size_t k = 0; k < m->nruns; k++) {
				uint64_t w[COW__COUNT] = { 0 };

				w[m->runs[k].flags < COW__COUNT ? m->runs[k].flags : COW_NEITHER] = m->runs[k].count;
				spread(px, total, pos, m->runs[k].count, w, child);
				pos += m->runs[k].count;
			}
		} else if (n) {
			const uint64_t w[COW__COUNT] = {
				[COW_NEITHER] = m->counts.neither, [COW_SHARED] = m->counts.shared,
				[COW_DIVERGED] = m->counts.diverged, [COW_PARENT_ONLY] = m->counts.parent_only,
				[COW_CHILD_ONLY] = m->counts.child_only,
			};

			spread(px, total, pos, n, w, child);
			pos += n;
		}
	}
}

static void draw_strip(FILE *f, const struct vm_cow_pair *c, const struct cow_row *r, bool child,
		       int x, uint64_t (*px)[COW__COUNT])
{
	static const unsigned order[] = { COW_SHARED, COW_DIVERGED, COW_PARENT_ONLY,
					  COW_CHILD_ONLY, COW_NEITHER };

	strip_counts(c, r, child, px);
	fprintf(f, "<g class=\"%s\">\n", child ? "child" : "parent");
	for (int col = 0; col < STRIP;) {
		int w = 1, y = r->y;
		uint64_t sum = 0;

		/* Neighbouring columns alike are one rectangle. */
		while (col + w < STRIP && memcmp(px[col], px[col + w], sizeof(px[col])) == 0)
			w++;
		for (unsigned st = 0; st < COW__COUNT; st++)
			sum += px[col][st];
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]) && sum; k++) {
			uint64_t v = px[col][order[k]];
			int h;

			if (!v)
				continue;
			/* The proportion of the column's pages, from the top. */
			h = (int)((uint64_t)r->h * v / sum);
			if (h == 0)
				h = 1;
			if (y + h > r->y + r->h)
				h = r->y + r->h - y;
			if (h > 0)
				fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
					x + col, y, w, h, state_colour[order[k]]);
			y += h;
		}
		col += w;
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333333\"/>\n"
		"</g>\n", x, r->y, STRIP, r->h);
}

static void draw_cow_row(FILE *f, const struct vm_snapshot *s, const struct vm_cow_pair *c,
			 const struct cow_row *r, uint64_t (*px)[COW__COUNT])
{
	const struct vm_cow_mapping *m = &c->maps[r->first];
	uint64_t t = total_of(&r->c);
	int band = t ? (int)((uint64_t)r->h * r->c.shared / t) : 0, ty = r->y + r->h / 2 + 4;
	char sz[16];

	fprintf(f, "<g class=\"cowrow\"><title>");
	for (size_t i = r->first; i <= r->last; i++) {
		fprintf(f, "%s0x%" PRIx64 "-0x%" PRIx64 " ", i > r->first ? "; " : "", c->maps[i].start,
			c->maps[i].end);
		svg_name(f, c->maps[i].path, false, c->maps[i].kind, 0);
	}
	fprintf(f, "</title>\n<text x=\"%d\" y=\"%d\" font-size=\"11\">", NAME_X, ty - 6);
	if (r->first == r->last)
		svg_name(f, m->path, false, m->kind, 42);
	else
		fprintf(f, "%zu mappings, nothing diverged", r->last - r->first + 1);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#444444\">0x%" PRIx64
		"  %s</text>\n", NAME_X, ty + 5, c->maps[r->first].start, svg_size(sz, sizeof(sz),
		t * (uint64_t)s->host.page_size));
	draw_strip(f, c, r, false, PX, px);
	draw_strip(f, c, r, true, CX, px);
	/* The shared pages join the two columns. */
	if (band > 0)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#2e9e3e\" "
			"fill-opacity=\"0.35\"/>\n", PX + STRIP, r->y + (r->h - band) / 2, CX - PX - STRIP,
			band);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">shared %" PRIu64 "  diverged %" PRIu64
		"</text>\n<text x=\"%d\" y=\"%d\" font-size=\"10\">parent only %" PRIu64
		"  child only %" PRIu64 "</text></g>\n", NOTE_X, ty - 5, r->c.shared, r->c.diverged,
		NOTE_X, ty + 7, r->c.parent_only, r->c.child_only);
}

static const char *comm_of(const struct vm_snapshot *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return s->procs[i].comm;
	return "?";
}

/* The rows of C: one per mapping, or quiet neighbours shared when there
 * are too many. */
static struct cow_row *cow_rows(const struct vm_cow_pair *c, size_t *n)
{
	struct cow_row *r = calloc(c->nmaps ? c->nmaps : 1, sizeof(*r));
	bool group = c->nmaps > COW_MAX_ROWS;

	*n = 0;
	if (!r)
		return NULL;
	for (size_t i = 0; i < c->nmaps; i++) {
		const struct vm_cow_counts *k = &c->maps[i].counts;

		if (group && *n && quiet(k) && quiet(&r[*n - 1].c)) {
			r[*n - 1].last = i;
			counts_add(&r[*n - 1].c, k);
			continue;
		}
		r[*n] = (struct cow_row){ .first = i, .last = i, .c = *k };
		(*n)++;
	}
	return r;
}

/* Height of pair C's block when drawn from Y; rows placed. */
static int cow_place(struct cow_row *r, size_t n, int y)
{
	y += 70;
	for (size_t i = n; i-- > 0;) {
		r[i].h = svg_row_height(total_of(&r[i].c), ROW_MIN_COW);
		if (r[i].h > 120)
			r[i].h = 120;
		r[i].y = y;
		y += r[i].h + 4;
	}
	return y + 20;
}

static void draw_pair(FILE *f, const struct vm_snapshot *s, const struct vm_cow_pair *c,
		      struct cow_row *r, size_t n, int y, uint64_t (*px)[COW__COUNT])
{
	const struct vm_cow_counts *t = &c->totals;

	fprintf(f, "<g class=\"pair\">\n<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\">"
		"copy-on-write: parent %d ", NAME_X, y + 18, (int)c->parent);
	svg_text(f, comm_of(s, c->parent), 16);
	fprintf(f, " -&gt; child %d ", (int)c->child);
	svg_text(f, comm_of(s, c->child), 16);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\"%s>precision: %s</text>\n", NAME_X, y + 36,
		c->pfn ? "" : " fill=\"#b00000\" font-weight=\"bold\"",
		c->pfn ? "pfn (physical frames compared: exact)"
		       : "exclusive-bit (an ESTIMATE: physical frames need root)");
	fprintf(f, "<text x=\"%d\" y=\"%d\">pages: shared %" PRIu64 "  diverged %" PRIu64
		"  parent only %" PRIu64 "  child only %" PRIu64 "  neither %" PRIu64 "</text>\n",
		NAME_X, y + 52, t->shared, t->diverged, t->parent_only, t->child_only, t->neither);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">parent %d</text>"
		"<text x=\"%d\" y=\"%d\" font-weight=\"bold\">child %d</text>\n", PX, y + 66,
		(int)c->parent, CX, y + 66, (int)c->child);
	for (size_t i = n; i-- > 0;)
		draw_cow_row(f, s, c, &r[i], px);
	fputs("</g>\n", f);
}

static void cow_legend(FILE *f, int y)
{
	static const struct { unsigned st; const char *name; } items[] = {
		{ COW_SHARED, "shared (one physical page)" }, { COW_DIVERGED, "diverged (copied on write)" },
		{ COW_PARENT_ONLY, "parent only" }, { COW_CHILD_ONLY, "child only" },
		{ COW_NEITHER, "neither" },
	};
	int x = NAME_X;

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#333333\"/>"
			"<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", x, y,
			state_colour[items[i].st], x + 16, y + 10, items[i].name);
		x += 30 + 7 * (int)strlen(items[i].name);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">Each column draws a mapping's pages from "
		"its start (left) to its end; a row's height grows with its pages on a log scale.</text>\n",
		NAME_X, y + 28);
}

int cow_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags)
{
	struct cow_row **rows = calloc(s->ncows ? s->ncows : 1, sizeof(*rows));
	size_t *nrows = calloc(s->ncows ? s->ncows : 1, sizeof(*nrows));
	uint64_t (*px)[COW__COUNT] = calloc(STRIP, sizeof(*px));
	int h = 40, r = -ENOMEM;

	if (!rows || !nrows || !px)
		goto out;
	for (size_t i = 0; i < s->ncows; i++) {
		if (!(rows[i] = cow_rows(&s->cows[i], &nrows[i])))
			goto out;
		h = cow_place(rows[i], nrows[i], h);
	}
	svg_begin(f, PAGE_W, h + 50, "vmatlas copy-on-write");
	fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"13\">vmatlas cow, kernel ", NAME_X);
	svg_text(f, s->host.kernel, 64);
	fputs("</text>\n", f);
	h = 40;
	for (size_t i = 0; i < s->ncows; i++) {
		draw_pair(f, s, &s->cows[i], rows[i], nrows[i], h, px);
		h = cow_place(rows[i], nrows[i], h);
	}
	cow_legend(f, h + 4);
	fputs("</svg>\n", f);
	r = ferror(f) ? -EIO : 0;
out:
	for (size_t i = 0; rows && i < s->ncows; i++)
		free(rows[i]);
	free(rows);
	free(nrows);
	free(px);
	return r;
}
