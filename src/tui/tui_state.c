/* The screen's state, below the views and the main loop: the shown
 * snapshot and process, selection, scrolling, search, what changed since
 * the last refresh, and refreshing from the source. Views are reached only
 * through the table in struct tui (t->views), never by name. */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui_priv.h"
#include "vmatlas/util.h"

void tui_set_status(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof(t->status), fmt, ap);
	va_end(ap);
	t->status_until = vm_now_ns() + 4000000000ULL;
}

uint64_t tui_page_kb(const struct tui *t, uint64_t pages)
{
	long ps = t->snap ? t->snap->host.page_size : 4096;
	return pages * (uint64_t)(ps > 0 ? ps : 4096) / 1024;
}

uint64_t tui_rss_kb(const struct tui *t, const struct vm_mapping *m)
{
	return tui_page_kb(t, m->pages.resident - m->pages.zero);
}

const char *tui_mapping_name(const struct vm_mapping *m)
{
	if (m->path && *m->path)
		return m->path;
	return m->kind == VK_GUARD ? "[guard]" : m->kind == VK_RESERVED ? "[reserved]" : "[anon]";
}

ssize_t tui_selected_index(const struct tui *t)
{
	const struct vm_process *p = t->proc;
	ssize_t i;

	if (!p || !p->nmaps)
		return -1;
	i = vm_process_find(p, t->sel_addr);
	if (i >= 0)
		return i;
	/* The mapping went away: the nearest one below, else the first. */
	for (i = (ssize_t)p->nmaps - 1; i >= 0; i--)
		if (p->maps[i].start <= t->sel_addr)
			return i;
	return 0;
}

const struct vm_mapping *tui_selected(const struct tui *t)
{
	ssize_t i = tui_selected_index(t);
	return i < 0 ? NULL : &t->proc->maps[i];
}

void tui_select_index(struct tui *t, size_t i)
{
	if (!t->proc || i >= t->proc->nmaps)
		return;
	if (t->sel_addr != t->proc->maps[i].start)
		t->page_cursor = 0;
	t->sel_addr = t->proc->maps[i].start;
}

const struct tui_change *tui_change_of(const struct tui *t, uint64_t start)
{
	for (size_t i = 0; i < t->nchanges; i++)
		if (t->changes[i].start == start && !(t->changes[i].what & CH_REMOVED))
			return &t->changes[i];
	return NULL;
}

void tui_scroll_to(int *scroll, int sel, int height, int nlines)
{
	if (height <= 0)
		return;
	if (sel < *scroll)
		*scroll = sel;
	if (sel >= *scroll + height)
		*scroll = sel - height + 1;
	if (*scroll > nlines - height)
		*scroll = nlines - height;
	if (*scroll < 0)
		*scroll = 0;
}

bool tui_list_move(int ch, ssize_t *sel, size_t n, ssize_t page)
{
	ssize_t last = (ssize_t)n - 1, v = *sel;

	switch (ch) {
	case KEY_UP:
	case 'k':
		v--;
		break;
	case KEY_DOWN:
	case 'j':
		v++;
		break;
	case KEY_PPAGE:
		v -= page;
		break;
	case KEY_NPAGE:
		v += page;
		break;
	case KEY_HOME:
		v = 0;
		break;
	case KEY_END:
		v = last;
		break;
	default:
		return false;
	}
	*sel = v > last ? last : v < 0 ? 0 : v;
	return true;
}

static bool ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!n)
		return true;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* Each blank-separated word of PAT must match: an address inside M (0x...),
 * M's kind, a permission pattern (r, w, x, p, s and '-'; "rw" matches "rw-p"),
 * or part of M's path. */
