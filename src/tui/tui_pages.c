/* View 3, Pages: the selected mapping as a grid, one cell per page or, when
 * it does not fit, per group of pages (said on screen). Per-page runs are
 * read only for this mapping (tui_pages_want). The cursor shows a page's
 * address, state, section and, when the source knows them, its nearest
 * symbol and its frame. With write tracking on (w), pages written since
 * the last refresh (soft-dirty after the reset) are marked. */
#include "config.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"
#include "vmatlas/render.h"
#include "vmatlas/pagemap.h"

struct grid {
	uint64_t npages, per_cell, ncells;
	int width, height, x0;  /* cells per line, lines, first column */
	uint32_t (*count)[PS__COUNT];  /* per cell, pages in each state */
	uint32_t (*prev)[PS__COUNT];   /* same from the previous refresh, or NULL */
	uint32_t *written;             /* per cell, soft-dirty pages, or NULL */
	uint64_t start;                /* address of the first page */
	long page_size;
};

static uint64_t mapping_pages(const struct tui *t, const struct vm_mapping *m)
{
	long ps = t->snap->host.page_size > 0 ? t->snap->host.page_size : 4096;
	return (m->end - m->start) / (uint64_t)ps;
}

/* Pages of each state per cell; soft-dirty pages per cell into *WRITTEN
 * (allocated here) when WRITTEN is not NULL. */
static uint32_t (*cell_counts(const struct vm_mapping *m, uint64_t per_cell,
			      uint64_t ncells, uint32_t **written))[PS__COUNT]
{
	uint32_t (*c)[PS__COUNT] = calloc(ncells ? ncells : 1, sizeof(*c));
	uint32_t *wr = NULL;
	uint64_t off = 0, max = per_cell * ncells;

	if (!c)
		return NULL;
	if (written) {
		wr = calloc(ncells ? ncells : 1, sizeof(*wr));
		if (!wr) {
			free(c);
			return NULL;
		}
		*written = wr;
	}
	for (size_t i = 0; i < m->nruns && off < max; i++) {
		enum vm_page_state s = vm_page_state_of(m->runs[i].flags);
		uint64_t n = m->runs[i].count;

		while (n && off < max) {
			uint64_t cell = off / per_cell;
			uint64_t take = (cell + 1) * per_cell - off;
			if (take > n)
				take = n;
			c[cell][s] += (uint32_t)take;
			if (wr && (m->runs[i].flags & PG_SOFTDIRTY))
				wr[cell] += (uint32_t)take;
			off += take;
			n -= take;
		}
	}
	return c;
}

/* Do M's runs tell which pages were written since the last refresh? */
static bool tui_pages_written_known(const struct tui *t, const struct vm_mapping *m)
{
	return t->writes_valid && m->runs && (m->pages.known & PC_SOFTDIRTY);
}

static bool grid_init(const struct tui *t, const struct vm_mapping *m, int width,
		      int height, struct grid *g)
{
	const struct vm_mapping *old = NULL;
	uint64_t cells;

	memset(g, 0, sizeof(*g));
	if (width < 1 || height < 1)
		return false;
	g->npages = mapping_pages(t, m);
	g->x0 = t->cols >= 40 ? 17 : 0;
	g->width = width - g->x0;
	if (g->width < 1)
		return false;
	g->height = height;
	cells = (uint64_t)g->width * (uint64_t)height;
	g->per_cell = (g->npages + cells - 1) / cells;
	if (g->per_cell < 1)
		g->per_cell = 1;
	g->ncells = (g->npages + g->per_cell - 1) / g->per_cell;
	g->count = cell_counts(m, g->per_cell, g->ncells,
			       tui_pages_written_known(t, m) ? &g->written : NULL);
	if (t->prev_proc) {
		ssize_t i = vm_process_find(t->prev_proc, m->start);
		if (i >= 0 && t->prev_proc->maps[i].start == m->start &&
		    t->prev_proc->maps[i].end == m->end && t->prev_proc->maps[i].runs)
			old = &t->prev_proc->maps[i];
	}
	if (old)
		g->prev = cell_counts(old, g->per_cell, g->ncells, NULL);
	return g->count != NULL;
}

static void grid_fini(struct grid *g)
{
	free(g->count);
	free(g->prev);
	free(g->written);
}

