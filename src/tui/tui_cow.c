/* The COW view: how a child's memory drifts from its parent's. The shown
 * process is the parent; the source compares it with one child (only
 * while this view is shown). Per mapping: a bar of shared, diverged,
 * parent only, child only and neither pages; the selected mapping as a
 * page grid coloured by COW state; and how fast pages are being copied. */
#include "config.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"
#include "vmatlas/cow.h"
#include "vmatlas/render.h"
#include "vmatlas/util.h"

/* Header lines above the table: pair, totals, rate, column titles. */
#define COW_HEAD 4

/* Lines of the mapping table in a view of HEIGHT lines: half of what is
 * below the header (at least 3), the grid of the selected mapping gets the
 * rest. */
static int cow_list_rows(int height, size_t nmaps)
{
	int list = (int)(nmaps < 4096 ? nmaps : 4096);

	height -= COW_HEAD;
	if (list > height / 2)
		list = height / 2 > 3 ? height / 2 : (height < 3 ? height : 3);
	return list < 0 ? 0 : list;
}

static ssize_t cow_sel_index(const struct tui *t, const struct vm_cow_pair *c)
{
	ssize_t best = -1;

	if (!c || !c->nmaps)
		return -1;
	for (size_t i = 0; i < c->nmaps; i++)
		if (c->maps[i].start == t->cow_sel)
			return (ssize_t)i;
	/* Nothing chosen yet: the mapping that diverged most. */
	for (size_t i = 0; i < c->nmaps; i++)
		if (best < 0 || c->maps[i].counts.diverged > c->maps[best].counts.diverged)
			best = (ssize_t)i;
	return best;
}

void tui_cow_sample(struct tui *t)
{
	const struct vm_cow_pair *c = tui_cow_pair(t);
	struct tui_cow_sample s;

	if (!c)
		return;
	if (c->parent != t->hist_parent || c->child != t->hist_child) {
		t->hist_parent = c->parent;
		t->hist_child = c->child;
		t->nhist = 0;
		t->hist_first = c->totals.diverged;
	}
	s.t_ns = vm_now_ns();
	s.diverged = c->totals.diverged;
	if (t->nhist == TUI_COW_HIST) {
		memmove(t->hist, t->hist + 1, (TUI_COW_HIST - 1) * sizeof(t->hist[0]));
		t->nhist--;
	}
	t->hist[t->nhist++] = s;
}

/* Pages copied per second between samples I-1 and I (0 when fewer
 * diverged: a page written back or unmapped). */
static double cow_rate(const struct tui *t, size_t i)
{
	const struct tui_cow_sample *a = &t->hist[i - 1], *b = &t->hist[i];
	double dt = (double)(b->t_ns - a->t_ns) / 1e9;

	if (b->diverged <= a->diverged || dt <= 0)
		return 0;
	return (double)(b->diverged - a->diverged) / dt;
}