bool tui_mapping_matches(const struct vm_mapping *m, const char *pat)
{
	char word[96];
	const char *p = pat;

	while (*p) {
		size_t n = 0;
		uint64_t a;
		bool hit;

		while (*p == ' ')
			p++;
		while (*p && *p != ' ' && n < sizeof(word) - 1)
			word[n++] = *p++;
		word[n] = '\0';
		if (!n)
			break;
		if (strncasecmp(word, "0x", 2) == 0 && parse_u64(word, &a) == 0)
			hit = m->start <= a && a < m->end;
		else if (strcasecmp(word, vm_kind_name(m->kind)) == 0)
			hit = true;
		else if (strspn(word, "rwxps-") == n && n <= 4 && strncmp(m->perms, word, n) == 0)
			hit = true;
		else
			hit = ci_contains(tui_mapping_name(m), word) ||
			      ci_contains(vm_kind_name(m->kind), word);
		if (!hit)
			return false;
	}
	return true;
}

void tui_search_step(struct tui *t, int dir)
{
	const struct vm_process *p = t->proc;
	ssize_t cur = tui_selected_index(t), n;

	if (!p || cur < 0)
		return;
	n = (ssize_t)p->nmaps;
	if (!t->search[0]) {
		if (cur + dir >= 0 && cur + dir < n)
			tui_select_index(t, (size_t)(cur + dir));
		else
			tui_set_status(t, "this is the %s mapping", dir > 0 ? "last" : "first");
		return;
	}
	for (ssize_t k = 1; k <= n; k++) {
		ssize_t i = ((cur + dir * k) % n + n) % n;

		if (tui_mapping_matches(&p->maps[i], t->search)) {
			if (i == cur)
				tui_set_status(t, "only this mapping matches '%s'", t->search);
			tui_select_index(t, (size_t)i);
			return;
		}
	}
	tui_set_status(t, "no mapping matches '%s'", t->search);
}

/* ---- changes since the last refresh ----------------------------------- */

void tui_changes_clear(struct tui *t)
{
	for (size_t i = 0; i < t->nchanges; i++)
		free(t->changes[i].path);
	free(t->changes);
	t->changes = NULL;
	t->nchanges = 0;
}

static const struct vm_mapping *prev_match(const struct vm_process *old,
					   const struct vm_mapping *m)
{
	ssize_t i = vm_process_find(old, m->start);

	if (i >= 0 && old->maps[i].start == m->start)
		return &old->maps[i];
	/* A stack grows down: same end, lower start. */
	i = vm_process_find(old, m->end - 1);
	if (i >= 0 && old->maps[i].end == m->end)
		return &old->maps[i];
	return NULL;
}

static void changes_compute(struct tui *t)
{
	const struct vm_process *cur = t->proc, *old = t->prev_proc;
	struct tui_change *v;
	size_t n = 0;

	tui_changes_clear(t);
	if (!cur || !old)
		return;
	v = calloc(cur->nmaps + old->nmaps + 1, sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < cur->nmaps; i++) {
		const struct vm_mapping *m = &cur->maps[i], *o = prev_match(old, m);
		struct tui_change c = { .start = m->start, .end = m->end, .kind = m->kind };

		if (!o) {
			c.what = CH_NEW;
			c.d_resident = (int64_t)m->pages.resident;
			c.d_swapped = (int64_t)m->pages.swapped;
		} else {
			uint64_t ol = o->end - o->start, nl = m->end - m->start;
			if (nl > ol)
				c.what |= CH_GROWN;
			else if (nl < ol)
				c.what |= CH_SHRUNK;
			c.d_resident = (int64_t)m->pages.resident - (int64_t)o->pages.resident;
			c.d_swapped = (int64_t)m->pages.swapped - (int64_t)o->pages.swapped;
			if (c.d_resident > 0)
				c.what |= CH_RES_UP;
			if (c.d_swapped > 0)
				c.what |= CH_SWAP_UP;
		}
		if (c.what)
			v[n++] = c;
	}
	for (size_t i = 0; i < old->nmaps; i++) {
		const struct vm_mapping *o = &old->maps[i];
		ssize_t a = vm_process_find(cur, o->start), b = vm_process_find(cur, o->end - 1);

		if ((a >= 0 && cur->maps[a].start == o->start) ||
		    (b >= 0 && cur->maps[b].end == o->end))
			continue;
		if (a >= 0 && a == b)
			continue; /* merged into a bigger mapping: shown as grown */
		v[n] = (struct tui_change){ .start = o->start, .end = o->end, .what = CH_REMOVED,
					    .kind = o->kind, .path = escape_untrusted(tui_mapping_name(o)),
					    .d_resident = -(int64_t)o->pages.resident,
					    .d_swapped = -(int64_t)o->pages.swapped };
		n++;
	}
	t->changes = v;
	t->nchanges = n;
}

