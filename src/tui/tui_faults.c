/* The Faults view (key 8): page fault rates per type with sparklines, the
 * mappings and functions that fault most; and the COW view's "who
 * copies" panel. Faults are recorded (collect/faults.c: perf events, the
 * target never stops) only while one of these views is shown, the Pages
 * view opened from the Faults view, or with --faults. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"
#include "vmatlas/faults.h"
#include "vmatlas/util.h"

#define HIST 120         /* refreshes of rate history */
#define TOP_FNS 64

struct tui_faults {
	struct faults *rec;
	pid_t pid;              /* recorded (with its descendants) */
	pid_t failed_pid;       /* refused for it: not retried */
	int err;
	char why[256];
	struct fault_report rep;
	bool have_rep;
	uint64_t t0, last_t;
	uint64_t last[FT__COUNT + 1];
	double hist[FT__COUNT + 1][HIST]; /* faults/s, oldest first */
	size_t nhist;
	uint64_t *pages;        /* pages of pid faulted in the last refresh */
	size_t npages;
	unsigned seen_refresh;
	bool via_faults;        /* the Pages view was opened from here */
	uint64_t sel;           /* start of the selected mapping row */
};

static struct tui_faults *state(struct tui *t)
{
	if (!t->faults)
		t->faults = calloc(1, sizeof(*t->faults));
	return t->faults;
}

static void rec_stop(struct tui_faults *s)
{
	faults_close(s->rec);
	s->rec = NULL;
	s->pid = 0;
	fault_report_fini(&s->rep);
	s->have_rep = false;
	s->nhist = 0;
	free(s->pages);
	s->pages = NULL;
	s->npages = 0;
}

void tui_faults_fini(struct tui *t)
{
	if (!t->faults)
		return;
	rec_stop(t->faults);
	free(t->faults);
	t->faults = NULL;
}

static bool wanted(struct tui *t, struct tui_faults *s)
{
	if (t->view == TUI_VIEW_FAULTS)
		s->via_faults = true;
	else if (t->view != TUI_VIEW_PAGES)
		s->via_faults = false;
	if (!t->src->ops->is_live(t->src) || t->pid <= 0 || t->gone)
		return false;
	return t->o.faults || t->view == TUI_VIEW_FAULTS || t->view == TUI_VIEW_COW ||
	       (t->view == TUI_VIEW_PAGES && s->via_faults);
}

static void rec_start(struct tui *t, struct tui_faults *s)
{
	struct fault_opts o = { .follow_forks = true };
	int r;

	rec_stop(s);
	if (s->failed_pid == t->pid)
		return;
	r = faults_open(&t->pid, 1, &o, &s->rec);
	if (r == 0)
		r = faults_start(s->rec);
	if (r < 0) {
		faults_close(s->rec);
		s->rec = NULL;
		s->err = r;
		s->failed_pid = t->pid;
		faults_refusal(r, s->why, sizeof(s->why));
		return;
	}
	s->err = 0;
	s->pid = t->pid;
	s->t0 = s->last_t = vm_now_ns();
	memset(s->last, 0, sizeof(s->last));
	s->seen_refresh = t->refreshes;
}

/* Once a refresh: the report so far, this refresh's rates, and in the
 * Pages view the pages faulted meanwhile. */