/* Rate now, then a sparkline of the rates of the last refreshes. */
static void cow_draw_rate(struct tui *t, int y, const struct vm_cow_pair *c)
{
	static const char *const bars_utf8[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584",
						 "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char bars_ascii[] = " ._-=+*%#@";
	char line[160];
	double max = 0, now = t->nhist >= 2 ? cow_rate(t, t->nhist - 1) : 0;
	int64_t since = (int64_t)c->totals.diverged - (int64_t)t->hist_first;
	int x, width;
	size_t first;

	snprintf(line, sizeof(line), "copied %8.1f pages/s  %+" PRId64 " since shown  ", now, since);
	x = tui_put(y, 0, line, t->cols);
	width = t->cols - x - 1;
	if (width <= 0 || t->nhist < 2)
		return;
	first = t->nhist - 1 > (size_t)width ? t->nhist - 1 - (size_t)width : 0;
	for (size_t i = first + 1; i < t->nhist; i++)
		if (cow_rate(t, i) > max)
			max = cow_rate(t, i);
	move(y, x);
	attron(tui_attr(t, TC_COW + COW_DIVERGED));
	for (size_t i = first + 1; i < t->nhist; i++) {
		double r = cow_rate(t, i);
		if (t->utf8) {
			int lv = max > 0 ? (int)(r / max * 8 + 0.5) : 0;
			if (r > 0 && lv == 0)
				lv = 1;
			addstr(bars_utf8[lv]);
		} else {
			int lv = max > 0 ? (int)(r / max * 9 + 0.5) : 0;
			if (r > 0 && lv == 0)
				lv = 1;
			addch((chtype)(unsigned char)bars_ascii[lv]);
		}
	}
	attroff(tui_attr(t, TC_COW + COW_DIVERGED));
}

/* A bar of WIDTH cells: the five counts of C in proportion, in order. */
static void cow_put_bar(const struct tui *t, int y, int x, int width,
			const struct vm_cow_counts *c)
{
	const uint64_t v[COW__COUNT] = {
		[COW_SHARED] = c->shared, [COW_DIVERGED] = c->diverged,
		[COW_PARENT_ONLY] = c->parent_only, [COW_CHILD_ONLY] = c->child_only,
		[COW_NEITHER] = c->neither,
	};
	static const unsigned order[] = { COW_SHARED, COW_DIVERGED, COW_PARENT_ONLY,
					  COW_CHILD_ONLY, COW_NEITHER };
	uint64_t total = vm_cow_counts_total(c), cum = 0;
	int done = 0;

	if (width <= 0 || !total)
		return;
	move(y, x);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		int end;

		cum += v[order[k]];
		end = (int)((cum * (uint64_t)width + total / 2) / total);
		/* One page diverged still shows. */
		if (v[order[k]] && end == done && done < width)
			end = done + 1;
		attron(tui_attr(t, TC_COW + order[k]));
		for (; done < end && done < width; done++)
			addstr(tui_cow_glyph(t, order[k]));
		attroff(tui_attr(t, TC_COW + order[k]));
	}
}

static void cow_draw_grid(struct tui *t, int top, int height, const struct vm_cow_mapping *m)
{
	uint64_t total = vm_cow_counts_total(&m->counts);
	int width = t->cols - 2, cells;
	uint8_t *v;
	size_t n;
	char line[160], *name = escape_untrusted(m->path && *m->path ? m->path : "[anon]");

	if (height < 2 || width < 8)
		goto out;
	cells = width * (height - 1);
	snprintf(line, sizeof(line), "0x%" PRIx64 " %s: %" PRIu64 " %s, %s", m->start,
		 name ? name : "?", total, tui_plural(total, "page", "pages"),
		 total <= (uint64_t)cells ? "1 cell = 1 page" :
		 "cells in proportion to the pages of each state");
	attron(tui_attr(t, TC_TITLE));
	tui_put(top, 0, line, t->cols);
	tui_clear_to_eol(top, (int)strlen(line) < t->cols ? (int)strlen(line) : t->cols);
	attroff(tui_attr(t, TC_TITLE));
	if (!m->runs || !total)
		goto out;
	v = malloc((size_t)cells);
	if (!v)
		goto out;
	n = cow_strip(m, v, (size_t)cells);
	for (size_t k = 0; k < n; k++) {
		int y = top + 1 + (int)(k / (size_t)width), x = 1 + (int)(k % (size_t)width);

		attron(tui_attr(t, TC_COW + v[k]));
		mvaddstr(y, x, tui_cow_glyph(t, v[k]));
		attroff(tui_attr(t, TC_COW + v[k]));
	}
	free(v);
out:
	free(name);
}

/* The children of the shown process, live ones. */
static size_t cow_children(struct tui *t, pid_t *out, size_t max)
{
	struct tui_proc *v = calloc(TUI_MAX_PROCS, sizeof(*v));
	size_t n, k = 0;

	if (!v)
		return 0;
	n = tui_procs(t, v, TUI_MAX_PROCS);
	for (size_t i = 0; i < n && k < max; i++)
		if (v[i].ppid == t->pid && v[i].pid != t->pid && !v[i].exited)
			out[k++] = v[i].pid;
	free(v);
	return k;
}

