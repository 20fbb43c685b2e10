/* The live screen's main loop: refresh from the source, work out what
 * changed, draw the header, the view and the key bar, and handle keys and
 * the mouse (htop's conventions). */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "tui_priv.h"
#include "vmatlas/json.h"
#include "vmatlas/render.h"
#include "vmatlas/outfile.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

const struct tui_view tui_views[] = {
	{ .name = "Layout", .draw = tui_layout_draw, .key = tui_layout_key, .click = tui_layout_click,
	  .find = tui_layout_find },
	{ .name = "Maps", .draw = tui_maps_draw, .key = tui_maps_key, .click = tui_maps_click,
	  .find = tui_maps_find, .filters = true },
	{ .name = "Pages", .draw = tui_pages_draw, .key = tui_pages_key, .click = tui_pages_click, .want = tui_pages_want,
	  .find = tui_find_mapping },
	{ .name = "Sections", .draw = tui_sections_draw, .key = tui_sections_key,
	  .find = tui_sections_find, .filters = true },
	{ .name = "Stacks", .draw = tui_stacks_draw, .key = tui_stacks_key, .want = tui_stacks_want,
	  .find = tui_stacks_find, .filters = true },
	{ .name = "COW", .draw = tui_cow_draw, .key = tui_cow_key, .click = tui_cow_click, .want = tui_cow_want, .sample = tui_cow_sample,
	  .find = tui_cow_find },
	{ .name = "Tree", .draw = tui_tree_draw, .key = tui_tree_key, .click = tui_tree_click, .want = tui_tree_want,
	  .find = tui_tree_find, .filters = true },
	{ .name = "Faults", .draw = tui_faults_draw, .key = tui_faults_key },
	{ .name = "Output", .draw = tui_output_draw, .key = tui_output_key, .shown = tui_output_shown,
	  .find = tui_output_find, .filters = true },
};
const size_t tui_nviews = sizeof(tui_views) / sizeof(tui_views[0]);


static const double delays[] = { 0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 30 };

/* ---- saving --------------------------------------------------------- */

/* The whole followed tree with its COW pairs when the source has one;
 * else the snapshot shown. */
static void tui_save(struct tui *t)
{
	char name[96], stamp[32];
	struct outfile out;
	struct tm tm;
	time_t now = time(NULL);
	struct vm_snapshot *all = NULL;
	size_t all_nprocs = 0, all_ncows = 0;
	json_t *doc;
	int r;

	if (!t->snap) {
		tui_set_status(t, "nothing to save yet");
		return;
	}
	if (t->src->ops->take_all && !t->gone && t->src->ops->take_all(t->src, &all) < 0)
		all = NULL;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(name, sizeof(name), "vmatlas-%d-%s.json", (int)t->pid, stamp);
	r = outfile_open(&out, name, false);
	if (r < 0) {
		if (all)
			t->src->ops->release(t->src, all);
		tui_set_status(t, "cannot save %s: %s", name, strerror(-r));
		return;
	}
	doc = snapshot_to_json(all ? all : t->snap, OUT_PAGES);
	if (all) {
		all_nprocs = all->nprocs;
		all_ncows = all->ncows;
		t->src->ops->release(t->src, all);
	}
	r = json_write(out.f, doc, false);
	json_decref(doc);
	if (r < 0) {
		outfile_abort(&out);
		tui_set_status(t, "cannot save %s", name);
		return;
	}
	r = outfile_commit(&out);
	if (r < 0)
		tui_set_status(t, "cannot save %s: %s", name, strerror(-r));
	else if (all_nprocs)
		tui_set_status(t, "saved %s (%zu %s, %zu COW %s)", name,
			       all_nprocs, tui_plural(all_nprocs, "process", "processes"),
			       all_ncows, tui_plural(all_ncows, "pair", "pairs"));
	else
		tui_set_status(t, "saved %s", name);
}

/* ---- drawing -------------------------------------------------------- */

