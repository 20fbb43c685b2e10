/* The Output view: what a program vmatlas launched writes to its terminal.
 * The program runs on a pseudo-terminal of its own (as under tmux or
 * script), so its output never lands on top of the other views; the
 * screen reads the master side and keeps the last lines. The bytes are the
 * program's: control sequences are dropped here and what is left is
 * escaped when drawn. Keys reach the program only in input mode (i, and
 * Ctrl-] to leave it). */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "tui_priv.h"
#include "vmatlas/util.h"

/* Lines kept, and bytes of one line before it is wrapped. */
#define OUT_LINES 2000
#define OUT_LINE_MAX 1024
/* Longest control sequence taken as one; a longer one is dropped whole. */
#define OUT_SEQ_MAX 4096

/* Ctrl-]: leaves input mode (telnet's and virsh console's escape). */
#define OUT_KEY_LEAVE 0x1d

enum out_state { OS_TEXT, OS_ESC, OS_ESC_ARG, OS_CSI, OS_STR, OS_STR_ESC };

struct tui_output {
	int fd;                 /* master side (the caller's) */
	char *lines[OUT_LINES]; /* ring of finished lines, owned */
	size_t first, n;
	uint64_t total;         /* lines finished since the start */
	char cur[OUT_LINE_MAX + 1];
	size_t len;
	bool cr;                /* a carriage return waits: \n ends the line,
				 * anything else overwrites it from its start */
	enum out_state st;
	size_t seq;             /* bytes of the control sequence so far */
	bool eof;               /* the program's side is closed */
	bool typing;            /* input mode */
	int *scroll;            /* lines shown above the bottom, 0: the view
				 * follows (the screen's scroll of the view) */
	char name[64];          /* the program's name, escaped */
};

struct tui_output *tui_output_new(int fd, const char *name, int *scroll)
{
	struct tui_output *o = calloc(1, sizeof(*o));
	char *e;

	if (!o)
		return NULL;
	o->fd = fd;
	o->scroll = scroll;
	e = escape_untrusted(name ? name : "the program");
	snprintf(o->name, sizeof(o->name), "%s", e ? e : "the program");
	free(e);
	return o;
}

void tui_output_free(struct tui_output *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->lines[(o->first + i) % OUT_LINES]);
	free(o);
}

static void out_push(struct tui_output *o)
{
	char *s = strndup(o->cur, o->len);
	size_t slot;

	o->len = 0;
	o->cr = false;
	if (!s)
		return;
	if (o->n == OUT_LINES) {
		free(o->lines[o->first]);
		o->first = (o->first + 1) % OUT_LINES;
		o->n--;
	}
	slot = (o->first + o->n) % OUT_LINES;
	o->lines[slot] = s;
	o->n++;
	o->total++;
	if (*o->scroll)
		(*o->scroll)++; /* scrolled back: the lines read stay */
}

static void out_text(struct tui_output *o, unsigned char c)
{
	if (c == '\n') {
		out_push(o);
		return;
	}
	if (c == '\r') {
		o->cr = true;
		return;
	}
	if (o->cr) {
		/* A progress line rewritten in place: keep the latest. */
		o->len = 0;
		o->cr = false;
	}
	switch (c) {
	case '\b':
		while (o->len && ((unsigned char)o->cur[o->len - 1] & 0xc0) == 0x80)
			o->len--;
		if (o->len)
			o->len--;
		return;
	case '\a':
	case '\0':
		return;
	case '\t':
		do
			out_text(o, ' ');
		while (o->len % 8);
		return;
	default:
		break;
	}
	if (o->len == OUT_LINE_MAX)
		out_push(o);
	o->cur[o->len++] = (char)c;
}

/* ECMA-48: ESC [ params final (CSI), ESC ] ... BEL or ST (OSC), ESC P, X,
 * ^, _ ... ST (strings), ESC with intermediates then a final, or ESC and
 * one character. All are dropped: none of them is text. */
