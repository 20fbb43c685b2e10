/* Search (/, F3; n, N) and filter (\, F4) in every list view, applied as
 * each letter is typed (htop's F3 and F4), in the view where they are
 * typed; and the address prompt (a), which takes what 'vmatlas addr'
 * takes. Each view says what it searches (tui_view.find) and whether it
 * filters (tui_view.filters). */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"
#include "vmatlas/util.h"

static bool ci_contains(const char *hay, const char *needle, size_t n)
{
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

bool tui_text_matches(const char *text, const char *pat)
{
	const char *p = pat;

	for (;;) {
		size_t n;

		while (*p == ' ')
			p++;
		if (!*p)
			return true;
		n = strcspn(p, " ");
		if (!ci_contains(text ? text : "", p, n))
			return false;
		p += n;
	}
}

ssize_t tui_find_index(size_t n, ssize_t cur, int dir, bool self,
		       bool (*match)(const void *ctx, size_t i, const char *pat),
		       const void *ctx, const char *pat)
{
	if (!n)
		return -1;
	if (cur < 0 || (size_t)cur >= n)
		cur = dir > 0 ? (ssize_t)n - 1 : 0, self = false;
	for (size_t k = self ? 0 : 1; k <= n; k++) {
		ssize_t i = ((cur + dir * (ssize_t)k) % (ssize_t)n + (ssize_t)n) % (ssize_t)n;

		if (match(ctx, (size_t)i, pat))
			return i;
	}
	return -1;
}

static bool mapping_match(const void *ctx, size_t i, const char *pat)
{
	const struct vm_process *p = ctx;

	return tui_mapping_matches(&p->maps[i], pat);
}

bool tui_find_mapping(struct tui *t, const char *pat, int dir, bool self)
{
	ssize_t i;

	if (!t->proc)
		return false;
	i = tui_find_index(t->proc->nmaps, tui_selected_index(t), dir, self, mapping_match,
			   t->proc, pat);
	if (i < 0)
		return false;
	tui_select_index(t, (size_t)i);
	return true;
}

const char *tui_filter(const struct tui *t, size_t view)
{
	return view < 16 && t->views[view].filters ? t->filter[view] : "";
}

bool tui_is_match(const struct tui *t, const char *text)
{
	return t->search[0] && tui_text_matches(text, t->search);
}

/* ---- the prompt ---------------------------------------------------------- */

const char *tui_prompt_label(enum tui_prompt p)
{
	switch (p) {
	case PROMPT_SEARCH:
		return "Search (Enter keeps it for n N, Esc goes back): ";
	case PROMPT_FILTER:
		return "Filter (Enter keeps it, Esc undoes): ";
	case PROMPT_ADDR:
		return "Address (hex, 0x optional; SYMBOL; SYMBOL+OFFSET): ";
	default:
		return "";
	}
}

static void origin_save(struct tui *t)
{
	t->origin.sel_addr = t->sel_addr;
	t->origin.page_cursor = t->page_cursor;
	t->origin.cow_sel = t->cow_sel;
	t->origin.tree_sel = t->tree_sel;
	memcpy(t->origin.scroll, t->scroll, sizeof(t->scroll));
	memcpy(t->origin.found, t->found, sizeof(t->found));
	snprintf(t->origin.search, sizeof(t->origin.search), "%s", t->search);
	snprintf(t->origin.filter, sizeof(t->origin.filter), "%s", t->filter[t->view]);
}

static void origin_restore_place(struct tui *t)
{
	t->sel_addr = t->origin.sel_addr;
	t->page_cursor = t->origin.page_cursor;
	t->cow_sel = t->origin.cow_sel;
	t->tree_sel = t->origin.tree_sel;
	memcpy(t->scroll, t->origin.scroll, sizeof(t->scroll));
	memcpy(t->found, t->origin.found, sizeof(t->found));
}

static const char *view_things(const struct tui *t)
{
	static const char *const what[] = {
		[TUI_VIEW_LAYOUT] = "mapping", [TUI_VIEW_MAPS] = "mapping",
		[TUI_VIEW_PAGES] = "mapping", [TUI_VIEW_SECTIONS] = "section",
		[TUI_VIEW_STACKS] = "thread or frame", [TUI_VIEW_COW] = "mapping",
		[TUI_VIEW_TREE] = "process", [TUI_VIEW_OUTPUT] = "line",
	};

	return t->view < sizeof(what) / sizeof(what[0]) && what[t->view] ? what[t->view] : "item";
}

/* Search as typed: from where the prompt started, the first match. */
static void search_apply(struct tui *t)
{
	const struct tui_view *v = &t->views[t->view];

	origin_restore_place(t);
	snprintf(t->search, sizeof(t->search), "%s", t->pbuf);
	if (!t->pbuf[0] || !v->find)
		return;
	if (!v->find(t, t->pbuf, 1, true))
		tui_set_status(t, "no %s matches '%s'", view_things(t), t->pbuf);
	else
		t->status[0] = '\0';
}

/* Filter as typed: the list shows what matches from its first line. */
static void filter_apply(struct tui *t)
{
	snprintf(t->filter[t->view], sizeof(t->filter[t->view]), "%s", t->pbuf);
	t->scroll[t->view] = 0;
}

/* A is where: the selected mapping, and in the Pages view the page. */
static void addr_go(struct tui *t, uint64_t a, const char *what)
{
	ssize_t i = t->proc ? vm_process_find(t->proc, a) : -1;

	if (i < 0) {
		tui_set_status(t, "0x%" PRIx64 "%s%s is not mapped", a, what ? " " : "", what ? what : "");
		return;
	}
	tui_select_index(t, (size_t)i);
	if (t->view == TUI_VIEW_PAGES) {
		t->page_cursor = (a - t->proc->maps[i].start) / (uint64_t)t->snap->host.page_size;
		t->jump_addr = a;
	}
	tui_set_status(t, "0x%" PRIx64 "%s%s%s is in %s (%s)", a, what ? " (" : "", what ? what : "",
		       what ? ")" : "", vm_kind_name(t->proc->maps[i].kind), t->proc->maps[i].perms);
}

/* What 'vmatlas addr' takes, read by the same parser (addr_spec_parse):
 * HEX or 0xHEX, SYMBOL, SYMBOL+OFFSET; a name of hex digits only is that
 * address when no symbol has the name. */
static void prompt_addr(struct tui *t)
{
	const char *in = t->pbuf;
	struct addr_spec s;
	uint64_t a;
	int r;

	while (*in == ' ')
		in++;
	if (!*in || !t->proc)
		return;
	r = addr_spec_parse(in, &s);
	if (r < 0) {
		tui_set_status(t, r == -EINVAL ? "'%s' is not an address (HEX, 0xHEX, SYMBOL or SYMBOL+OFFSET)"
				       : "cannot read '%s': out of memory", in);
		return;
	}
	if (!s.name) {
		addr_go(t, s.addr, NULL);
		return;
	}
	r = t->src->ops->resolve ? t->src->ops->resolve(t->src, t->proc, s.name, &a) : -ENOSYS;
	if (r == 0 && a + s.off >= a)
		addr_go(t, a + s.off, in);
	else if (r == 0)
		tui_set_status(t, "'%s' is past the end of the address space", in);
	else if ((r == -ENOENT || r == -ENOSYS) && s.hex_name)
		addr_go(t, s.addr, NULL);
	else if (r == -ENOSYS)
		tui_set_status(t, "'%s' is a symbol, and symbols are looked up only in a live process", s.name);
	else if (r == -ENOENT)
		tui_set_status(t, "no symbol '%s' in process %d", s.name, (int)t->proc->pid);
	else
		tui_set_status(t, "cannot look up '%s': %s", s.name, strerror(-r));
	addr_spec_free(&s);
}

static void prompt_done(struct tui *t, bool accept)
{
	enum tui_prompt p = t->prompt;

	t->prompt = PROMPT_NONE;
	switch (p) {
	case PROMPT_SEARCH:
		if (!accept) {
			origin_restore_place(t);
			snprintf(t->search, sizeof(t->search), "%s", t->origin.search);
			break;
		}
		/* An empty search clears the last one (n, N: the next item). */
		snprintf(t->search, sizeof(t->search), "%s", t->pbuf);
		if (t->search[0]) {
			tui_set_status(t, "n, N: the next and previous %s matching '%s'", view_things(t),
				       t->search);
		}
		break;
	case PROMPT_FILTER:
		if (!accept) {
			snprintf(t->filter[t->view], sizeof(t->filter[t->view]), "%s", t->origin.filter);
			origin_restore_place(t);
		}
		break;
	case PROMPT_ADDR:
		if (accept)
			prompt_addr(t);
		break;
	default:
		break;
	}
}

void tui_prompt_key(struct tui *t, int ch)
{
	if (ch == 27 || ch == 7) {
		prompt_done(t, false);
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		prompt_done(t, true);
		return;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (!t->plen)
			return;
		t->pbuf[--t->plen] = '\0';
	} else if (ch >= 32 && ch < 127 && t->plen < sizeof(t->pbuf) - 1) {
		t->pbuf[t->plen++] = (char)ch;
		t->pbuf[t->plen] = '\0';
	} else {
		return;
	}
	if (t->prompt == PROMPT_SEARCH)
		search_apply(t);
	else if (t->prompt == PROMPT_FILTER)
		filter_apply(t);
}

void tui_prompt_start(struct tui *t, enum tui_prompt p)
{
	if (p == PROMPT_FILTER && !t->views[t->view].filters) {
		tui_set_status(t, "the %s view has no filter (F4 filters Maps, Sections, Stacks, Tree%s); "
			       "/ searches here", t->views[t->view].name,
			       t->output ? ", Output" : "");
		return;
	}
	if (p == PROMPT_SEARCH && !t->views[t->view].find) {
		tui_set_status(t, "nothing to search in the %s view", t->views[t->view].name);
		return;
	}
	origin_save(t);
	t->status[0] = '\0';
	t->prompt = p;
	t->plen = 0;
	t->pbuf[0] = '\0';
	if (p == PROMPT_FILTER) {
		snprintf(t->pbuf, sizeof(t->pbuf), "%s", t->filter[t->view]);
		t->plen = strlen(t->pbuf);
	}
}

bool tui_find_next(struct tui *t, int dir)
{
	const struct tui_view *v = &t->views[t->view];
	uint64_t sel = t->sel_addr, cow = t->cow_sel;
	pid_t tree = t->tree_sel;
	int scroll = t->scroll[t->view], found = t->found[t->view];

	if (!t->search[0] || !v->find)
		return false;
	if (!v->find(t, t->search, dir, false))
		tui_set_status(t, "no %s matches '%s'", view_things(t), t->search);
	else if (t->found[t->view] ? found == t->found[t->view] :
		 sel == t->sel_addr && cow == t->cow_sel && tree == t->tree_sel &&
		 scroll == t->scroll[t->view])
		tui_set_status(t, "only this %s matches '%s'", view_things(t), t->search);
	return true;
}