static const char *proc_state_word(const struct tui *t)
{
	if (t->gone)
		return "gone";
	if (!t->src->ops->is_live(t->src))
		return "file";
	if (!t->proc)
		return "?";
	switch (t->proc->state) {
	case 'T':
		return "stopped";
	case 'Z':
	case 'X':
		return "gone";
	case 't':
		return "stopped";
	default:
		return "running";
	}
}

static void draw_header(struct tui *t)
{
	const struct vm_process *p = t->proc;
	char line[512], v[16], r[16], s[16];
	int x;

	attron(tui_attr(t, TC_HEADER));
	tui_clear_to_eol(0, 0);
	if (p) {
		const char *w = proc_state_word(t);
		enum tui_color c = (t->gone || strcmp(w, "running") != 0) ? TC_WARN : TC_HEADER;

		snprintf(line, sizeof(line), "PID %d ", (int)p->pid);
		x = tui_put(0, 0, line, t->cols);
		x += tui_put_untrusted(t, 0, x, p->comm, 16);
		x += tui_put(0, x, " ", t->cols - x);
		attroff(tui_attr(t, TC_HEADER));
		attron(tui_attr(t, c));
		x += tui_put(0, x, w, t->cols - x);
		attroff(tui_attr(t, c));
		attron(tui_attr(t, TC_HEADER));
		int n = snprintf(line, sizeof(line), "  virt %s  res %s  swap %s  ",
				 fmt_kb(v, sizeof(v), p->totals.virtual_kb),
				 fmt_kb(r, sizeof(r), p->totals.resident_kb),
				 fmt_kb(s, sizeof(s), p->totals.swapped_kb));

		/* A file has no refresh interval: when it was taken instead. */
		if (t->src->ops->is_live(t->src)) {
			snprintf(line + n, sizeof(line) - (size_t)n, "every %.1fs%s", t->delay,
				 t->paused ? "  PAUSED" : "");
		} else {
			struct tm tm;
			time_t when = t->snap->taken_at.tv_sec;

			if (gmtime_r(&when, &tm))
				strftime(line + n, sizeof(line) - (size_t)n, "%Y-%m-%d %H:%M:%S UTC", &tm);
		}
		tui_put(0, x, line, t->cols - x);
	} else {
		tui_put(0, 0, "vmatlas: waiting for the first snapshot", t->cols);
	}
	attroff(tui_attr(t, TC_HEADER));
}

/* Does view I have a tab now (the Output view: only for a launched
 * program)? */
static bool view_shown(const struct tui *t, size_t i)
{
	return i < tui_nviews && (!tui_views[i].shown || tui_views[i].shown(t));
}

/* The next view shown after CUR in direction DIR (Tab, Shift-Tab). */
static size_t view_next(const struct tui *t, size_t cur, int dir)
{
	size_t v = cur;

	do
		v = (v + tui_nviews + (size_t)(ssize_t)dir) % tui_nviews;
	while (!view_shown(t, v) && v != cur);
	return v;
}

/* Tab I's label: "1 Layout", or when the tabs do not fit the width,
 * only the number for the tabs not shown. */
static int tab_label(const struct tui *t, size_t i, bool compact, char *buf, size_t len)
{
	if (compact && i != t->view)
		return snprintf(buf, len, "%zu", i + 1);
	return snprintf(buf, len, "%zu %s", i + 1, tui_views[i].name);
}

static bool tabs_compact(const struct tui *t)
{
	int w = 0;

	for (size_t i = 0; i < tui_nviews; i++)
		if (view_shown(t, i))
			w += (int)strlen(tui_views[i].name) + 3;
	return w > t->cols;
}

/* Columns the tabs use. */
static int tabs_width(const struct tui *t)
{
	bool compact = tabs_compact(t);
	char tab[32];
	int w = 0;

	for (size_t i = 0; i < tui_nviews; i++)
		if (view_shown(t, i))
			w += tab_label(t, i, compact, tab, sizeof(tab)) + 1;
	return w;
}

/* What is shown and what quitting does goes beside the tabs when it fits
 * whole, else on the status line when that is free. */
