/* View 1, Layout: the address space from high to low addresses as the
 * textbook draws it (kernel space, stack, mmap area, heap, bss, data, text,
 * the reserved low pages). Regions get 1-3 lines by size so that small ones
 * stay visible; gaps are folded into one line labelled with their size. */
#include "config.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"
#include "vmatlas/render.h"

enum line_kind { L_KERNEL, L_GAP, L_MAP, L_RESERVED };

struct line {
	enum line_kind kind;
	size_t map;       /* L_MAP: index in proc->maps */
	int sub;          /* L_MAP: 0 for the region's first line */
	uint64_t lo, hi;  /* L_GAP, L_RESERVED: the range */
};

/* User space ends here on x86-64 and arm64 with 4-level tables (48 bits). */
#define USER_TOP 0x800000000000ULL
/* Gaps smaller than this are not drawn (library segments are adjacent). */
#define GAP_MIN (64ULL << 10)

static int region_height(const struct vm_mapping *m)
{
	uint64_t len = m->end - m->start;

	if (len >= (1ULL << 30))
		return 3;
	if (len >= (16ULL << 20))
		return 2;
	return 1;
}

/* The lines of the picture, top (high addresses) first. */
static size_t build_lines(const struct vm_process *p, struct line **out)
{
	size_t cap = p->nmaps * 5 + 4, n = 0;
	struct line *v = calloc(cap, sizeof(*v));
	bool kernel_done = false;
	uint64_t above = UINT64_MAX; /* start of the region drawn above */

	*out = v;
	if (!v)
		return 0;
	for (size_t k = p->nmaps; k-- > 0;) {
		const struct vm_mapping *m = &p->maps[k];

		if (!kernel_done && m->start < USER_TOP) {
			v[n++] = (struct line){ .kind = L_KERNEL, .lo = USER_TOP, .hi = UINT64_MAX };
			above = USER_TOP;
			kernel_done = true;
		}
		if (above != UINT64_MAX && above > m->end && above - m->end >= GAP_MIN)
			v[n++] = (struct line){ .kind = L_GAP, .lo = m->end, .hi = above };
		for (int s = 0; s < region_height(m); s++)
			v[n++] = (struct line){ .kind = L_MAP, .map = k, .sub = s };
		above = m->start;
	}
	if (!kernel_done) {
		v[n++] = (struct line){ .kind = L_KERNEL, .lo = USER_TOP, .hi = UINT64_MAX };
		above = USER_TOP;
	}
	v[n++] = (struct line){ .kind = L_RESERVED, .lo = 0, .hi = above == UINT64_MAX ? 0 : above };
	return n;
}

static int line_of_map(const struct line *v, size_t n, size_t map)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].kind == L_MAP && v[i].map == map && v[i].sub == 0)
			return (int)i;
	return 0;
}

/* mm_struct boundaries that fall inside M, as " <- name name". */
static void boundaries(const struct vm_process *p, const struct vm_mapping *m,
		       char *buf, size_t len)
{
	const struct { const char *name; uint64_t v; bool is_end; } b[] = {
		{ "start_code", p->mm.start_code, false }, { "end_code", p->mm.end_code, true },
		{ "start_data", p->mm.start_data, false }, { "end_data", p->mm.end_data, true },
		{ "start_brk", p->mm.start_brk, false }, { "brk", p->mm.brk, true },
		{ "start_stack", p->mm.start_stack, false },
		{ "args", p->mm.arg_start, false }, { "env", p->mm.env_start, false },
	};
	size_t used = 0;

	buf[0] = '\0';
	if (!p->mm.valid)
		return;
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		bool in = b[i].v && ((m->start <= b[i].v && b[i].v < m->end) ||
				     (b[i].is_end && b[i].v == m->end));
		if (!in || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "  <- ", b[i].name);
	}
}

static char change_mark(const struct tui_change *c)
{
	if (!c)
		return ' ';
	if (c->what & CH_NEW)
		return '+';
	if (c->what & CH_GROWN)
		return '>';
	if (c->what & CH_SHRUNK)
		return '<';
	if (c->what & (CH_RES_UP | CH_SWAP_UP))
		return '*';
	return ' ';
}

static enum tui_color change_color(const struct tui_change *c)
{
	if (!c)
		return TC_NORMAL;
	if (c->what & CH_NEW)
		return TC_NEW;
	if (c->what & CH_GROWN)
		return TC_GROWN;
	if (c->what & CH_SHRUNK)
		return TC_SHRUNK;
	if (c->what & CH_SWAP_UP)
		return TC_PAGE_NEWSWAP;
	if (c->what & CH_RES_UP)
		return TC_NEW;
	return TC_NORMAL;
}