static void rec_sample(struct tui *t, struct tui_faults *s)
{
	uint64_t now = vm_now_ns(), cur[FT__COUNT + 1];
	double dt = (double)(now - s->last_t) / 1e9;

	fault_report_fini(&s->rep);
	s->have_rep = faults_report(s->rec, &s->rep) == 0;
	if (!s->have_rep)
		return;
	for (int k = 0; k < FT__COUNT; k++)
		cur[k] = s->rep.by_type[k];
	cur[FT__COUNT] = s->rep.faults;
	if (s->nhist == HIST) {
		for (int k = 0; k <= FT__COUNT; k++)
			memmove(s->hist[k], s->hist[k] + 1, (HIST - 1) * sizeof(double));
		s->nhist--;
	}
	for (int k = 0; k <= FT__COUNT; k++)
		s->hist[k][s->nhist] = dt > 0 ? (double)(cur[k] - s->last[k]) / dt : 0;
	s->nhist++;
	memcpy(s->last, cur, sizeof(cur));
	s->last_t = now;
	/* The marks are for the Pages view: there they are the pages that
	 * faulted since its previous refresh (the first time: since it was
	 * last shown, or since recording started). */
	if (t->view != TUI_VIEW_PAGES)
		return;
	free(s->pages);
	s->pages = NULL;
	s->npages = 0;
	faults_take_pages(s->rec, s->pid == t->pid ? t->pid : s->pid, 0, UINT64_MAX,
			  &s->pages, &s->npages);
}

void tui_faults_tick(struct tui *t)
{
	struct tui_faults *s;

	if (!t->faults && !t->o.faults && t->view != TUI_VIEW_FAULTS && t->view != TUI_VIEW_COW)
		return;
	s = state(t);
	if (!s)
		return;
	if (!wanted(t, s)) {
		if (s->rec)
			rec_stop(s);
		return;
	}
	if (!s->rec || s->pid != t->pid)
		rec_start(t, s);
	if (!s->rec)
		return;
	/* Read the buffers often: a busy target fills them between refreshes. */
	faults_poll(s->rec, 0);
	if (t->refreshes != s->seen_refresh) {
		s->seen_refresh = t->refreshes;
		rec_sample(t, s);
	}
}

bool tui_faults_marked(const struct tui *t, uint64_t start, uint64_t pages)
{
	const struct tui_faults *s = t->faults;
	uint64_t end, ps = (uint64_t)(t->snap && t->snap->host.page_size > 0 ?
				      t->snap->host.page_size : 4096);
	size_t lo = 0, hi;

	if (!s || !s->npages || s->pid != t->pid)
		return false;
	end = start + pages * ps;
	hi = s->npages;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->pages[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->npages && s->pages[lo] < end;
}

bool tui_faults_recording(const struct tui *t)
{
	return t->faults && t->faults->rec && t->faults->pid == t->pid;
}

/* ---- drawing ---- */

static void sparkline(const struct tui *t, int y, int x, int width, const double *v, size_t n)
{
	static const char *const utf8[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584",
					     "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char *const ascii[] = { " ", ".", ".", ":", ":", "-", "=", "+", "#" };
	double max = 0;
	size_t first = n > (size_t)width ? n - (size_t)width : 0;

	for (size_t i = first; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (size_t i = first; i < n; i++) {
		int lvl = max > 0 ? (int)(v[i] / max * 8 + 0.5) : 0;

		if (lvl == 0 && v[i] > 0)
			lvl = 1;
		mvaddstr(y, x + (int)(i - first), t->utf8 ? utf8[lvl] : ascii[lvl]);
	}
}

static void title(const struct tui *t, int y, const char *s)
{
	attron(tui_attr(t, TC_TITLE));
	tui_put(y, 0, s, t->cols);
	tui_clear_to_eol(y, (int)strlen(s) < t->cols ? (int)strlen(s) : t->cols);
	attroff(tui_attr(t, TC_TITLE));
}

/* Mapping rows of the shown process, most faults first. */
static size_t shown_rows(const struct tui *t, const struct tui_faults *s,
			 const struct fault_mapping **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; s->have_rep && i < s->rep.nmaps && n < max; i++)
		if (s->rep.maps[i].pid == t->pid)
			out[n++] = &s->rep.maps[i];
	return n;
}

static ssize_t sel_row(const struct tui_faults *s, const struct fault_mapping **rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i]->start == s->sel)
			return (ssize_t)i;
	return n ? 0 : -1;
}