static bool source_beside_tabs(const struct tui *t)
{
	return tabs_width(t) + 1 + (int)strlen(t->source_line) <= t->cols;
}

static void draw_tabs(struct tui *t)
{
	bool compact = tabs_compact(t);
	int x = 0;

	tui_clear_to_eol(1, 0);
	for (size_t i = 0; i < tui_nviews && x < t->cols; i++) {
		char tab[32];
		enum tui_color c = i == t->view ? TC_TAB_SEL : TC_TAB;
		int w;

		if (!view_shown(t, i))
			continue;
		w = tab_label(t, i, compact, tab, sizeof(tab));
		attron(tui_attr(t, c));
		tui_put(1, x, tab, t->cols - x);
		attroff(tui_attr(t, c));
		x += w + 1;
	}
	if (source_beside_tabs(t)) {
		attron(tui_attr(t, TC_DIM));
		tui_put(1, x + 1, t->source_line, t->cols - x - 1);
		attroff(tui_attr(t, TC_DIM));
	}
}

static int tab_at(const struct tui *t, int x)
{
	bool compact = tabs_compact(t);
	char tab[32];
	int pos = 0;

	for (size_t i = 0; i < tui_nviews; i++) {
		int w;

		if (!view_shown(t, i))
			continue;
		w = tab_label(t, i, compact, tab, sizeof(tab));
		if (x >= pos && x < pos + w)
			return (int)i;
		pos += w + 1;
	}
	return -1;
}

static const struct { const char *key, *label; } fkeys[] = {
	{ "F1", "Help" }, { "F3", "Search" }, { "F4", "Filter" }, { "F5", "Refresh" },
	{ "F6", "SortBy" }, { "Spc", "Pause" }, { "s", "Save" }, { "a", "Addr" },
	{ "F10", "Quit" },
};

static void draw_footer(struct tui *t)
{
	int y = t->rows - 1, x = 0;

	tui_clear_to_eol(t->rows - 2, 0);
	if (t->prompt != PROMPT_NONE) {
		const char *what = tui_prompt_label(t->prompt);
		int px = (int)strlen(what);

		attron(tui_attr(t, TC_STATUS));
		tui_put(t->rows - 2, 0, what, t->cols);
		attroff(tui_attr(t, TC_STATUS));
		px += tui_put_untrusted(t, t->rows - 2, px, t->pbuf, t->cols - px);
		/* What is typed as it is applied: the status after it. */
		if (t->status[0] && vm_now_ns() < t->status_until && px + 3 < t->cols) {
			attron(tui_attr(t, TC_DIM));
			tui_put_untrusted(t, t->rows - 2, px + 2, t->status, t->cols - px - 2);
			attroff(tui_attr(t, TC_DIM));
		}
	} else if (t->gone) {
		char line[160], how[64] = "has exited";

		bool known = tui_exit_words(t, t->pid, how, sizeof(how));

		snprintf(line, sizeof(line), "The process %s%s: this is its last picture. q quits.",
			 known && strncmp(how, "killed", 6) == 0 ? "was " : "", how);
		attron(tui_attr(t, TC_WARN));
		tui_put(t->rows - 2, 0, line, t->cols);
		attroff(tui_attr(t, TC_WARN));
	} else if (t->status[0] && vm_now_ns() < t->status_until) {
		attron(tui_attr(t, TC_STATUS));
		tui_put_untrusted(t, t->rows - 2, 0, t->status, t->cols);
		attroff(tui_attr(t, TC_STATUS));
	} else if (!source_beside_tabs(t)) {
		attron(tui_attr(t, TC_DIM));
		tui_put(t->rows - 2, 0, t->source_line, t->cols);
		attroff(tui_attr(t, TC_DIM));
	}
	tui_clear_to_eol(y, 0);
	for (size_t i = 0; i < sizeof(fkeys) / sizeof(fkeys[0]) && x < t->cols; i++) {
		int kl = (int)strlen(fkeys[i].key), ll = (int)strlen(fkeys[i].label);
		attron(tui_attr(t, TC_FKEY));
		tui_put(y, x, fkeys[i].key, t->cols - x);
		attroff(tui_attr(t, TC_FKEY));
		x += kl;
		attron(tui_attr(t, TC_FKEY_LABEL));
		tui_put(y, x, fkeys[i].label, t->cols - x);
		attroff(tui_attr(t, TC_FKEY_LABEL));
		x += ll + 1;
	}
}

