/* The Tree view, the family view: the processes the source follows (the
 * watched process, its children and grandchildren) with what each costs
 * (RSS, PSS, USS), what it still shares with its parent, what it has
 * copied (diverged) and how fast (kB/s since the last refresh); the
 * family's footprint and sharing histogram on top. The family is computed
 * only while this view is shown (tui_tree_want). Enter shows the selected
 * process; c compares it with its parent in the COW view; < > choose a
 * column to sort by (the first is the tree), I inverts. */
#include "config.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"
#include "vmatlas/render.h"

/* Columns one can sort by, after the tree order. */
enum { TS_TREE, TS_PID, TS_RSS, TS_PSS, TS_USS, TS_SHARED, TS_DIVERGED, TS_RATE, TS__COUNT };

static const char *const sort_names[TS__COUNT] = {
	"tree", "PID", "RSS", "PSS", "USS", "SHARED", "DIVERGED", "kB/s",
};

/* Lines above the table: the family, the histogram, the column titles. */
#define TREE_HEAD 3


struct tree_row {
	const struct tui_proc *p;
	int depth;
	const struct vm_family_proc *f; /* its numbers, NULL when not known */
	double rate;                    /* kB/s diverged since the last refresh */
	bool has_rate;
};

static bool tree_has(const struct tui_proc *v, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == pid)
			return true;
	return false;
}

/* Depth-first from each root (a process whose parent is not listed), in
 * list order, iteratively: a fork bomb cannot exhaust the stack. */
static size_t tree_order(const struct tui_proc *v, size_t n, struct tree_row *rows)
{
	size_t *stack = malloc((n + 1) * sizeof(*stack)), nr = 0;
	int *depth = malloc((n + 1) * sizeof(*depth));
	bool *done = calloc(n + 1, sizeof(*done));

	if (!stack || !depth || !done)
		goto out;
	for (size_t r = 0; r < n; r++) {
		size_t sp = 0;

		if (done[r] || (tree_has(v, n, v[r].ppid) && v[r].ppid != v[r].pid))
			continue;
		stack[sp] = r;
		depth[sp++] = 0;
		while (sp) {
			size_t i = stack[--sp];
			int d = depth[sp];

			if (done[i])
				continue;
			done[i] = true;
			rows[nr++] = (struct tree_row){ .p = &v[i], .depth = d };
			/* Children pushed in reverse to come out in order. */
			for (size_t k = n; k-- > 0;)
				if (!done[k] && v[k].ppid == v[i].pid && k != i && sp < n) {
					stack[sp] = k;
					depth[sp++] = d + 1;
				}
		}
	}
	/* A cycle of ppids (pid reuse) leaves some unreached: list them. */
	for (size_t i = 0; i < n; i++)
		if (!done[i])
			rows[nr++] = (struct tree_row){ .p = &v[i], .depth = 0 };
out:
	free(stack);
	free(depth);
	free(done);
	return nr;
}

static const struct vm_family_proc *family_find(const struct vm_family *f, pid_t pid)
{
	for (size_t i = 0; f && i < f->nprocs; i++)
		if (f->procs[i].pid == pid)
			return &f->procs[i];
	return NULL;
}

static double ts_seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Each row's family numbers, and its rate against the previous snapshot. */
static void tree_numbers(const struct tui *t, struct tree_row *rows, size_t n)
{
	const struct vm_family *f = t->snap ? t->snap->family : NULL;
	const struct vm_family *pf = t->prev ? t->prev->family : NULL;
	double dt = pf ? ts_seconds(&t->prev->taken_at, &t->snap->taken_at) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct vm_family_proc *old;

		rows[i].f = rows[i].p->exited ? NULL : family_find(f, rows[i].p->pid);
		old = family_find(pf, rows[i].p->pid);
		if (rows[i].f && rows[i].f->has_parent && old && old->has_parent && dt > 0) {
			rows[i].rate = ((double)rows[i].f->diverged_kb - (double)old->diverged_kb) / dt;
			rows[i].has_rate = true;
		}
	}
}

static int sort_col;
static bool sort_asc;

static uint64_t row_value(const struct tree_row *r, int col)
{
	if (col == TS_PID)
		return (uint64_t)r->p->pid;
	if (!r->f)
		return 0;
	switch (col) {
	case TS_RSS: return r->f->rss_kb;
	case TS_PSS: return r->f->pss_kb;
	case TS_USS: return r->f->uss_kb;
	case TS_SHARED: return r->f->shared_kb;
	case TS_DIVERGED: return r->f->diverged_kb;
	default: return 0;
	}
}

