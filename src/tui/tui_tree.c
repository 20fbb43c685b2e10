/* The Tree view: the processes the source follows (the watched process,
 * its children and grandchildren), to choose which one the other views
 * show. Enter shows the selected process; c compares it with its parent
 * in the COW view. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"

/* Where the COMMAND column (the process's title) starts, at the latest. */
#define TREE_TITLE_COL 48

struct tree_row {
	const struct tui_proc *p;
	int depth;
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
			rows[nr++] = (struct tree_row){ &v[i], d };
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
			rows[nr++] = (struct tree_row){ &v[i], 0 };
out:
	free(stack);
	free(depth);
	free(done);
	return nr;
}

/* The ordered rows into *ROWS (over *V, both to free); the count. */
static size_t tree_rows(struct tui *t, struct tui_proc **v, struct tree_row **rows)
{
	size_t n;

	*v = calloc(TUI_MAX_PROCS, sizeof(**v));
	*rows = calloc(TUI_MAX_PROCS, sizeof(**rows));
	if (!*v || !*rows)
		return 0;
	n = tui_procs(t, *v, TUI_MAX_PROCS);
	return tree_order(*v, n, *rows);
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

void tui_tree_draw(struct tui *t, int top, int height)
{
	struct tui_proc *v;
	struct tree_row *rows;
	size_t n = tree_rows(t, &v, &rows);
	ssize_t sel = tree_sel(t, rows, n);
	char line[128];

	attron(tui_attr(t, TC_TITLE));
	snprintf(line, sizeof(line), "%7s %7s %-9s %-*s%s", "PID", "PPID", "STATE",
		 TREE_TITLE_COL - 26, "PROCESS", "COMMAND");
	tui_put(top, 0, line, t->cols);
	tui_clear_to_eol(top, (int)strlen(line) < t->cols ? (int)strlen(line) : t->cols);
	attroff(tui_attr(t, TC_TITLE));
	height -= 2;
	tui_scroll_to(&t->scroll[TUI_VIEW_TREE], (int)(sel < 0 ? 0 : sel), height, (int)n);
	for (int i = 0; i < height; i++) {
		size_t k = (size_t)(t->scroll[TUI_VIEW_TREE] + i);
		const struct tui_proc *p;
		int x, y = top + 1 + i;

		if (k >= n)
			break;
		p = rows[k].p;
		if ((ssize_t)k == sel)
			attron(tui_attr(t, TC_SEL));
		else if (p->exited)
			attron(tui_attr(t, TC_DIM));
		tui_clear_to_eol(y, 0);
		snprintf(line, sizeof(line), "%7d %7d %-9s %*s%s", (int)p->pid, (int)p->ppid,
			 state_word(p), 2 * (rows[k].depth < 20 ? rows[k].depth : 20), "",
			 rows[k].depth ? "`- " : "");
		x = tui_put(y, 0, line, t->cols);
		x += tui_put_untrusted(t, y, x, p->comm, 16);
		snprintf(line, sizeof(line), "%s%s", p->pid == t->pid ? "  <- shown" : "",
			 p->traced || p->exited ? "" : "  (read only: not followed)");
		x += tui_put(y, x, line, t->cols - x);
		/* The title, as ps shows it: nine postgres are told apart. */
		x = x + 2 > TREE_TITLE_COL ? x + 2 : TREE_TITLE_COL;
		tui_put_untrusted(t, y, x, p->title, t->cols - x);
		if ((ssize_t)k == sel)
			attroff(tui_attr(t, TC_SEL));
		else if (p->exited)
			attroff(tui_attr(t, TC_DIM));
	}
	attron(tui_attr(t, TC_DIM));
	snprintf(line, sizeof(line), "%zu process%s. Enter: show it   c: its COW divergence from its parent",
		 n, n == 1 ? "" : "es");
	tui_put(top + height + 1, 0, line, t->cols);
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

void tui_tree_click(struct tui *t, int y, int x)
{
	struct tui_proc *v;
	struct tree_row *rows;
	size_t n = tree_rows(t, &v, &rows);
	int k = y - 1 + t->scroll[TUI_VIEW_TREE];

	(void)x;
	if (y >= 1 && k >= 0 && (size_t)k < n)
		t->tree_sel = rows[k].p->pid;
	free(v);
	free(rows);
}
