/* View 2, Maps: every mapping in a table, sortable by any column (< > F6,
 * I inverts, a click on a title) and filtered by name, kind, permissions or
 * address (\). Mappings removed since the last refresh stay one refresh as
 * struck rows. */
#include "config.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"
#include "vmatlas/render.h"

enum { COL_START, COL_END, COL_PERM, COL_KIND, COL_SIZE, COL_RSS, COL_SWAP, COL_PATH };

static const struct { const char *title; int width; bool right; } cols[MAPS_NCOLS] = {
	[COL_START] = { "START", 12, true }, [COL_END] = { "END", 12, true },
	[COL_PERM] = { "PERM", 4, false }, [COL_KIND] = { "KIND", 8, false },
	[COL_SIZE] = { "SIZE", 7, true }, [COL_RSS] = { "RSS", 7, true },
	[COL_SWAP] = { "SWAP", 7, true }, [COL_PATH] = { "PATH", 0, false },
};

struct row {
	const struct vm_mapping *m;  /* NULL for a removed mapping */
	const struct tui_change *rm; /* the removed mapping */
};

static uint64_t row_start(const struct row *r) { return r->m ? r->m->start : r->rm->start; }
static uint64_t row_end(const struct row *r) { return r->m ? r->m->end : r->rm->end; }
static enum vm_kind row_kind(const struct row *r) { return r->m ? r->m->kind : r->rm->kind; }
static const char *row_name(const struct row *r)
{
	return r->m ? tui_mapping_name(r->m) : r->rm->path ? r->rm->path : "";
}
static uint64_t row_pages(const struct row *r, int col)
{
	if (!r->m)
		return 0;
	return col == COL_RSS ? r->m->pages.resident - r->m->pages.zero : r->m->pages.swapped;
}

static int sort_col;
static bool sort_desc;

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	int c = 0;

	switch (sort_col) {
	case COL_END:
		c = cmp_u64(row_end(a), row_end(b));
		break;
	case COL_PERM:
		c = strcmp(a->m ? a->m->perms : "", b->m ? b->m->perms : "");
		break;
	case COL_KIND:
		c = strcmp(vm_kind_name(row_kind(a)), vm_kind_name(row_kind(b)));
		break;
	case COL_SIZE:
		c = cmp_u64(row_end(a) - row_start(a), row_end(b) - row_start(b));
		break;
	case COL_RSS:
	case COL_SWAP:
		c = cmp_u64(row_pages(a, sort_col), row_pages(b, sort_col));
		break;
	case COL_PATH:
		c = strcmp(row_name(a), row_name(b));
		break;
	default:
		break;
	}
	if (!c)
		c = cmp_u64(row_start(a), row_start(b));
	return sort_desc ? -c : c;
}

static size_t build_rows(const struct tui *t, struct row **out)
{
	const struct vm_process *p = t->proc;
	struct row *v = calloc(p->nmaps + t->nchanges + 1, sizeof(*v));
	const char *filter = t->filter[TUI_VIEW_MAPS];
	size_t n = 0;

	*out = v;
	if (!v)
		return 0;
	for (size_t i = 0; i < p->nmaps; i++)
		if (!filter[0] || tui_mapping_matches(&p->maps[i], filter))
			v[n++] = (struct row){ .m = &p->maps[i] };
	for (size_t i = 0; i < t->nchanges; i++)
		if ((t->changes[i].what & CH_REMOVED) && !filter[0])
			v[n++] = (struct row){ .rm = &t->changes[i] };
	sort_col = t->sort_col;
	sort_desc = t->sort_desc;
	qsort(v, n, sizeof(*v), row_cmp);
	return n;
}

static int row_of_selection(const struct tui *t, const struct row *v, size_t n)
{
	const struct vm_mapping *m = tui_selected(t);

	for (size_t i = 0; i < n; i++)
		if (v[i].m && v[i].m == m)
			return (int)i;
	return -1;
}

/* Which columns fit in the width; PATH takes the rest. */
static void visible_cols(const struct tui *t, bool *vis, int *addr_w)
{
	int w = 0;
	static const int order[] = { COL_START, COL_KIND, COL_RSS, COL_SIZE, COL_PERM,
				     COL_SWAP, COL_END };

	*addr_w = 12;
	if (t->proc->nmaps && t->proc->maps[t->proc->nmaps - 1].end > (1ULL << 48))
		*addr_w = 16;
	memset(vis, 0, MAPS_NCOLS * sizeof(*vis));
	vis[COL_PATH] = true;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int cw = (order[i] == COL_START || order[i] == COL_END) ? *addr_w : cols[order[i]].width;
		/* Leave 12 columns for the path and 2 for the change mark. */
		if (w + cw + 1 + 12 + 2 > t->cols)
			break;
		vis[order[i]] = true;
		w += cw + 1;
	}
}

static int col_width(int c, int addr_w)
{
	return (c == COL_START || c == COL_END) ? addr_w : cols[c].width;
}