/* "symbol (object)" of C, escaped when drawn. */
static void fn_name(char *buf, size_t len, const struct fault_code *c)
{
	const char *o = c->object ? strrchr(c->object, '/') : NULL;

	o = o ? o + 1 : c->object;
	if (c->symbol)
		snprintf(buf, len, "%s (%s)", c->symbol, o ? o : "?");
	else
		snprintf(buf, len, "0x%" PRIx64 " (%s)", c->ip, o ? o : "?");
}

#define MAX_ROWS 256

void tui_faults_draw(struct tui *t, int top, int height)
{
	struct tui_faults *s = state(t);
	const struct fault_mapping *rows[MAX_ROWS];
	struct fault_code_sum fns[TOP_FNS];
	char line[512], name[300];
	size_t nrows, nfns;
	ssize_t sel;
	int y = top, nmap, nfn;

	if (!s)
		return;
	if (!t->src->ops->is_live(t->src)) {
		tui_put(y, 1, "Page faults are recorded from a running process, not from a file.", t->cols - 1);
		return;
	}
	if (!s->rec) {
		attron(tui_attr(t, TC_WARN));
		tui_put(y, 1, s->err ? s->why : "Starting to record page faults...", t->cols - 1);
		attroff(tui_attr(t, TC_WARN));
		return;
	}
	snprintf(line, sizeof(line), "Page faults of %d and its descendants: %.0f s recorded, while this view, COW or --faults; lost %" PRIu64,
		 (int)s->pid, (double)(vm_now_ns() - s->t0) / 1e9,
		 s->have_rep ? s->rep.lost : 0);
	attron(tui_attr(t, s->have_rep && s->rep.lost ? TC_WARN : TC_NORMAL));
	tui_put(y++, 0, line, t->cols);
	attroff(tui_attr(t, s->have_rep && s->rep.lost ? TC_WARN : TC_NORMAL));
	if (!s->have_rep) {
		tui_put(y, 1, "waiting for the first refresh...", t->cols - 1);
		return;
	}
	title(t, y++, "TYPE            NOW/s      TOTAL  HISTORY (a column per refresh)");
	for (int k = 0; k <= FT__COUNT && y < top + height; k++) {
		uint64_t total = k < FT__COUNT ? s->rep.by_type[k] : s->rep.faults;
		double now = s->nhist ? s->hist[k][s->nhist - 1] : 0;

		snprintf(line, sizeof(line), "%-12s %8.0f %10" PRIu64 "  ",
			 k < FT__COUNT ? fault_type_name((enum fault_type)k) : "all", now, total);
		tui_put(y, 0, line, t->cols);
		if (t->cols > 36)
			sparkline(t, y, 34, t->cols - 35, s->hist[k], s->nhist);
		y++;
	}
	if (y + 4 > top + height)
		return;
	nrows = shown_rows(t, s, rows, MAX_ROWS);
	sel = sel_row(s, rows, nrows);
	if (sel >= 0)
		s->sel = rows[sel]->start;
	nmap = (top + height - y - 2) / 2;
	nfn = top + height - y - 2 - nmap;
	title(t, y++, "MAPPINGS (Enter: its pages)  FAULTS FIRST_TOUCH   FILE SWAP_IN    COW  OTHER  NAME");
	tui_scroll_to(&t->scroll[TUI_VIEW_FAULTS], (int)(sel < 0 ? 0 : sel), nmap, (int)nrows);
	for (int i = 0; i < nmap; i++) {
		size_t k = (size_t)(t->scroll[TUI_VIEW_FAULTS] + i);
		const struct fault_mapping *m;
		int x;

		if (k >= nrows)
			break;
		m = rows[k];
		snprintf(line, sizeof(line), "%-16" PRIx64 " %-9s %8" PRIu64 " %11" PRIu64 " %6" PRIu64
			 " %7" PRIu64 " %6" PRIu64 " %6" PRIu64 "  ",
			 m->start, vm_kind_name(m->kind), m->faults, m->by_type[FT_FIRST_TOUCH],
			 m->by_type[FT_FILE], m->by_type[FT_SWAP_IN], m->by_type[FT_COW],
			 m->by_type[FT_OTHER]);
		if ((ssize_t)k == sel)
			attron(tui_attr(t, TC_SEL));
		x = tui_put(y + i, 0, line, t->cols);
		if ((ssize_t)k == sel)
			attroff(tui_attr(t, TC_SEL));
		tui_put_path(t, y + i, x, *m->path ? m->path : vm_kind_name(m->kind), t->cols - x);
	}
	y += nmap;
	title(t, y++, "FUNCTIONS       FAULTS TYPE         PID      FUNCTION (OBJECT)");
	nfns = faults_functions(&s->rep, fns, TOP_FNS);
	for (int i = 0; i < nfn && (size_t)i < nfns; i++) {
		const struct fault_code *c = fns[i].first;
		int x;

		snprintf(line, sizeof(line), "%-10s %11" PRIu64 " %-12s %-8d ", "", fns[i].count,
			 fault_type_name(c->type), (int)c->pid);
		x = tui_put(y + i, 0, line, t->cols);
		fn_name(name, sizeof(name), c);
		tui_put_untrusted(t, y + i, x, name, t->cols - x);
	}
}