static const char *const help_text[] = {
	"vmatlas: the virtual memory of a process, live",
	"Quitting leaves an attached process (and its children) as found: running,",
	"or stopped if it was, and untraced. A program started with 'vmatlas --",
	"PROGRAM' (and its children) is killed when vmatlas quits, as is the demo.",
	"",
	"Views:  1 Layout   the address space from high to low addresses",
	"        2 Maps     every mapping; sort and filter",
	"        3 Pages    the selected mapping, one cell per page (or group)",
	"        4 Sections ELF sections of the selected mapping",
	"        5 Stacks   threads and backtraces (read only while shown)",
	"        6 COW  c   copy-on-write divergence from a child (c: next child)",
	"        7 Tree t   the family: PSS USS shared diverged kB/s; Enter shows one",
	"        8 Faults   page faults by type, mapping, function (recorded while shown)",
	"        9 Output o a launched program's terminal (i: type to it, Ctrl-]: back)",
	"        Tab / Shift-Tab cycle; a mouse click on a tab opens it",
	"",
	"Keys:   arrows PgUp PgDn Home End move (j k: down, up)",
	"        Enter  pages of a mapping         a  address: HEX, SYMBOL[+OFF]",
	"        /  F3  search as you type         n  N  next/previous match",
	"        \\  F4  filter as you type; Esc clears  <  >  F6 sort  I invert",
	"        p  Space  pause                   +  -  refresh interval",
	"        r  F5  refresh  Ctrl-L  redraw    [  ]  step a timeline",
	"        s  save a snapshot (JSON)         F1  ?  h  this help",
	"        q  F10  Ctrl-C  quit              Tab  Shift-Tab  cycle the views",
	"        w  track writes: mark pages written between refreshes; this",
	"           resets the process's soft-dirty bits (used by CRIU) each time",
	"        n  N  without a search: the next/previous mapping",
	"Mouse:  a click selects a tab, a row or a page; the wheel scrolls",
	"Pages:  arrows move over the pages; the cursor shows section and symbol",
	"        # resident  F file/shared  0 zero page  H huge page  S swapped",
	"        . not present  (+ f o h s: some pages of a group)",
	"        W written since the last refresh (w)  * faulted (from the Faults view)",
	"COW:    = shared  # diverged  P parent only  C child only  . neither",
	"Changes since the last refresh: + new  - removed  > grown  < shrunk;",
	"        pages paged in (yellow) or swapped out (red) are highlighted",
};

/* The help, scrolled by t->help_scroll lines; the glyphs of a UTF-8
 * terminal, in their colours, follow the text. */