static void draw_title(struct tui *t, int y, const bool *vis, int addr_w)
{
	int x = 2;

	attron(tui_attr(t, TC_TITLE));
	tui_clear_to_eol(y, 0);
	for (int c = 0; c < MAPS_NCOLS; c++) {
		char buf[32];
		int w = col_width(c, addr_w);

		if (!vis[c])
			continue;
		if (c == COL_PATH)
			w = t->cols - x;
		if (!cols[c].right)
			snprintf(buf, sizeof(buf), "%s%s", cols[c].title,
				 c == t->sort_col ? (t->sort_desc ? "v" : "^") : "");
		else
			snprintf(buf, sizeof(buf), "%*s%s", w - (c == t->sort_col), cols[c].title,
				 c == t->sort_col ? (t->sort_desc ? "v" : "^") : "");
		tui_put(y, x, buf, w);
		x += w + 1;
	}
	attroff(tui_attr(t, TC_TITLE));
}

static void draw_row(struct tui *t, int y, const struct row *r, bool sel,
		     const bool *vis, int addr_w)
{
	const struct tui_change *ch = r->m ? tui_change_of(t, r->m->start) : r->rm;
	char buf[64], mark = ' ';
	enum tui_color cc = TC_NORMAL;
	int x = 2;

	if (ch) {
		if (ch->what & CH_REMOVED)
			mark = '-', cc = TC_REMOVED;
		else if (ch->what & CH_NEW)
			mark = '+', cc = TC_NEW;
		else if (ch->what & CH_GROWN)
			mark = '>', cc = TC_GROWN;
		else if (ch->what & CH_SHRUNK)
			mark = '<', cc = TC_SHRUNK;
		else if (ch->what & CH_SWAP_UP)
			mark = '*', cc = TC_PAGE_NEWSWAP;
		else if (ch->what & CH_RES_UP)
			mark = '*', cc = TC_NEW;
	}
	attron(tui_attr(t, cc));
	mvaddch(y, 0, (chtype)mark);
	attroff(tui_attr(t, cc));
	if (sel) {
		attron(tui_attr(t, TC_SEL));
		tui_clear_to_eol(y, 1);
	} else if (!r->m) {
		attron(tui_attr(t, TC_REMOVED));
	}
	for (int c = 0; c < MAPS_NCOLS; c++) {
		int w = col_width(c, addr_w);
		char sz[16];

		if (!vis[c])
			continue;
		buf[0] = '\0';
		switch (c) {
		case COL_START:
			snprintf(buf, sizeof(buf), "%*" PRIx64, w, row_start(r));
			break;
		case COL_END:
			snprintf(buf, sizeof(buf), "%*" PRIx64, w, row_end(r));
			break;
		case COL_PERM:
			snprintf(buf, sizeof(buf), "%-4s", r->m ? r->m->perms : "----");
			break;
		case COL_KIND:
			snprintf(buf, sizeof(buf), "%-8s", vm_kind_name(row_kind(r)));
			break;
		case COL_SIZE:
			snprintf(buf, sizeof(buf), "%*s", w, fmt_kb(sz, sizeof(sz), (row_end(r) - row_start(r)) / 1024));
			break;
		case COL_RSS:
		case COL_SWAP:
			snprintf(buf, sizeof(buf), "%*s", w, r->m ? fmt_kb(sz, sizeof(sz), tui_page_kb(t, row_pages(r, c))) : "gone");
			break;
		case COL_PATH:
			if (r->m)
				tui_put_mapping_path(t, y, x, r->m, t->cols - x);
			else
				tui_put_path(t, y, x, row_name(r), t->cols - x);
			continue;
		}
		if (c == COL_KIND && !sel) {
			attron(tui_attr(t, TC_KIND + row_kind(r)));
			tui_put(y, x, buf, w);
			attroff(tui_attr(t, TC_KIND + row_kind(r)));
		} else if ((c == COL_SIZE && ch && (ch->what & (CH_GROWN | CH_SHRUNK | CH_NEW))) ||
			   (c == COL_RSS && ch && (ch->what & CH_RES_UP)) ||
			   (c == COL_SWAP && ch && (ch->what & CH_SWAP_UP))) {
			attron(A_BOLD);
			tui_put(y, x, buf, w);
			attroff(A_BOLD);
		} else {
			tui_put(y, x, buf, w);
		}
		x += w + 1;
	}
	if (sel)
		attroff(tui_attr(t, TC_SEL));
	else if (!r->m)
		attroff(tui_attr(t, TC_REMOVED));
}