static void out_byte(struct tui_output *o, unsigned char c)
{
	if (o->st != OS_TEXT && ++o->seq > OUT_SEQ_MAX)
		o->st = OS_TEXT;
	switch (o->st) {
	case OS_TEXT:
		if (c == 0x1b) {
			o->st = OS_ESC;
			o->seq = 0;
		} else {
			out_text(o, c);
		}
		return;
	case OS_ESC:
		if (c == '[')
			o->st = OS_CSI;
		else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
			o->st = OS_STR;
		else if (c >= 0x20 && c <= 0x2f)
			o->st = OS_ESC_ARG;
		else
			o->st = OS_TEXT;
		return;
	case OS_ESC_ARG:
		if (c < 0x20 || c > 0x2f)
			o->st = OS_TEXT;
		return;
	case OS_CSI:
		if (c >= 0x40 && c <= 0x7e)
			o->st = OS_TEXT;
		else if (c < 0x20 || c > 0x3f) {
			/* Not a sequence after all: the byte is text again. */
			o->st = OS_TEXT;
			out_byte(o, c);
		}
		return;
	case OS_STR:
		if (c == 0x07)
			o->st = OS_TEXT;
		else if (c == 0x1b)
			o->st = OS_STR_ESC;
		return;
	case OS_STR_ESC:
		o->st = c == '\\' ? OS_TEXT : OS_STR;
		return;
	}
}

bool tui_output_shown(const struct tui *t)
{
	return t->output != NULL;
}

bool tui_output_pump(struct tui *t)
{
	struct tui_output *o = t->output;
	unsigned char buf[4096];
	bool got = false;

	if (!o || o->eof)
		return false;
	/* Bounded: a program that writes without end cannot hold the screen. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(o->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* EIO: every process closed the program's side (Linux
			 * reports a hung-up pty so, not as end of file). */
			o->eof = true;
			if (o->typing)
				tui_output_leave(t);
			got = true;
			break;
		}
		for (ssize_t k = 0; k < n; k++)
			out_byte(o, buf[k]);
		got = true;
	}
	return got;
}

static void output_winsize(int rows, int cols, struct winsize *ws)
{
	/* The view's lines: the screen less header, tabs, title, status, keys. */
	ws->ws_row = (unsigned short)(rows > 6 ? rows - 5 : 1);
	ws->ws_col = (unsigned short)(cols > 1 ? cols : 1);
}

void tui_output_resize(struct tui *t)
{
	struct winsize ws = { 0 };

	if (!t->output || t->output->eof)
		return;
	output_winsize(t->rows, t->cols, &ws);
	ioctl(t->output->fd, TIOCSWINSZ, &ws);
}

/* ---- input mode --------------------------------------------------------- */

bool tui_output_typing(const struct tui *t)
{
	return t->output && t->output->typing;
}

void tui_output_leave(struct tui *t)
{
	if (!tui_output_typing(t))
		return;
	t->output->typing = false;
	/* Back to cbreak: Ctrl-C, Ctrl-Z are ours again. */
	noraw();
	cbreak();
}

static void output_enter(struct tui *t)
{
	struct tui_output *o = t->output;

	if (o->eof) {
		tui_set_status(t, "%s has closed its terminal: nothing reads the keys", o->name);
		return;
	}
	o->typing = true;
	*o->scroll = 0;
	/* Raw: Ctrl-C, Ctrl-Z, Ctrl-\ are bytes for the program, which its
	 * terminal turns into its signals. */
	raw();
}