static void draw_help(struct tui *t)
{
	static const enum vm_page_state st[] = { PS_RESIDENT, PS_FILE, PS_ZERO, PS_THP,
						 PS_SWAPPED, PS_NOT_PRESENT };
	int nlines = (int)(sizeof(help_text) / sizeof(help_text[0]));
	int total = nlines + (t->utf8 ? 2 : 0) + 1, rows = t->rows - 1, y;

	if (t->help_scroll > total - rows)
		t->help_scroll = total - rows;
	if (t->help_scroll < 0)
		t->help_scroll = 0;
	erase();
	for (int i = t->help_scroll; i < nlines && (y = i - t->help_scroll) < rows; i++) {
		if (i == 0)
			attron(tui_attr(t, TC_TITLE));
		tui_put(y, 1, help_text[i], t->cols - 1);
		if (i == 0)
			attroff(tui_attr(t, TC_TITLE));
	}
	y = nlines - t->help_scroll;
	if (t->utf8 && y >= 0 && y < rows) {
		int x = 9;

		tui_put(y, 1, "Pages:", 8);
		for (size_t i = 0; i < sizeof(st) / sizeof(st[0]) && x + 14 < t->cols; i++) {
			attron(tui_attr(t, TC_PAGE + st[i]));
			tui_put(y, x, tui_page_glyph(t, st[i]), 4);
			attroff(tui_attr(t, TC_PAGE + st[i]));
			x += 2 + tui_put(y, x + 2, tui_page_label(st[i]), 11) + 1;
		}
		if (x + 10 < t->cols) {
			attron(tui_attr(t, TC_PAGE_WRITTEN));
			tui_put(y, x, tui_written_glyph(t), 4);
			attroff(tui_attr(t, TC_PAGE_WRITTEN));
			tui_put(y, x + 2, "written", 8);
		}
	}
	if (t->utf8 && y + 1 >= 0 && y + 1 < rows) {
		int x = 9;

		tui_put(y + 1, 1, "COW:", 8);
		for (unsigned c = 0; c < COW__COUNT && x + 12 < t->cols; c++) {
			attron(tui_attr(t, TC_COW + c));
			tui_put(y + 1, x, tui_cow_glyph(t, c), 4);
			attroff(tui_attr(t, TC_COW + c));
			x += 2 + tui_put(y + 1, x + 2, cow_state_label(c), 11) + 1;
		}
	}
	attron(tui_attr(t, TC_DIM));
	tui_put(t->rows - 1, 1, t->help_scroll + rows < total ?
		"-- more: arrows, PgDn scroll; any other key closes this help --" :
		"Any key closes this help.", t->cols - 1);
	attroff(tui_attr(t, TC_DIM));
}

static void draw_small(struct tui *t)
{
	static const char *const msg[] = { "Terminal too", "small: need", "20x6", "(q quits)" };

	erase();
	for (int i = 0; i < 4 && i < t->rows; i++)
		tui_put(i, 0, msg[i], t->cols);
}

static void tui_draw(struct tui *t)
{
	if (t->rows < TUI_MIN_ROWS || t->cols < TUI_MIN_COLS) {
		draw_small(t);
	} else if (t->help) {
		draw_help(t);
	} else {
		erase();
		draw_header(t);
		draw_tabs(t);
		if (t->proc)
			tui_views[t->view].draw(t, 2, t->rows - 4);
		else
			tui_put(3, 1, t->gone ? "The process is gone." : "No data yet.", t->cols - 1);
		draw_footer(t);
	}
	refresh();
}

/* ---- input ---------------------------------------------------------- */

static void change_delay(struct tui *t, int dir)
{
	size_t n = sizeof(delays) / sizeof(delays[0]), i;

	if (dir > 0) {
		for (i = 0; i < n && delays[i] <= t->delay + 1e-9; i++)
			;
		t->delay = i < n ? delays[i] : delays[n - 1];
	} else {
		for (i = n; i > 0 && delays[i - 1] >= t->delay - 1e-9; i--)
			;
		t->delay = i > 0 ? delays[i - 1] : delays[0];
	}
	t->next_refresh_ns = vm_now_ns() + (uint64_t)(t->delay * 1e9);
	tui_set_status(t, "refresh every %.1f s", t->delay);
}

static void mouse_event(struct tui *t)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return;
	if (t->help) {
		t->help = false;
		return;
	}
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		int k = (ev.bstate & BUTTON4_PRESSED) ? KEY_UP : KEY_DOWN;
		for (int i = 0; i < 3; i++)
			tui_views[t->view].key(t, k);
		return;
	}
	if (ev.y == 1) {
		int v = tab_at(t, ev.x);
		if (v >= 0)
			tui_set_view(t, (size_t)v);
	} else if (ev.y >= 2 && ev.y < t->rows - 2 && tui_views[t->view].click) {
		tui_views[t->view].click(t, ev.y - 2, ev.x);
		if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
			tui_views[t->view].key(t, '\n');
	}
}