/* Biggest first (I: smallest first); a row without numbers last. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct tree_row *a = pa, *b = pb;
	int c;

	if (sort_col != TS_PID && !a->f != !b->f)
		return a->f ? -1 : 1;
	if (sort_col == TS_RATE)
		c = a->rate < b->rate ? -1 : a->rate > b->rate;
	else
		c = row_value(a, sort_col) < row_value(b, sort_col) ? -1 :
		    row_value(a, sort_col) > row_value(b, sort_col);
	if (c == 0)
		c = a->p->pid < b->p->pid ? -1 : a->p->pid > b->p->pid;
	else if (!sort_asc)
		c = -c;
	return c;
}

/* What a search or filter finds in a row: pid, name and title. */
static bool tree_row_match(const void *ctx, size_t i, const char *pat)
{
	const struct tree_row *r = &((const struct tree_row *)ctx)[i];
	char text[600];

	snprintf(text, sizeof(text), "%d %s %s %s", (int)r->p->pid, r->p->comm, r->p->title,
		 r->f && r->f->title ? r->f->title : "");
	return tui_text_matches(text, pat);
}

/* Only the rows the Tree filter keeps, in order; the count. */
static size_t tree_filter(const struct tui *t, struct tree_row *rows, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (tree_row_match(rows, i, t->filter[TUI_VIEW_TREE]))
			rows[k++] = rows[i];
	return k;
}

/* The ordered rows into *ROWS (over *V, both to free); the count. */
static size_t tree_rows(struct tui *t, struct tui_proc **v, struct tree_row **rows)
{
	size_t n;

	*v = calloc(TUI_MAX_PROCS, sizeof(**v));
	*rows = calloc(TUI_MAX_PROCS, sizeof(**rows));
	if (!*v || !*rows)
		return 0;
	n = tree_order(*v, tui_procs(t, *v, TUI_MAX_PROCS), *rows);
	tree_numbers(t, *rows, n);
	if (t->tree_sort > TS_TREE && t->tree_sort < TS__COUNT) {
		sort_col = t->tree_sort;
		sort_asc = t->tree_asc;
		qsort(*rows, n, sizeof(**rows), row_cmp);
	}
	return tui_filter(t, TUI_VIEW_TREE)[0] ? tree_filter(t, *rows, n) : n;
}

static ssize_t tree_sel(const struct tui *t, const struct tree_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].p->pid == t->tree_sel)
			return (ssize_t)i;
	return n ? 0 : -1;
}

static const char *state_word(const struct tui_proc *p)
{
	if (p->exited)
		return "exited";
	switch (p->state) {
	case 'R':
		return "running";
	case 'S':
	case 'D':
	case 'I':
		return "sleeping";
	case 'T':
		return "stopped";
	case 't':
		return "traced";
	case 'Z':
		return "zombie";
	default:
		return "?";
	}
}

/* The family on top: footprint and RSS, then the histogram. */
static void tree_draw_family(struct tui *t, int top)
{
	const struct vm_family *f = t->snap ? t->snap->family : NULL;
	char line[512], a[16], b[16], c[16];
	int x;

	tui_clear_to_eol(top, 0);
	tui_clear_to_eol(top + 1, 0);
	if (!f) {
		attron(tui_attr(t, TC_DIM));
		tui_put(top, 0, t->src->ops->is_live(t->src) ?
			"family: reading..." : "family: not in this snapshot (saved by 'vmatlas family')",
			t->cols);
		attroff(tui_attr(t, TC_DIM));
		return;
	}
	snprintf(line, sizeof(line), "family of %d: footprint %s  sum of RSS %s  sharing saves %s  ",
		 (int)f->root, fmt_kb(a, sizeof(a), f->footprint_kb), fmt_kb(b, sizeof(b), f->rss_sum_kb),
		 fmt_kb(c, sizeof(c), f->rss_sum_kb > f->footprint_kb ? f->rss_sum_kb - f->footprint_kb : 0));
	x = tui_put(top, 0, line, t->cols);
	if (!f->pfn)
		attron(tui_attr(t, TC_WARN));
	tui_put(top, x, f->pfn ? "exact (PFN)" : "ESTIMATE (exclusive bit)", t->cols - x);
	if (!f->pfn)
		attroff(tui_attr(t, TC_WARN));
	x = tui_put(top + 1, 0, "mapped by k:", t->cols);
	for (size_t k = 0; k < f->nsharing && x < t->cols; k++) {
		snprintf(line, sizeof(line), "  %zu: %s", k + 1, fmt_kb(a, sizeof(a), f->sharing_kb[k]));
		x += tui_put(top + 1, x, line, t->cols - x);
	}
}