/* ---- refresh -------------------------------------------------------- */

static const struct vm_process *snap_proc(const struct vm_snapshot *s, pid_t pid)
{
	if (!s || !s->nprocs)
		return NULL;
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return pid ? NULL : &s->procs[0];
}

static void tui_take(struct tui *t, struct vm_snapshot *s)
{
	if (t->prev)
		t->src->ops->release(t->src, t->prev);
	t->prev = t->snap;
	t->snap = s;
	t->proc = snap_proc(s, t->pid);
	if (!t->proc)
		t->proc = snap_proc(s, 0);
	if (t->proc) {
		t->pid = t->proc->pid;
		if (!t->sel_addr && t->proc->nmaps)
			t->sel_addr = t->proc->maps[0].start;
	}
	t->prev_proc = snap_proc(t->prev, t->pid);
	changes_compute(t);
	for (size_t i = 0; i < t->nviews; i++)
		if (t->views[i].sample)
			t->views[i].sample(t);
	t->refreshes++;
}

bool tui_exit_words(struct tui *t, pid_t pid, char *buf, size_t len)
{
	struct tui_proc *v = calloc(TUI_MAX_PROCS, sizeof(*v));
	size_t n = v ? tui_procs(t, v, TUI_MAX_PROCS) : 0;
	bool found = false;

	for (size_t i = 0; i < n && !found; i++)
		if (v[i].pid == pid && v[i].have_status) {
			vm_wait_status_describe(v[i].status, buf, len);
			found = true;
		}
	free(v);
	return found;
}

size_t tui_procs(struct tui *t, struct tui_proc *out, size_t max)
{
	size_t n = 0;

	if (t->src->ops->procs)
		return t->src->ops->procs(t->src, out, max);
	for (size_t i = 0; t->snap && i < t->snap->nprocs && n < max; i++, n++) {
		const struct vm_process *p = &t->snap->procs[i];

		out[n] = (struct tui_proc){ .pid = p->pid, .ppid = p->ppid, .state = p->state };
		snprintf(out[n].comm, sizeof(out[n].comm), "%.16s", p->comm);
		vm_process_title(p, out[n].title, sizeof(out[n].title));
	}
	return n;
}

const struct vm_cow_pair *tui_cow_pair(const struct tui *t)
{
	for (size_t i = 0; t->snap && i < t->snap->ncows; i++)
		if (t->snap->cows[i].parent == t->pid)
			return &t->snap->cows[i];
	return NULL;
}

static void tui_want_of(const struct tui *t, struct tui_want *w)
{
	memset(w, 0, sizeof(*w));
	w->pid = t->pid;
	w->soft_dirty = t->track_writes;
	if (t->views[t->view].want)
		t->views[t->view].want(t, w);
}

/* The line beside the tabs: what is shown and what quitting does. */
void tui_describe(struct tui *t)
{
	if (t->o.source_line)
		snprintf(t->source_line, sizeof(t->source_line), "%s", t->o.source_line);
	else
		t->src->ops->describe(t->src, t->source_line, sizeof(t->source_line));
}

/* Reset the shown process's soft-dirty bits after a read; a failure turns
 * tracking off with a status line (not an exit). */
static int writes_reset(struct tui *t)
{
	int r;

	if (t->gone || !t->pid)
		return -ESRCH;
	r = t->src->ops->clear_soft_dirty(t->src, t->pid);
	if (r == 0) {
		t->writes_pid = t->pid;
		return 0;
	}
	if (r == -ESRCH)
		return r; /* gone: the exit is reported; another may be shown */
	t->track_writes = false;
	t->writes_valid = false;
	t->writes_pid = 0;
	if (r == -EOPNOTSUPP)
		tui_set_status(t, "cannot track writes: this kernel keeps no soft-dirty bits "
			       "(CONFIG_MEM_SOFT_DIRTY)");
	else
		tui_set_status(t, "cannot track writes: resetting the soft-dirty bits of "
			       "process %d failed: %s", (int)t->pid, strerror(-r));
	return r;
}