static uint32_t present(const uint32_t *c)
{
	return c[PS_RESIDENT] + c[PS_FILE] + c[PS_ZERO] + c[PS_THP];
}

/* The state a cell shows: the most frequent state among its pages that are
 * not "not present"; *full when every page of the cell is in it. */
static enum vm_page_state cell_state(const uint32_t *c, uint64_t pages, bool *full)
{
	enum vm_page_state best = PS_NOT_PRESENT;

	for (int s = 0; s < PS__COUNT; s++)
		if (s != PS_NOT_PRESENT && c[s] && (best == PS_NOT_PRESENT || c[s] > c[best]))
			best = (enum vm_page_state)s;
	*full = best == PS_NOT_PRESENT || c[best] == pages;
	return best;
}

static const char *partial_glyph(const struct tui *t, enum vm_page_state s)
{
	static const char *const ascii[PS__COUNT] = {
		[PS_NOT_PRESENT] = ".", [PS_RESIDENT] = "+", [PS_FILE] = "f",
		[PS_ZERO] = "o", [PS_THP] = "h", [PS_SWAPPED] = "s",
	};

	if (t->utf8)
		return s == PS_SWAPPED ? "\u2591" : "\u2584";
	return s < PS__COUNT ? ascii[s] : "?";
}

static uint64_t cell_pages(const struct grid *g, uint64_t cell)
{
	uint64_t first = cell * g->per_cell;
	return first + g->per_cell <= g->npages ? g->per_cell : g->npages - first;
}

static void draw_cell(const struct tui *t, const struct grid *g, int y, int x,
		      uint64_t cell, bool cursor)
{
	const uint32_t *c = g->count[cell];
	uint64_t pages = cell_pages(g, cell);
	bool full;
	enum vm_page_state s = cell_state(c, pages, &full);
	enum tui_color col = TC_PAGE + s;
	const char *glyph = full ? tui_page_glyph(t, s) : partial_glyph(t, s);
	int a;

	if (g->written && g->written[cell]) {
		col = TC_PAGE_WRITTEN;
		glyph = tui_written_glyph(t);
	} else if (tui_faults_marked(t, g->start + cell * g->per_cell * (uint64_t)g->page_size,
				     pages)) {
		col = TC_PAGE_FAULTED;
		glyph = "*";
	} else if (g->prev) {
		const uint32_t *o = g->prev[cell];
		if (c[PS_SWAPPED] > o[PS_SWAPPED])
			col = TC_PAGE_NEWSWAP;
		else if (present(c) > present(o))
			col = TC_PAGE_NEWRES;
	}
	a = tui_attr(t, col) | (cursor ? A_REVERSE : 0);
	attron(a);
	mvaddstr(y, x, glyph);
	attroff(a);
}

static const char *section_at(const struct vm_mapping *m, uint64_t a)
{
	for (size_t i = 0; i < m->nsections; i++)
		if (m->sections[i].start <= a && a < m->sections[i].end)
			return m->sections[i].name;
	return NULL;
}