/* The title as ps shows it, but for the directory of an absolute program
 * path ("/usr/lib/postgresql/bin/postgres -D ..." as "postgres -D ..."),
 * so the arguments fit; a title the program set is kept whole. */
static const char *short_title(const char *title)
{
	const char *sp, *slash;

	if (title[0] != '/')
		return title;
	sp = strchr(title, ' ');
	slash = title;
	for (const char *c = title; *c && (!sp || c < sp); c++)
		if (*c == '/')
			slash = c;
	return slash[1] ? slash + 1 : title;
}

static void put_kb(char *b, size_t len, const struct tree_row *r, int col)
{
	char k[16];

	if (!r->f || ((col == TS_SHARED || col == TS_DIVERGED) && !r->f->has_parent))
		snprintf(b, len, "-");
	else
		snprintf(b, len, "%s", fmt_kb(k, sizeof(k), row_value(r, col)));
}

void tui_tree_draw(struct tui *t, int top, int height)
{
	struct tui_proc *v;
	struct tree_row *rows;
	size_t n = tree_rows(t, &v, &rows);
	ssize_t sel = tree_sel(t, rows, n);
	char line[256], title[TS__COUNT][16];

	tree_draw_family(t, top);
	for (int c = 0; c < TS__COUNT; c++)
		snprintf(title[c], sizeof(title[c]), "%s%s", sort_names[c],
			 c == t->tree_sort ? (c == TS_TREE || !t->tree_asc ? "v" : "^") : "");
	attron(tui_attr(t, TC_TITLE));
	snprintf(line, sizeof(line), "%7s %7s %-9s%7s %7s %7s %7s %8s %7s  %s", title[TS_PID], "PPID",
		 "STATE", title[TS_RSS], title[TS_PSS], title[TS_USS], title[TS_SHARED],
		 title[TS_DIVERGED], title[TS_RATE], "PROCESS");
	tui_put(top + 2, 0, line, t->cols);
	tui_clear_to_eol(top + 2, (int)strlen(line) < t->cols ? (int)strlen(line) : t->cols);
	attroff(tui_attr(t, TC_TITLE));
	height -= TREE_HEAD + 1;
	tui_scroll_to(&t->scroll[TUI_VIEW_TREE], (int)(sel < 0 ? 0 : sel), height, (int)n);
	for (int i = 0; i < height; i++) {
		size_t k = (size_t)(t->scroll[TUI_VIEW_TREE] + i);
		const struct tree_row *r;
		char rss[16], pss[16], uss[16], sh[16], dv[16], rate[16];
		int x, y = top + TREE_HEAD + i, d, w;

		if (k >= n)
			break;
		r = &rows[k];
		d = t->tree_sort == TS_TREE ? (r->depth < 20 ? r->depth : 20) : 0;
		if ((ssize_t)k == sel)
			attron(tui_attr(t, TC_SEL));
		else if (r->p->exited)
			attron(tui_attr(t, TC_DIM));
		tui_clear_to_eol(y, 0);
		put_kb(rss, sizeof(rss), r, TS_RSS);
		put_kb(pss, sizeof(pss), r, TS_PSS);
		put_kb(uss, sizeof(uss), r, TS_USS);
		put_kb(sh, sizeof(sh), r, TS_SHARED);
		put_kb(dv, sizeof(dv), r, TS_DIVERGED);
		if (r->has_rate)
			snprintf(rate, sizeof(rate), "%.1f", r->rate);
		else
			snprintf(rate, sizeof(rate), "-");
		snprintf(line, sizeof(line), "%7d %7d %-9s%7s %7s %7s %7s %8s %7s  %*s%s", (int)r->p->pid,
			 (int)r->p->ppid, state_word(r->p), rss, pss, uss, sh, dv, rate, 2 * d, "",
			 d ? "`- " : "");
		x = tui_put(y, 0, line, t->cols);
		snprintf(line, sizeof(line), "%s%s", r->p->pid == t->pid ? "  <- shown" : "",
			 r->p->traced || r->p->exited || !t->src->ops->is_live(t->src) ? ""
										: "  (read only: not followed)");
		/* The title (the command line, as ps shows it) once known; a
		 * long one gives way to the marks after it. */
		w = t->cols - x - (int)strlen(line);
		x += tui_put_untrusted(t, y, x, r->f && r->f->title ? short_title(r->f->title) :
				       r->p->title[0] ? short_title(r->p->title) : r->p->comm,
				       w > 16 ? w : 16);
		tui_put(y, x, line, t->cols - x);
		if ((ssize_t)k == sel)
			attroff(tui_attr(t, TC_SEL));
		else if (r->p->exited)
			attroff(tui_attr(t, TC_DIM));
	}
	attron(tui_attr(t, TC_DIM));
	if (tui_filter(t, TUI_VIEW_TREE)[0])
		snprintf(line, sizeof(line), "%zu process%s match the filter '%.40s' (\\ changes it, Esc clears). "
			 "Enter: show it", n, n == 1 ? "" : "es", tui_filter(t, TUI_VIEW_TREE));
	else
		snprintf(line, sizeof(line), "%zu process%s. Enter: show it   c: its COW divergence from its parent"
			 "   < >: sort (%s)   I: invert", n, n == 1 ? "" : "es", sort_names[t->tree_sort]);
	tui_put(top + TREE_HEAD + height, 0, line, t->cols);
	attroff(tui_attr(t, TC_DIM));
	free(v);
	free(rows);
}