void tui_refresh(struct tui *t)
{
	struct vm_snapshot *s = NULL;
	struct tui_want w;
	int r;

	t->next_refresh_ns = vm_now_ns() + (uint64_t)(t->delay * 1e9);
	if (t->gone)
		return;
	tui_want_of(t, &w);
	r = (t->src->ops->refresh)(t->src, &w, &s); /* curses has a refresh() macro */
	if (r == -ESRCH) {
		t->gone = true;
		tui_set_status(t, "the process has exited; the last picture stays until you quit");
		return;
	}
	if (r < 0) {
		tui_set_status(t, "refresh failed: %s", strerror(-r));
		return;
	}
	if (r > 0 && s) {
		/* Soft-dirty now means "written since the last reset". */
		t->writes_valid = t->track_writes && t->writes_pid == w.pid && w.pid;
		tui_take(t, s);
	}
	if (t->track_writes)
		writes_reset(t);
	tui_describe(t);
}

void tui_track_writes(struct tui *t, bool on)
{
	if (!on) {
		if (t->track_writes)
			tui_set_status(t, "write tracking off: soft-dirty bits are no longer reset");
		t->track_writes = false;
		t->writes_valid = false;
		t->writes_pid = 0;
		return;
	}
	if (!t->src->ops->clear_soft_dirty || !t->src->ops->is_live(t->src)) {
		tui_set_status(t, "write tracking needs a live process");
		return;
	}
	t->track_writes = true;
	t->writes_pid = 0;
	if (writes_reset(t) == 0)
		tui_set_status(t, "tracking writes: the soft-dirty bits of process %d are reset at "
			       "every refresh (w: off)", (int)t->pid);
}

void tui_open_pages(struct tui *t)
{
	const struct vm_mapping *m = tui_selected(t);

	t->view = TUI_VIEW_PAGES;
	if (m && !m->runs && t->src->ops->is_live(t->src) && !t->paused)
		tui_refresh(t); /* the runs of the mapping are read only now */
}

void tui_show_pid(struct tui *t, pid_t pid)
{
	if (pid == t->pid)
		return;
	t->pid = pid;
	t->gone = false;
	t->sel_addr = 0;
	t->page_cursor = 0;
	t->cow_child = 0;
	t->cow_sel = 0;
	t->proc = snap_proc(t->snap, pid);
	t->prev_proc = NULL;
	tui_changes_clear(t);
	tui_refresh(t);
	if (t->proc && !t->sel_addr && t->proc->nmaps)
		t->sel_addr = t->proc->maps[0].start;
}

void tui_step(struct tui *t, int dir)
{
	struct vm_snapshot *s = NULL;
	int r;

	if (!t->src->ops->step) {
		tui_set_status(t, "[ and ] step through a timeline file ('vmatlas view FILE')");
		return;
	}
	r = t->src->ops->step(t->src, dir, &s);
	if (r < 0)
		tui_set_status(t, "cannot read the %s snapshot: %s", dir < 0 ? "previous" : "next",
			       strerror(-r));
	else if (r == 0)
		tui_set_status(t, "this is the %s snapshot", dir < 0 ? "first" : "last");
	else if (s)
		tui_take(t, s);
	tui_describe(t);
}

void tui_set_view(struct tui *t, size_t v)
{
	if (v >= t->nviews)
		return;
	if (v == TUI_VIEW_TREE && t->view != TUI_VIEW_TREE) {
		t->tree_back = t->view;
		t->tree_sel = t->pid;
	}
	if (v == TUI_VIEW_PAGES) {
		tui_open_pages(t);
		return;
	}
	t->view = v;
	if (t->views[v].want && t->src->ops->is_live(t->src) && !t->paused)
		tui_refresh(t);
}