static void draw_cursor_info(struct tui *t, int y, const struct vm_mapping *m,
			     const struct grid *g, uint64_t cell)
{
	const uint32_t *c = g->count[cell];
	uint64_t ps = (uint64_t)t->snap->host.page_size, first = cell * g->per_cell;
	uint64_t addr = m->start + first * ps, pages = cell_pages(g, cell);
	/* After `a`, the address asked for when it is in this cell. */
	uint64_t at = t->jump_addr >= addr && t->jump_addr < addr + pages * ps ?
		      t->jump_addr : addr;
	const char *sec = section_at(m, at);
	struct tui_page_info pi = { 0 };
	char buf[320], tail[160] = "";
	int n, x, tn = 0, a = tui_attr(t, TC_STATUS);

	if (pages == 1) {
		enum vm_page_state s = PS_NOT_PRESENT;
		for (int k = 0; k < PS__COUNT; k++)
			if (c[k])
				s = (enum vm_page_state)k;
		n = snprintf(buf, sizeof(buf), "page 0x%" PRIx64 " (#%" PRIu64 "): %s", addr, first,
			     tui_page_label(s));
		if (g->written && g->written[cell])
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ", written");
	} else {
		n = snprintf(buf, sizeof(buf), "pages 0x%" PRIx64 "-0x%" PRIx64 " (#%" PRIu64 "+%" PRIu64 "):",
			     addr, addr + pages * ps, first, pages);
		for (int k = 0; k < PS__COUNT && n < (int)sizeof(buf); k++)
			if (c[k])
				n += snprintf(buf + n, sizeof(buf) - (size_t)n, " %u %s", c[k],
					      tui_page_label((enum vm_page_state)k));
		if (g->written && g->written[cell] && n < (int)sizeof(buf))
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ", %u written",
				      g->written[cell]);
	}
	/* Read for the page under the cursor only (a pagemap entry, and the
	 * symbol the source keeps until the cursor moves). */
	if (t->src->ops->page_info && t->proc &&
	    t->src->ops->page_info(t->src, t->proc, at, &pi) == 0 && pi.have_entry) {
		if (PM_ENTRY_PRESENT(pi.entry) && PM_ENTRY_PFN(pi.entry))
			tn += snprintf(tail + tn, sizeof(tail) - (size_t)tn, "  pfn 0x%" PRIx64,
				       (uint64_t)PM_ENTRY_PFN(pi.entry));
		else if (PM_ENTRY_SWAPPED(pi.entry))
			tn += snprintf(tail + tn, sizeof(tail) - (size_t)tn, "  swap %u:0x%" PRIx64,
				       (unsigned)PM_ENTRY_SWAP_TYPE(pi.entry),
				       (uint64_t)PM_ENTRY_SWAP_OFFSET(pi.entry));
		/* Raw bit 55; with write tracking the grid's "written" says it. */
		if (!t->track_writes && PM_ENTRY_SOFTDIRTY(pi.entry))
			tn += snprintf(tail + tn, sizeof(tail) - (size_t)tn, "  soft-dirty");
		if (PM_ENTRY_EXCLUSIVE(pi.entry))
			snprintf(tail + tn, sizeof(tail) - (size_t)tn, "  exclusive");
	}
	attron(a);
	x = tui_put(y, 0, buf, t->cols);
	/* Where it is first (section, symbol), then the frame. */
	if (sec && x < t->cols - 4) {
		x += tui_put(y, x, "  in ", t->cols - x);
		x += tui_put_untrusted(t, y, x, sec, t->cols - x);
	}
	if (pi.have_symbol && x < t->cols - 4) {
		char off[24];

		x += tui_put(y, x, "  ", t->cols - x);
		x += tui_put_untrusted(t, y, x, pi.symbol, t->cols - x);
		snprintf(off, sizeof(off), "+0x%" PRIx64, pi.sym_offset);
		x += tui_put(y, x, off, t->cols - x);
	}
	tui_put(y, x, tail, t->cols - x);
	attroff(a);
}

/* The legend: the page states, then what changed since the last refresh,
 * on one line or, when that does not fit, two (at most MAXLINES). Draws
 * from line Y when DRAW; returns the lines used. */
static int legend(const struct tui *t, int y, int maxlines, bool draw)
{
	static const enum vm_page_state st[] = { PS_RESIDENT, PS_FILE, PS_ZERO, PS_THP,
						 PS_SWAPPED, PS_NOT_PRESENT };
	struct { const char *glyph, *label; enum tui_color c; } it[10];
	size_t n = 0;
	int x = 0, line = 0;

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		it[n++] = (typeof(it[0])){ tui_page_glyph(t, st[i]), tui_page_label(st[i]),
					    TC_PAGE + st[i] };
	it[n++] = (typeof(it[0])){ " ", "paged in", TC_PAGE_NEWRES };
	it[n++] = (typeof(it[0])){ " ", "swapped out", TC_PAGE_NEWSWAP };
	if (tui_faults_recording(t))
		it[n++] = (typeof(it[0])){ "*", "faulted", TC_PAGE_FAULTED };
	if (t->track_writes)
		it[n++] = (typeof(it[0])){ tui_written_glyph(t), "written", TC_PAGE_WRITTEN };
	else if (t->src->ops->clear_soft_dirty && t->src->ops->is_live(t->src))
		it[n++] = (typeof(it[0])){ NULL, "writes: not tracked (w)", TC_DIM };
	for (size_t i = 0; i < n; i++) {
		int w = (it[i].glyph ? 1 : 0) + (int)strlen(it[i].label);

		if (x && x + w > t->cols && line + 1 < maxlines) {
			line++;
			x = 0;
		}
		if (draw) {
			int gx = x;

			if (it[i].glyph) {
				/* One column, several bytes in UTF-8 (tui_put
				 * counts bytes). */
				attron(tui_attr(t, it[i].c));
				if (x < t->cols)
					mvaddstr(y + line, x, it[i].glyph);
				attroff(tui_attr(t, it[i].c));
				gx++;
			} else {
				attron(tui_attr(t, it[i].c));
			}
			tui_put(y + line, gx, it[i].label, t->cols - gx);
			if (!it[i].glyph)
				attroff(tui_attr(t, it[i].c));
		}
		x += w + 2;
	}
	return line + 1;
}