static const char *proc_comm(const struct tui *t, pid_t pid)
{
	for (size_t i = 0; t->snap && i < t->snap->nprocs; i++)
		if (t->snap->procs[i].pid == pid)
			return t->snap->procs[i].comm;
	return "?";
}

void tui_cow_draw(struct tui *t, int top, int height)
{
	const struct vm_cow_pair *c = tui_cow_pair(t);
	const struct vm_cow_counts *tc;
	char line[256];
	pid_t kids[64];
	size_t nkids;
	ssize_t sel;
	int x, list, y;

	if (!c) {
		nkids = cow_children(t, kids, 64);
		tui_put(top + 1, 1, nkids ? "Comparing with a child: waiting for the next refresh." :
			"No child to compare with: copy-on-write needs a forked child.", t->cols - 1);
		snprintf(line, sizeof(line), "Children of process %d appear here when it forks%s; t shows the tree.",
			 (int)t->pid, t->src->ops->procs ? " (they are followed unless --no-follow)" : "");
		tui_put(top + 2, 1, line, t->cols - 1);
		return;
	}
	/* "Who copies" takes the last lines. */
	height -= tui_faults_cow_panel(t, top, height, c->parent, c->child);
	/* The precision comes first: it must never be cut off. */
	attron(tui_attr(t, c->pfn ? TC_TITLE : TC_WARN));
	x = tui_put(top, 0, c->pfn ? "exact (PFN)" : "ESTIMATE (exclusive bit)", t->cols);
	attroff(tui_attr(t, c->pfn ? TC_TITLE : TC_WARN));
	snprintf(line, sizeof(line), "  parent %d ", (int)c->parent);
	x += tui_put(top, x, line, t->cols - x);
	x += tui_put_untrusted(t, top, x, proc_comm(t, c->parent), 16);
	snprintf(line, sizeof(line), " -> child %d ", (int)c->child);
	x += tui_put(top, x, line, t->cols - x);
	x += tui_put_untrusted(t, top, x, proc_comm(t, c->child), 16);
	nkids = cow_children(t, kids, 64);
	if (nkids > 1) {
		snprintf(line, sizeof(line), "  (%zu children: c next)", nkids);
		tui_put(top, x, line, t->cols - x);
	}
	tc = &c->totals;
	snprintf(line, sizeof(line),
		 "shared %" PRIu64 "  diverged %" PRIu64 "  parent only %" PRIu64
		 "  child only %" PRIu64 "  neither %" PRIu64 "  (%.1f%% of both diverged)",
		 tc->shared, tc->diverged, tc->parent_only, tc->child_only, tc->neither,
		 tc->shared + tc->diverged ?
		 100.0 * (double)tc->diverged / (double)(tc->shared + tc->diverged) : 0.0);
	tui_put(top + 1, 0, line, t->cols);
	cow_draw_rate(t, top + 2, c);
	attron(tui_attr(t, TC_TITLE));
	snprintf(line, sizeof(line), "%-14s %8s %8s %8s %11s %10s  %s", "start", "pages", "shared",
		 "diverged", "parent only", "child only", "name");
	tui_put(top + 3, 0, line, t->cols);
	tui_clear_to_eol(top + 3, (int)strlen(line) < t->cols ? (int)strlen(line) : t->cols);
	attroff(tui_attr(t, TC_TITLE));

	sel = cow_sel_index(t, c);
	if (sel >= 0)
		t->cow_sel = c->maps[sel].start;
	list = cow_list_rows(height, c->nmaps);
	height -= COW_HEAD;
	tui_scroll_to(&t->scroll[TUI_VIEW_COW], (int)(sel < 0 ? 0 : sel), list, (int)c->nmaps);
	for (int i = 0; i < list; i++) {
		size_t k = (size_t)(t->scroll[TUI_VIEW_COW] + i);
		const struct vm_cow_mapping *m;
		int bx, bw;

		if (k >= c->nmaps)
			break;
		m = &c->maps[k];
		y = top + COW_HEAD + i;
		snprintf(line, sizeof(line), "%-14" PRIx64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
			 " %11" PRIu64 " %10" PRIu64 "  ", m->start, vm_cow_counts_total(&m->counts),
			 m->counts.shared, m->counts.diverged, m->counts.parent_only,
			 m->counts.child_only);
		if ((ssize_t)k == sel)
			attron(tui_attr(t, TC_SEL));
		bx = tui_put(y, 0, line, t->cols);
		if ((ssize_t)k == sel) {
			attroff(tui_attr(t, TC_SEL));
		}
		/* The bar, then the name in what is left. */
		bw = (t->cols - bx) / 2;
		if (bw > 40)
			bw = 40;
		cow_put_bar(t, y, bx, bw, &m->counts);
		tui_put_path(t, y, bx + bw + 1, m->path && *m->path ? m->path :
				  vm_kind_name(m->kind), t->cols - bx - bw - 1);
	}
	y = top + COW_HEAD + list;
	if (sel >= 0)
		cow_draw_grid(t, y, height - list, &c->maps[sel]);
}