static void draw_map_line(struct tui *t, int y, const struct line *l, bool sel, bool wide)
{
	const struct vm_process *p = t->proc;
	const struct vm_mapping *m = &p->maps[l->map];
	const struct tui_change *c = tui_change_of(t, m->start);
	int x = 0, bw = t->cols >= 100 ? 24 : t->cols >= 80 ? 16 : 10;
	char buf[256], sz[16], res[16];

	if (wide) {
		if (l->sub == 0)
			snprintf(buf, sizeof(buf), "%16" PRIx64, m->start);
		else
			snprintf(buf, sizeof(buf), "%16s", "");
		if (sel)
			attron(tui_attr(t, TC_SEL));
		tui_put(y, 0, buf, 16);
		if (sel)
			attroff(tui_attr(t, TC_SEL));
		x = 17;
	}
	attron(tui_attr(t, TC_KIND + m->kind));
	snprintf(buf, sizeof(buf), " %-8s", l->sub == 0 ? vm_kind_name(m->kind) : "");
	tui_put(y, x, buf, 9);
	attroff(tui_attr(t, TC_KIND + m->kind));
	x += 10;
	if (l->sub != 0)
		return;
	attron(tui_attr(t, change_color(c)));
	mvaddch(y, x, (chtype)change_mark(c));
	attroff(tui_attr(t, change_color(c)));
	x += 2;
	if (sel)
		attron(tui_attr(t, TC_SEL));
	{
		int lw = t->cols - x - (wide ? bw + 12 : 0), cx = x;
		const char *name;

		fmt_kb(sz, sizeof(sz), (m->end - m->start) / 1024);
		snprintf(buf, sizeof(buf), "%6s %s ", sz, m->perms);
		cx += tui_put(y, cx, buf, lw);
		/* The object's file name; the Maps view has the whole path. */
		name = tui_mapping_name(m);
		if (name[0] == '/' && strrchr(name, '/')[1])
			name = strrchr(name, '/') + 1;
		{
			/* The file name alone, with the kernel's deleted marker. */
			struct vm_mapping shown = *m;

			shown.path = (char *)name;
			cx += tui_put_mapping_path(t, y, cx, &shown, lw - (cx - x));
		}
		boundaries(p, m, buf, sizeof(buf));
		if (sel)
			attroff(tui_attr(t, TC_SEL));
		attron(tui_attr(t, TC_STATUS));
		tui_put(y, cx, buf, lw - (cx - x));
		attroff(tui_attr(t, TC_STATUS));
	}
	if (sel)
		attroff(tui_attr(t, TC_SEL));
	if (!wide)
		return;
	x = t->cols - bw - 11;
	tui_put_bar(t, y, x, bw, &m->pages);
	snprintf(buf, sizeof(buf), " res %5s", fmt_kb(res, sizeof(res), tui_rss_kb(t, m)));
	tui_put(y, x + bw, buf, 11);
}

static void draw_other_line(struct tui *t, int y, const struct line *l, bool wide)
{
	char buf[160], sz[16];
	int x = wide ? 17 : 0;

	switch (l->kind) {
	case L_KERNEL:
		if (wide)
			tui_put(y, 0, "    800000000000", 16);
		attron(tui_attr(t, TC_TITLE));
		tui_put(y, x, " kernel space (not accessible to the process)", t->cols - x);
		tui_clear_to_eol(y, x + 45);
		attroff(tui_attr(t, TC_TITLE));
		break;
	case L_GAP:
		fmt_kb(sz, sizeof(sz), (l->hi - l->lo) / 1024);
		snprintf(buf, sizeof(buf), "  ~ %s unmapped ~", sz);
		attron(tui_attr(t, TC_DIM));
		tui_put(y, x, buf, t->cols - x);
		attroff(tui_attr(t, TC_DIM));
		break;
	case L_RESERVED:
		if (wide)
			tui_put(y, 0, "               0", 16);
		fmt_kb(sz, sizeof(sz), l->hi / 1024);
		snprintf(buf, sizeof(buf), " reserved low memory, %s below the first mapping (NULL pointers fault here)", sz);
		attron(tui_attr(t, TC_DIM));
		tui_put(y, x, buf, t->cols - x);
		attroff(tui_attr(t, TC_DIM));
		break;
	default:
		break;
	}
}

void tui_layout_draw(struct tui *t, int top, int height)
{
	struct line *v;
	size_t n = build_lines(t->proc, &v);
	ssize_t sel = tui_selected_index(t);
	int *scroll = &t->scroll[0];
	bool wide = t->cols >= 64;

	if (!v)
		return;
	if (sel >= 0)
		tui_scroll_to(scroll, line_of_map(v, n, (size_t)sel), height, (int)n);
	for (int i = 0; i < height && *scroll + i < (int)n; i++) {
		const struct line *l = &v[*scroll + i];
		if (l->kind == L_MAP)
			draw_map_line(t, top + i, l, (ssize_t)l->map == sel, wide);
		else
			draw_other_line(t, top + i, l, wide);
	}
	free(v);
}

bool tui_layout_key(struct tui *t, int ch)
{
	const struct vm_process *p = t->proc;
	ssize_t i = tui_selected_index(t);
	int page = t->rows - 6 > 1 ? t->rows - 6 : 1;

	if (i < 0)
		return false;
	/* Up goes to higher addresses: the next mapping in the array. */
	switch (ch) {
	case KEY_UP:
	case 'k':
		i++;
		break;
	case KEY_DOWN:
	case 'j':
		i--;
		break;
	case KEY_PPAGE:
		i += page;
		break;
	case KEY_NPAGE:
		i -= page;
		break;
	case KEY_HOME:
		i = (ssize_t)p->nmaps - 1;
		break;
	case KEY_END:
		i = 0;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		tui_open_pages(t);
		return true;
	case 'n':
	case 'N':
		/* Down the screen is to lower addresses. */
		tui_search_step(t, ch == 'n' ? -1 : 1);
		return true;
	default:
		return false;
	}
	if (i < 0)
		i = 0;
	if (i >= (ssize_t)p->nmaps)
		i = (ssize_t)p->nmaps - 1;
	tui_select_index(t, (size_t)i);
	return true;
}

bool tui_layout_find(struct tui *t, const char *pat, int dir, bool self)
{
	/* Down the screen is to lower addresses. */
	return tui_find_mapping(t, pat, -dir, self);
}

void tui_layout_click(struct tui *t, int y, int x)
{
	struct line *v;
	size_t n = build_lines(t->proc, &v);
	int l = t->scroll[0] + y;

	(void)x;
	if (v && l >= 0 && l < (int)n && v[l].kind == L_MAP)
		tui_select_index(t, v[l].map);
	free(v);
}