/* Grid lines left of GH after the cursor line and the legend, as many of
 * them as leave 3 grid lines (the cursor line alone when 2 do not). */
static int grid_lines(const struct tui *t, int gh)
{
	int need = legend(t, 0, 2, false);

	if (gh >= 4 + need)
		return gh - 1 - need;
	if (gh >= 4)
		return gh - 2; /* the first legend line only */
	if (gh >= 2)
		return gh - 1;
	return gh;
}

static void clamp_cursor(struct tui *t, const struct vm_mapping *m)
{
	uint64_t n = mapping_pages(t, m);

	if (t->page_cursor >= n)
		t->page_cursor = n ? n - 1 : 0;
}

void tui_pages_draw(struct tui *t, int top, int height)
{
	const struct vm_mapping *m = tui_selected(t);
	const struct vm_page_counts *pc;
	struct grid g;
	char buf[400], sz[16];
	int y = top, gh;
	uint64_t cur;

	if (!m)
		return;
	clamp_cursor(t, m);
	pc = &m->pages;
	snprintf(buf, sizeof(buf), "%" PRIx64 "-%" PRIx64 " %s %s %s: ", m->start, m->end,
		 m->perms, vm_kind_name(m->kind), fmt_kb(sz, sizeof(sz), (m->end - m->start) / 1024));
	tui_put(y, 0, buf, t->cols);
	tui_put_mapping_path(t, y, (int)strlen(buf), m, t->cols - (int)strlen(buf));
	y++;
	if (height >= 3) {
		int n = snprintf(buf, sizeof(buf), "%" PRIu64 " %s: %" PRIu64 " resident, %" PRIu64
				 " swapped, %" PRIu64 " not present", pc->total,
				 tui_plural(pc->total, "page", "pages"), pc->resident,
				 pc->swapped, pc->not_present);
		if (pc->known & PC_ZERO)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ", %" PRIu64 " zero", pc->zero);
		if (pc->known & PC_THP)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ", %" PRIu64 " huge", pc->thp);
		if (pc->known & PC_FILE)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ", %" PRIu64 " file/shared",
				      pc->file_or_shared);
		if (tui_pages_written_known(t, m))
			snprintf(buf + n, sizeof(buf) - (size_t)n, ", %" PRIu64
				 " written since the last refresh", pc->soft_dirty);
		tui_put(y++, 0, buf, t->cols);
	}
	if (!m->runs) {
		tui_put(y, 0, !t->src->ops->is_live(t->src) ?
			"no per-page states for this mapping in this snapshot (saved without --pages)" :
			t->paused ? "paused: r reads the pages of this mapping" :
			"reading the pages of this mapping...", t->cols);
		return;
	}
	/* Lines: grouping, grid, cursor info, legend (the last two if room). */
	gh = grid_lines(t, height - (y - top) - 1);
	if (gh < 1 || !grid_init(t, m, t->cols, gh, &g)) {
		if (gh < 1)
			return;
		tui_put(y, 0, "out of memory", t->cols);
		return;
	}
	g.start = m->start;
	g.page_size = t->snap->host.page_size > 0 ? t->snap->host.page_size : 4096;
	if (g.per_cell == 1)
		snprintf(buf, sizeof(buf), "one cell = one page (%ld bytes)", t->snap->host.page_size);
	else
		snprintf(buf, sizeof(buf), "one cell = %" PRIu64 " pages (%s): the commonest present or "
			 "swapped state (%s if none); half cell: not all",
			 g.per_cell, fmt_kb(sz, sizeof(sz), tui_page_kb(t, g.per_cell)),
			 tui_page_glyph(t, PS_NOT_PRESENT));
	attron(tui_attr(t, TC_DIM));
	tui_put(y++, 0, buf, t->cols);
	attroff(tui_attr(t, TC_DIM));
	cur = t->page_cursor / g.per_cell;
	for (int l = 0; l < g.height; l++) {
		uint64_t c0 = (uint64_t)l * (uint64_t)g.width;
		if (c0 >= g.ncells) {
			g.height = l; /* the info lines follow the last grid line */
			break;
		}
		if (g.x0) {
			snprintf(buf, sizeof(buf), "%16" PRIx64,
				 m->start + c0 * g.per_cell * (uint64_t)t->snap->host.page_size);
			attron(tui_attr(t, TC_DIM));
			tui_put(y + l, 0, buf, 16);
			attroff(tui_attr(t, TC_DIM));
		}
		for (int k = 0; k < g.width && c0 + (uint64_t)k < g.ncells; k++)
			draw_cell(t, &g, y + l, g.x0 + k, c0 + (uint64_t)k, c0 + (uint64_t)k == cur);
	}
	y += g.height;
	if (y < top + height)
		draw_cursor_info(t, y++, m, &g, cur < g.ncells ? cur : 0);
	if (y < top + height)
		legend(t, y, top + height - y, true);
	grid_fini(&g);
}