bool tui_cow_key(struct tui *t, int ch)
{
	const struct vm_cow_pair *c = tui_cow_pair(t);
	ssize_t sel = cow_sel_index(t, c);
	pid_t kids[64];
	size_t nkids, i;

	switch (ch) {
	case 'c':
		nkids = cow_children(t, kids, 64);
		if (!nkids) {
			tui_set_status(t, "process %d has no child to compare with", (int)t->pid);
			return true;
		}
		for (i = 0; i < nkids && c && kids[i] != c->child; i++)
			;
		t->cow_child = kids[i < nkids ? (i + 1) % nkids : 0];
		tui_set_status(t, "comparing with child %d", (int)t->cow_child);
		tui_set_view(t, TUI_VIEW_COW); /* refreshes */
		return true;
	case '\n':
	case '\r':
	case KEY_ENTER:
		/* The parent's pages of that mapping. */
		if (sel >= 0) {
			ssize_t k = t->proc ? vm_process_find(t->proc, c->maps[sel].start) : -1;
			if (k >= 0) {
				tui_select_index(t, (size_t)k);
				tui_open_pages(t);
			}
		}
		return true;
	default:
		break;
	}
	if (sel < 0 || !tui_list_move(ch, &sel, c->nmaps, 10))
		return false;
	t->cow_sel = c->maps[sel].start;
	return true;
}

static bool cow_map_match(const void *ctx, size_t i, const char *pat)
{
	const struct vm_cow_mapping *m = &((const struct vm_cow_pair *)ctx)->maps[i];
	char text[64];

	snprintf(text, sizeof(text), "%" PRIx64 " %s ", m->start, vm_kind_name(m->kind));
	return tui_text_matches(text, pat) || (m->path && tui_text_matches(m->path, pat));
}

bool tui_cow_find(struct tui *t, const char *pat, int dir, bool self)
{
	const struct vm_cow_pair *c = tui_cow_pair(t);
	ssize_t i = c ? tui_find_index(c->nmaps, cow_sel_index(t, c), dir, self, cow_map_match,
				       c, pat) : -1;

	if (i >= 0)
		t->cow_sel = c->maps[i].start;
	return i >= 0;
}

void tui_cow_click(struct tui *t, int y, int x)
{
	const struct vm_cow_pair *c = tui_cow_pair(t);
	int k = y - COW_HEAD + t->scroll[TUI_VIEW_COW];

	(void)x;
	if (c && y >= COW_HEAD && y < COW_HEAD + cow_list_rows(t->rows - 4, c->nmaps) &&
	    k >= 0 && (size_t)k < c->nmaps)
		t->cow_sel = c->maps[k].start;
}

void tui_cow_want(const struct tui *t, struct tui_want *w)
{
	w->cow = true;
	w->cow_child = t->cow_child;
}