/* Returns false when the screen should quit. */
static bool tui_key(struct tui *t, int ch)
{
	if (ch == KEY_RESIZE) {
		getmaxyx(stdscr, t->rows, t->cols);
		tui_output_resize(t);
		return true;
	}
	if (tui_output_typing(t)) {
		tui_output_type(t, ch);
		return true;
	}
	if (ch == KEY_MOUSE) {
		mouse_event(t);
		return true;
	}
	if (t->prompt != PROMPT_NONE) {
		tui_prompt_key(t, ch);
		return true;
	}
	if (ch == 'q' || ch == KEY_F(10) || ch == 3)
		return false;
	if (t->help) {
		ssize_t top = t->help_scroll;

		/* Scroll keys scroll (draw_help clamps); the rest close it. */
		if (tui_list_move(ch, &top, 1000, t->rows / 2))
			t->help_scroll = (int)top;
		else
			t->help = false;
		return true;
	}
	switch (ch) {
	case 'h':
	case '?':
	case KEY_F(1):
		t->help = true;
		t->help_scroll = 0;
		return true;
	case '\t':
		tui_set_view(t, view_next(t, t->view, 1));
		return true;
	case KEY_BTAB:
		tui_set_view(t, view_next(t, t->view, -1));
		return true;
	case 'o':
		if (!view_shown(t, TUI_VIEW_OUTPUT))
			break;
		tui_set_view(t, TUI_VIEW_OUTPUT);
		return true;
	case 'p':
	case ' ':
		t->paused = !t->paused;
		tui_set_status(t, t->paused ? "paused (p or Space resumes)" : "resumed");
		if (!t->paused)
			tui_refresh(t);
		return true;
	case '+':
	case '=':
		change_delay(t, +1);
		return true;
	case '-':
		change_delay(t, -1);
		return true;
	case 'r':
	case KEY_F(5):
		tui_refresh(t);
		tui_screen_repaint();
		return true;
	case 12: /* Ctrl-L */
		tui_screen_repaint();
		return true;
	case 's':
		tui_save(t);
		return true;
	case 'c':
		if (t->view == TUI_VIEW_COW || t->view == TUI_VIEW_TREE)
			break; /* the view's own: next child, compare */
		tui_set_view(t, TUI_VIEW_COW);
		return true;
	case 't':
		tui_set_view(t, t->view == TUI_VIEW_TREE ? t->tree_back : TUI_VIEW_TREE);
		return true;
	case 'a':
		tui_prompt_start(t, PROMPT_ADDR);
		return true;
	case 'w':
		tui_track_writes(t, !t->track_writes);
		return true;
	case '/':
	case KEY_F(3):
		tui_prompt_start(t, PROMPT_SEARCH);
		return true;
	case '\\':
	case KEY_F(4):
		tui_prompt_start(t, PROMPT_FILTER);
		return true;
	case 'n':
	case 'N':
		if (tui_find_next(t, ch == 'n' ? 1 : -1))
			return true;
		break; /* no search: the view's own (next mapping) */
	case 27:
		if (!t->views[t->view].filters || !t->filter[t->view][0])
			break;
		t->filter[t->view][0] = '\0';
		tui_set_status(t, "filter cleared");
		return true;
	case '[':
		tui_step(t, -1);
		return true;
	case ']':
		tui_step(t, +1);
		return true;
	default:
		break;
	}
	if (ch >= '1' && ch < '1' + (int)tui_nviews && view_shown(t, (size_t)(ch - '1'))) {
		tui_set_view(t, (size_t)(ch - '1'));
		return true;
	}
	if (t->proc)
		tui_views[t->view].key(t, ch);
	return true;
}

/* Act on what the source's poll() reported. */
static void tui_source_events(struct tui *t, unsigned ev)
{
	if (ev & TUI_SRC_EXEC) {
		/* A new program: its layout starts afresh. */
		t->sel_addr = 0;
		t->page_cursor = 0;
		t->cow_sel = 0;
		tui_set_status(t, "process %d called exec: a new layout", (int)t->pid);
	}
	if (ev & TUI_SRC_REFRESH)
		tui_refresh(t);
	if ((ev & TUI_SRC_GONE) && !t->gone) {
		t->gone = true;
		tui_set_status(t, "the process has exited");
	}
}