bool tui_tree_key(struct tui *t, int ch)
{
	struct tui_proc *v;
	struct tree_row *rows;
	size_t n = tree_rows(t, &v, &rows);
	ssize_t sel = tree_sel(t, rows, n);
	bool used = true;
	pid_t pid, ppid;

	switch (ch) {
	case '<':
	case ',':
		t->tree_sort = (t->tree_sort + TS__COUNT - 1) % TS__COUNT;
		goto out;
	case '>':
	case '.':
	case KEY_F(6):
		t->tree_sort = (t->tree_sort + 1) % TS__COUNT;
		goto out;
	case 'I':
		t->tree_asc = !t->tree_asc;
		goto out;
	default:
		break;
	}
	if (sel < 0)
		goto out;
	pid = rows[sel].p->pid;
	ppid = rows[sel].p->ppid;
	if (tui_list_move(ch, &sel, n, 10)) {
		t->tree_sel = rows[sel].p->pid;
		goto out;
	}
	switch (ch) {
	case '\n':
	case '\r':
	case KEY_ENTER:
		tui_show_pid(t, pid);
		tui_set_view(t, t->tree_back == TUI_VIEW_TREE ? TUI_VIEW_LAYOUT : t->tree_back);
		goto out;
	case 'c':
		if (!tree_has(v, n, ppid)) {
			tui_set_status(t, "process %d has no parent in the tree", (int)pid);
			goto out;
		}
		tui_show_pid(t, ppid);
		t->cow_child = pid;
		tui_set_view(t, TUI_VIEW_COW);
		goto out;
	default:
		used = false;
		break;
	}
out:
	free(v);
	free(rows);
	return used;
}

bool tui_tree_find(struct tui *t, const char *pat, int dir, bool self)
{
	struct tui_proc *v;
	struct tree_row *rows;
	size_t n = tree_rows(t, &v, &rows);
	ssize_t i = tui_find_index(n, tree_sel(t, rows, n), dir, self, tree_row_match, rows, pat);

	if (i >= 0)
		t->tree_sel = rows[i].p->pid;
	free(v);
	free(rows);
	return i >= 0;
}

void tui_tree_click(struct tui *t, int y, int x)
{
	struct tui_proc *v;
	struct tree_row *rows;
	size_t n = tree_rows(t, &v, &rows);
	int k = y - TREE_HEAD + t->scroll[TUI_VIEW_TREE];

	(void)x;
	if (y >= TREE_HEAD && k >= 0 && (size_t)k < n)
		t->tree_sel = rows[k].p->pid;
	free(v);
	free(rows);
}

void tui_tree_want(const struct tui *t, struct tui_want *w)
{
	(void)t;
	w->family = true;
}