/* The grid geometry as drawn, for keys and clicks. */
static bool grid_geometry(const struct tui *t, const struct vm_mapping *m, int *width,
			  uint64_t *per_cell, int *first_line, int *lines)
{
	int height = t->rows - 4, y = 1 + (height >= 3), gh = grid_lines(t, height - y - 1);
	uint64_t npages = mapping_pages(t, m), cells;

	*width = t->cols - (t->cols >= 40 ? 17 : 0);
	if (gh < 1 || *width < 1)
		return false;
	cells = (uint64_t)*width * (uint64_t)gh;
	*per_cell = (npages + cells - 1) / cells;
	if (*per_cell < 1)
		*per_cell = 1;
	*first_line = y + 1;
	*lines = gh;
	return true;
}

bool tui_pages_key(struct tui *t, int ch)
{
	const struct vm_mapping *m = tui_selected(t);
	uint64_t per, npages, cell, ncells;
	int width, first, lines;
	int64_t d = 0;

	if (!m || !grid_geometry(t, m, &width, &per, &first, &lines))
		return false;
	npages = mapping_pages(t, m);
	ncells = (npages + per - 1) / per;
	cell = t->page_cursor / per;
	switch (ch) {
	case KEY_LEFT:
		d = -1;
		break;
	case KEY_RIGHT:
		d = 1;
		break;
	case KEY_UP:
	case 'k':
		d = -width;
		break;
	case KEY_DOWN:
	case 'j':
		d = width;
		break;
	case KEY_PPAGE:
		d = -(int64_t)width * (lines > 1 ? lines / 2 : 1);
		break;
	case KEY_NPAGE:
		d = (int64_t)width * (lines > 1 ? lines / 2 : 1);
		break;
	case KEY_HOME:
		t->page_cursor = 0;
		return true;
	case KEY_END:
		t->page_cursor = (ncells ? ncells - 1 : 0) * per;
		return true;
	case 'n':
	case 'N':
		tui_search_step(t, ch == 'n' ? 1 : -1);
		tui_open_pages(t);
		return true;
	default:
		return false;
	}
	if (d < 0 && (uint64_t)-d > cell)
		cell = 0;
	else if (d > 0 && cell + (uint64_t)d >= ncells)
		cell = ncells ? ncells - 1 : 0;
	else
		cell = (uint64_t)((int64_t)cell + d);
	t->page_cursor = cell * per;
	return true;
}

void tui_pages_click(struct tui *t, int y, int x)
{
	const struct vm_mapping *m = tui_selected(t);
	uint64_t per, cell, npages;
	int width, first, lines, x0 = t->cols >= 40 ? 17 : 0;

	if (!m || !grid_geometry(t, m, &width, &per, &first, &lines))
		return;
	if (y < first || y >= first + lines || x < x0 || x >= x0 + width)
		return;
	npages = mapping_pages(t, m);
	cell = (uint64_t)(y - first) * (uint64_t)width + (uint64_t)(x - x0);
	if (cell * per < npages)
		t->page_cursor = cell * per;
}

void tui_pages_want(const struct tui *t, struct tui_want *w)
{
	const struct vm_mapping *m = tui_selected(t);

	if (m) {
		w->runs_start = m->start;
		w->runs_end = m->end;
	}
}