int tui_run(struct tui_source *src, const struct tui_opts *o)
{
	struct tui t;
	uint64_t last_draw = 0;
	bool dirty = true;
	int ret = 0;

	memset(&t, 0, sizeof(t));
	t.src = src;
	t.o = *o;
	t.views = tui_views;
	t.nviews = tui_nviews;
	t.delay = o->delay > 0 ? o->delay : 1.0;
	t.view = o->initial_view >= 0 && (size_t)o->initial_view < tui_nviews ?
		 (size_t)o->initial_view : TUI_VIEW_LAYOUT;
	t.sort_col = 0;
	if (o->has_pty && !(t.output = tui_output_new(o->pty_fd, o->pty_name,
							   &t.scroll[TUI_VIEW_OUTPUT]))) {
		vm_error("out of memory");
		return 1;
	}
	tui_describe(&t);

	/* Before the screen: curses then leaves SIGTSTP to us. */
	vm_stop_signals_install();
	if (tui_screen_init(&t) < 0) {
		tui_output_free(t.output);
		vm_error("cannot start the screen (TERM unusable); use 'vmatlas snapshot PID'");
		return 1;
	}
	tui_output_resize(&t);
	tui_refresh(&t);
	if (o->track_writes)
		tui_track_writes(&t, true);
	while (!vm_should_quit()) {
		uint64_t now = vm_now_ns();
		long wait_ms = 0;
		unsigned ev = 0, seen = t.refreshes;
		bool was_gone = t.gone;
		int ch;

		/* Draw after a change, and once a second (status timeouts). */
		if (dirty || now - last_draw >= 1000000000ULL) {
			tui_draw(&t);
			last_draw = now;
			dirty = false;
		}
		if (!t.paused && !t.gone && now < t.next_refresh_ns)
			wait_ms = (long)((t.next_refresh_ns - now) / 1000000);
		else if (t.paused || t.gone)
			wait_ms = 250;
		/* Wake often enough to serve ptrace stops and signals. */
		if (wait_ms > 50)
			wait_ms = 50;
		timeout((int)wait_ms);
		ch = getch();
		if (vm_should_quit())
			break;
		if (vm_stop_requested()) {
			tui_suspend(&t);
			tui_refresh(&t);
			dirty = true;
			continue;
		}
		/* What the processes did before the keys were typed comes
		 * first (an exec resets the selection a key then moves). */
		if (src->ops->poll)
			ev = src->ops->poll(src, 0);
		tui_source_events(&t, ev);
		if (ch != ERR) {
			dirty = true;
			if (!tui_key(&t, ch))
				break;
			/* Drain queued keys before drawing again. */
			timeout(0);
			while (!vm_should_quit() && (ch = getch()) != ERR)
				if (!tui_key(&t, ch))
					goto quit;
		}
		if (tui_output_pump(&t))
			dirty = true;
		if (src->ops->poll) {
			unsigned ev2 = src->ops->poll(src, 0);

			tui_source_events(&t, ev2);
			ev |= ev2;
		}
		if (!t.paused && !t.gone && vm_now_ns() >= t.next_refresh_ns &&
		    src->ops->is_live(src))
			tui_refresh(&t);
		tui_faults_tick(&t);
		if (ev || t.refreshes != seen || t.gone != was_gone)
			dirty = true;
	}
quit:
	tui_output_leave(&t);
	tui_screen_fini();
	tui_output_free(t.output);
	tui_faults_fini(&t);
	if (vm_should_quit())
		ret = 128 + vm_quit_signal;
	tui_changes_clear(&t);
	if (t.prev)
		src->ops->release(src, t.prev);
	if (t.snap)
		src->ops->release(src, t.snap);
	return ret;
}