bool tui_faults_key(struct tui *t, int ch)
{
	struct tui_faults *s = state(t);
	const struct fault_mapping *rows[MAX_ROWS];
	size_t nrows;
	ssize_t sel, k;

	if (!s)
		return false;
	nrows = shown_rows(t, s, rows, MAX_ROWS);
	sel = sel_row(s, rows, nrows);
	if (sel < 0)
		return false;
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		k = t->proc ? vm_process_find(t->proc, rows[sel]->start) : -1;
		if (k < 0) {
			tui_set_status(t, "that mapping is gone");
			return true;
		}
		tui_select_index(t, (size_t)k);
		tui_open_pages(t);
		return true;
	}
	if (!tui_list_move(ch, &sel, nrows, 10))
		return false;
	s->sel = rows[sel]->start;
	return true;
}

/* ---- the COW view's "who copies" ---- */

int tui_faults_cow_panel(struct tui *t, int top, int height, pid_t parent, pid_t child)
{
	struct tui_faults *s = t->faults;
	struct fault_code_sum fns[TOP_FNS];
	char line[512], name[300];
	size_t nfns;
	/* Only where the pair's table and grid keep their room: a terminal
	 * of about 36 lines or more. */
	int lines = height >= 32 ? (height / 4 < 8 ? height / 4 : 8) : 0, y, shown = 0;

	if (lines < 3)
		return 0;
	y = top + height - lines;
	if (!s || !s->rec) {
		attron(tui_attr(t, TC_DIM));
		tui_put(y, 0, s && s->err ? s->why : "Who copies: recording page faults...", t->cols);
		attroff(tui_attr(t, TC_DIM));
		return lines;
	}
	snprintf(line, sizeof(line), "WHO COPIES: functions causing cow faults (child %d, parent %d)   COUNT",
		 (int)child, (int)parent);
	title(t, y++, line);
	nfns = s->have_rep ? faults_functions(&s->rep, fns, TOP_FNS) : 0;
	for (size_t i = 0; i < nfns && shown < lines - 1; i++) {
		const struct fault_code *c = fns[i].first;
		int x;

		if (c->type != FT_COW || (c->pid != parent && c->pid != child))
			continue;
		snprintf(line, sizeof(line), "  %-6s %-8d %10" PRIu64 "  ",
			 c->pid == child ? "child" : "parent", (int)c->pid, fns[i].count);
		x = tui_put(y, 0, line, t->cols);
		fn_name(name, sizeof(name), c);
		tui_put_untrusted(t, y++, x, name, t->cols - x);
		shown++;
	}
	if (!shown)
		tui_put(y, 2, "no copy-on-write fault recorded yet", t->cols - 2);
	return lines;
}