void tui_maps_draw(struct tui *t, int top, int height)
{
	struct row *v;
	size_t n = build_rows(t, &v);
	bool vis[MAPS_NCOLS];
	int addr_w, sel, *scroll = &t->scroll[1];

	if (!v)
		return;
	visible_cols(t, vis, &addr_w);
	draw_title(t, top, vis, addr_w);
	top++;
	height--;
	if (t->filter[TUI_VIEW_MAPS][0] && height > 1) {
		char buf[160];
		snprintf(buf, sizeof(buf), "filter: %s  (%zu of %zu %s; \\ changes it, Esc clears)",
			 t->filter[TUI_VIEW_MAPS], n, t->proc->nmaps,
			 tui_plural(t->proc->nmaps, "mapping", "mappings"));
		attron(tui_attr(t, TC_STATUS));
		tui_put(top + height - 1, 0, buf, t->cols);
		attroff(tui_attr(t, TC_STATUS));
		height--;
	}
	sel = row_of_selection(t, v, n);
	if (sel < 0 && n && v[0].m) {
		/* The selection is filtered out: select the first row shown. */
		t->sel_addr = v[0].m->start;
		sel = 0;
	}
	if (sel >= 0)
		tui_scroll_to(scroll, sel, height, (int)n);
	for (int i = 0; i < height && *scroll + i < (int)n; i++)
		draw_row(t, top + i, &v[*scroll + i], *scroll + i == sel, vis, addr_w);
	if (!n)
		tui_put(top, 2, "no mapping matches the filter", t->cols - 2);
	free(v);
}

/* n, N in the rows' order (as sorted and filtered); without a search,
 * the next row. */
static void search_next(struct tui *t, const struct row *v, size_t n, int cur, int dir)
{
	if (!n)
		return;
	if (cur < 0)
		cur = 0;
	for (size_t k = 1; k <= n; k++) {
		ssize_t i = ((ssize_t)cur + dir * (ssize_t)k) % (ssize_t)n;

		if (i < 0)
			i += (ssize_t)n;
		if (!t->search[0] && (dir > 0 ? i < cur : i > cur)) {
			tui_set_status(t, "this is the %s row", dir > 0 ? "last" : "first");
			return;
		}
		if (v[i].m && (!t->search[0] || tui_mapping_matches(v[i].m, t->search))) {
			t->sel_addr = v[i].m->start;
			return;
		}
	}
	tui_set_status(t, "no mapping matches '%s'", t->search);
}

static bool row_match(const void *ctx, size_t i, const char *pat)
{
	const struct row *v = ctx;

	return v[i].m && tui_mapping_matches(v[i].m, pat);
}

bool tui_maps_find(struct tui *t, const char *pat, int dir, bool self)
{
	struct row *v;
	size_t n = build_rows(t, &v);
	ssize_t i = v ? tui_find_index(n, row_of_selection(t, v, n), dir, self, row_match, v, pat) : -1;

	if (i >= 0)
		t->sel_addr = v[i].m->start;
	free(v);
	return i >= 0;
}

bool tui_maps_key(struct tui *t, int ch)
{
	struct row *v;
	size_t n = build_rows(t, &v);
	int cur, page = t->rows - 7 > 1 ? t->rows - 7 : 1, dir = 0;
	bool used = true;

	if (!v)
		return false;
	cur = row_of_selection(t, v, n);
	switch (ch) {
	case KEY_UP:
	case 'k':
		cur--, dir = -1;
		break;
	case KEY_DOWN:
	case 'j':
		cur++, dir = 1;
		break;
	case KEY_PPAGE:
		cur -= page, dir = -1;
		break;
	case KEY_NPAGE:
		cur += page, dir = 1;
		break;
	case KEY_HOME:
		cur = 0, dir = 1;
		break;
	case KEY_END:
		cur = (int)n - 1, dir = -1;
		break;
	case '<':
	case ',':
		t->sort_col = (t->sort_col + MAPS_NCOLS - 1) % MAPS_NCOLS;
		break;
	case '>':
	case '.':
	case KEY_F(6):
		t->sort_col = (t->sort_col + 1) % MAPS_NCOLS;
		break;
	case 'I':
		t->sort_desc = !t->sort_desc;
		break;
	case 'n':
	case 'N':
		search_next(t, v, n, cur, ch == 'n' ? 1 : -1);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		tui_open_pages(t);
		break;
	default:
		used = false;
	}
	if (dir && n) {
		if (cur < 0)
			cur = 0;
		if (cur >= (int)n)
			cur = (int)n - 1;
		/* Removed rows cannot be selected. */
		while (cur >= 0 && cur < (int)n && !v[cur].m)
			cur += dir;
		if (cur >= 0 && cur < (int)n)
			t->sel_addr = v[cur].m->start;
	}
	free(v);
	return used;
}

void tui_maps_click(struct tui *t, int y, int x)
{
	struct row *v;
	size_t n;
	bool vis[MAPS_NCOLS];
	int addr_w, cx = 2;

	if (y == 0) {
		/* A click on a title sorts by that column (again: inverts). */
		visible_cols(t, vis, &addr_w);
		for (int c = 0; c < MAPS_NCOLS; c++) {
			int w = c == COL_PATH ? t->cols : col_width(c, addr_w);
			if (!vis[c])
				continue;
			if (x >= cx && x < cx + w) {
				if (t->sort_col == c)
					t->sort_desc = !t->sort_desc;
				t->sort_col = c;
				return;
			}
			cx += w + 1;
		}
		return;
	}
	n = build_rows(t, &v);
	if (v && t->scroll[1] + y - 1 < (int)n && v[t->scroll[1] + y - 1].m)
		t->sel_addr = v[t->scroll[1] + y - 1].m->start;
	free(v);
}