/* The bytes a terminal sends for curses key CH. */
static const char *key_bytes(int ch, char *one)
{
	static const struct { int key; const char *s; } keys[] = {
		{ KEY_UP, "\033[A" }, { KEY_DOWN, "\033[B" }, { KEY_RIGHT, "\033[C" },
		{ KEY_LEFT, "\033[D" }, { KEY_HOME, "\033[H" }, { KEY_END, "\033[F" },
		{ KEY_IC, "\033[2~" }, { KEY_DC, "\033[3~" }, { KEY_PPAGE, "\033[5~" },
		{ KEY_NPAGE, "\033[6~" }, { KEY_BACKSPACE, "\177" }, { KEY_ENTER, "\r" },
		{ KEY_BTAB, "\033[Z" }, { KEY_F(1), "\033OP" }, { KEY_F(2), "\033OQ" },
		{ KEY_F(3), "\033OR" }, { KEY_F(4), "\033OS" }, { KEY_F(5), "\033[15~" },
		{ KEY_F(6), "\033[17~" }, { KEY_F(7), "\033[18~" }, { KEY_F(8), "\033[19~" },
		{ KEY_F(9), "\033[20~" }, { KEY_F(10), "\033[21~" },
	};

	if (ch >= 0 && ch < 256) {
		one[0] = (char)ch;
		one[1] = '\0';
		return one;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].key == ch)
			return keys[i].s;
	return NULL;
}

void tui_output_type(struct tui *t, int ch)
{
	struct tui_output *o = t->output;
	const char *s;
	char one[2];
	size_t len;
	ssize_t n;

	if (ch == OUT_KEY_LEAVE) {
		tui_output_leave(t);
		return;
	}
	s = key_bytes(ch, one);
	if (!s)
		return;
	len = ch == 0 ? 1 : strlen(s);
	n = write(o->fd, s, len);
	if (n < 0 && errno == EAGAIN)
		tui_set_status(t, "%s is not reading its input: the key was dropped", o->name);
	else if (n < 0)
		tui_output_leave(t);
}

/* ---- the view ----------------------------------------------------------- */

/* Line I of the scrollback (the unfinished one last) into *FREE_ME when it
 * must be copied; never NULL. */
static const char *out_line(const struct tui_output *o, size_t i, char **free_me)
{
	*free_me = NULL;
	if (i < o->n)
		return o->lines[(o->first + i) % OUT_LINES];
	*free_me = strndup(o->cur, o->len);
	return *free_me ? *free_me : "";
}

static size_t out_count(const struct tui_output *o)
{
	return o->n + (o->len || o->cr ? 1 : 0);
}

/* The lines the view shows (those the filter keeps), as indexes into the
 * scrollback, into *OUT (to free); how many. */
static size_t out_shown(const struct tui *t, size_t **out)
{
	const struct tui_output *o = t->output;
	const char *filter = tui_filter(t, TUI_VIEW_OUTPUT);
	size_t n = out_count(o), k = 0;

	*out = malloc((n ? n : 1) * sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char *f;
		const char *s = out_line(o, i, &f);

		if (!filter[0] || tui_text_matches(s, filter))
			(*out)[k++] = i;
		free(f);
	}
	return k;
}

/* The first line shown of N, in a view of ROWS lines. */
static size_t out_first(const struct tui_output *o, size_t n, int rows)
{
	if (*o->scroll > (int)n - rows)
		*o->scroll = (int)n - rows > 0 ? (int)n - rows : 0;
	return (int)n - rows - *o->scroll > 0 ? n - (size_t)rows - (size_t)*o->scroll : 0;
}

static int out_rows(const struct tui *t)
{
	/* The view less its title line, and the filter's line. */
	int rows = t->rows - 5 - (tui_filter(t, TUI_VIEW_OUTPUT)[0] ? 1 : 0);

	return rows > 1 ? rows : 1;
}

void tui_output_draw(struct tui *t, int top, int height)
{
	struct tui_output *o = t->output;
	const char *filter = tui_filter(t, TUI_VIEW_OUTPUT);
	char line[256];
	size_t n, first, *idx;
	int rows = out_rows(t);

	(void)height;
	if (!o)
		return;
	n = out_shown(t, &idx);
	first = out_first(o, n, rows);
	attron(tui_attr(t, o->typing ? TC_STATUS : TC_TITLE));
	tui_clear_to_eol(top, 0);
	if (o->typing)
		snprintf(line, sizeof(line), "typing to %s: every key goes to it; Ctrl-] returns to vmatlas",
			 o->name);
	else
		snprintf(line, sizeof(line), "%s's terminal: %zu %s%s%s  i: type to it", o->name,
			 out_count(o), tui_plural(out_count(o), "line", "lines"),
			 o->total > OUT_LINES ? " (the last ones kept)" : "",
			 o->eof ? ", closed" : "");
	tui_put(top, 0, line, t->cols);
	attroff(tui_attr(t, o->typing ? TC_STATUS : TC_TITLE));
	for (int i = 0; i < rows && first + (size_t)i < n; i++) {
		char *f;
		const char *s = out_line(o, idx[first + (size_t)i], &f);
		bool match = tui_is_match(t, s);

		if (match)
			attron(tui_attr(t, TC_MATCH));
		tui_put_untrusted(t, top + 1 + i, 0, s, t->cols);
		if (match)
			attroff(tui_attr(t, TC_MATCH));
		free(f);
	}
	if (filter[0]) {
		attron(tui_attr(t, TC_STATUS));
		snprintf(line, sizeof(line), "filter: %.60s  (%zu of %zu %s; \\ changes it, Esc clears)",
			 filter, n, out_count(o), tui_plural(out_count(o), "line", "lines"));
		tui_put(top + 1 + rows, 0, line, t->cols);
		attroff(tui_attr(t, TC_STATUS));
	}
	free(idx);
}

static bool out_match(const void *ctx, size_t i, const char *pat)
{
	const struct tui *t = ctx;
	char *f;
	const char *s;
	bool m;

	s = out_line(t->output, i, &f);
	m = tui_text_matches(s, pat);
	free(f);
	return m;
}

/* Lines are searched from the first one shown; the match becomes it. */
bool tui_output_find(struct tui *t, const char *pat, int dir, bool self)
{
	struct tui_output *o = t->output;
	size_t n, *idx, first;
	ssize_t i, k = -1;
	int rows = out_rows(t);

	if (!o)
		return false;
	n = out_shown(t, &idx);
	first = out_first(o, n, rows);
	if (t->found[TUI_VIEW_OUTPUT] && (size_t)t->found[TUI_VIEW_OUTPUT] <= n)
		first = (size_t)t->found[TUI_VIEW_OUTPUT] - 1;
	/* Over the shown lines: their index I in IDX. */
	for (size_t s = 0; s < n && k < 0; s++) {
		ssize_t d = (ssize_t)dir * (ssize_t)(s + !self);
		size_t j = (size_t)((((ssize_t)first + d) % (ssize_t)n + (ssize_t)n) % (ssize_t)n);

		if (out_match(t, idx[j], pat))
			k = (ssize_t)j;
	}
	i = k;
	if (i >= 0) {
		/* Line I on top where it can be, else as near it as the end allows. */
		*o->scroll = (int)n - rows - (int)i > 0 ? (int)n - rows - (int)i : 0;
		t->found[TUI_VIEW_OUTPUT] = (int)i + 1;
	}
	free(idx);
	return i >= 0;
}

bool tui_output_key(struct tui *t, int ch)
{
	struct tui_output *o = t->output;
	size_t n, *idx;
	ssize_t pos;
	int rows = out_rows(t);

	if (!o)
		return false;
	if (ch == 'i' || ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
		output_enter(t);
		return true;
	}
	n = out_shown(t, &idx);
	free(idx);
	/* The list is read from the bottom: position 0 is the newest. */
	pos = (ssize_t)n - 1 - *o->scroll;
	if (!tui_list_move(ch, &pos, n, rows))
		return false;
	*o->scroll = (int)((ssize_t)n - 1 - pos);
	return true;
}
