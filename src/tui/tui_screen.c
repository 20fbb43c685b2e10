/* The terminal side of the live screen: curses set-up and tear-down,
 * colours, and drawing helpers that keep the target's bytes escaped. */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "tui_priv.h"
#include "vmatlas/render.h"
#include "vmatlas/util.h"

static bool screen_active;
static short pair_of[TC__COUNT];
static int mono_of[TC__COUNT], attr_of[TC__COUNT];

int tui_terminal_usable(char *why, size_t len)
{
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(why, len, "the live screen needs a terminal (standard input and output are not one)");
		return -ENOTTY;
	}
	if (!term || !*term || strcmp(term, "dumb") == 0 || strcmp(term, "unknown") == 0) {
		snprintf(why, len, "the terminal (TERM=%s) cannot draw the live screen",
			 term && *term ? (strcmp(term, "dumb") == 0 ? "dumb" : "unknown") : "unset");
		return -ENOTTY;
	}
	return 0;
}

/* Text on the terminal's own background, which may be dark or light: in
 * 256 colours a mid-luminance shade of each ANSI colour, about 4.5:1
 * against black and against white alike (xterm-256color cube); in 8 or
 * 16 colours the ANSI colour, whose shade the terminal's theme sets. White
 * text becomes the terminal's own foreground. */
static short screen_fg(short c)
{
	static const short mid256[8] = {
		[COLOR_BLACK] = -1, [COLOR_RED] = 160, [COLOR_GREEN] = 28,
		[COLOR_YELLOW] = 136, [COLOR_BLUE] = 63, [COLOR_MAGENTA] = 127,
		[COLOR_CYAN] = 30, [COLOR_WHITE] = -1,
	};

	if (c < 0 || c > COLOR_WHITE)
		return c;
	if (c == COLOR_WHITE || c == COLOR_BLACK)
		return -1;
	return COLORS >= 256 ? mid256[c] : c;
}

/* The text colour on background BG: black on the light ANSI colours
 * (yellow, green, cyan, white: 9:1 and more), bright white on the dark
 * ones (blue 9:1, red 5.8:1, magenta 4.7:1), never black on blue, red or
 * magenta. Bright white is colour 15 where there are 16, else bold. */
static short screen_text_on(short bg, int *attr)
{
	switch (bg) {
	case COLOR_YELLOW:
	case COLOR_GREEN:
	case COLOR_CYAN:
	case COLOR_WHITE:
		return COLOR_BLACK;
	default:
		if (COLORS >= 16)
			return COLOR_WHITE + 8;
		*attr |= A_BOLD;
		return COLOR_WHITE;
	}
}

#define ON_BG (-2) /* fg: the text colour for the role's background */

/* Colour pairs: foreground, background per role (htop-like palette). */
static void screen_colors(struct tui *t)
{
	static const struct { enum tui_color c; short fg, bg; int attr, mono; } roles[] = {
		{ TC_HEADER, ON_BG, COLOR_BLUE, 0, A_REVERSE },
		{ TC_TAB, -1, -1, 0, A_NORMAL },
		{ TC_TAB_SEL, ON_BG, COLOR_CYAN, 0, A_REVERSE },
		{ TC_FKEY, -1, -1, A_BOLD, A_BOLD },
		{ TC_FKEY_LABEL, ON_BG, COLOR_CYAN, 0, A_REVERSE },
		{ TC_SEL, ON_BG, COLOR_CYAN, 0, A_REVERSE },
		{ TC_DIM, COLOR_BLUE, -1, 0, A_DIM },
		{ TC_TITLE, ON_BG, COLOR_GREEN, 0, A_REVERSE | A_BOLD },
		{ TC_STATUS, COLOR_YELLOW, -1, A_BOLD, A_BOLD },
		{ TC_WARN, ON_BG, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
		{ TC_NEW, COLOR_GREEN, -1, A_BOLD, A_BOLD },
		{ TC_REMOVED, COLOR_RED, -1, 0, A_DIM },
		{ TC_GROWN, COLOR_YELLOW, -1, A_BOLD, A_BOLD },
		{ TC_SHRUNK, COLOR_MAGENTA, -1, A_BOLD, A_BOLD },
		{ TC_MATCH, ON_BG, COLOR_YELLOW, 0, A_REVERSE | A_UNDERLINE },
		{ TC_PAGE_NEWRES, ON_BG, COLOR_YELLOW, 0, A_REVERSE },
		{ TC_PAGE_NEWSWAP, ON_BG, COLOR_RED, 0, A_REVERSE | A_BOLD },
		{ TC_PAGE_WRITTEN, ON_BG, COLOR_MAGENTA, A_UNDERLINE, A_BOLD | A_UNDERLINE },
		{ TC_PAGE_FAULTED, ON_BG, COLOR_WHITE, 0, A_REVERSE | A_BOLD },
	};
	/* Region colours by kind (the textbook's code/data/heap/stack). */
	static const short kind_bg[VK__COUNT] = {
		[VK_TEXT] = COLOR_RED, [VK_RODATA] = COLOR_MAGENTA,
		[VK_DATA] = COLOR_YELLOW, [VK_BSS] = COLOR_YELLOW,
		[VK_HEAP] = COLOR_GREEN, [VK_STACK] = COLOR_CYAN,
		[VK_ANON] = COLOR_BLUE, [VK_FILE] = COLOR_WHITE,
		[VK_SHM] = COLOR_MAGENTA, [VK_VDSO] = COLOR_CYAN,
		[VK_VVAR] = COLOR_CYAN, [VK_VSYSCALL] = COLOR_CYAN,
		[VK_GUARD] = COLOR_BLACK, [VK_RESERVED] = COLOR_BLACK,
		[VK_OTHER] = COLOR_WHITE,
	};
	static const short page_fg[PS__COUNT] = {
		[PS_NOT_PRESENT] = COLOR_BLUE, [PS_RESIDENT] = COLOR_GREEN,
		[PS_FILE] = COLOR_CYAN, [PS_ZERO] = COLOR_WHITE,
		[PS_THP] = COLOR_MAGENTA, [PS_SWAPPED] = COLOR_RED,
	};
	/* COW states: shared calm, copied loud. */
	static const short cow_fg[COW__COUNT] = {
		[COW_NEITHER] = COLOR_BLUE, [COW_SHARED] = COLOR_GREEN,
		[COW_DIVERGED] = COLOR_RED, [COW_PARENT_ONLY] = COLOR_YELLOW,
		[COW_CHILD_ONLY] = COLOR_MAGENTA,
	};
	short fg[TC__COUNT], bg[TC__COUNT];

	for (int i = 0; i < TC__COUNT; i++) {
		mono_of[i] = A_NORMAL;
		attr_of[i] = 0;
		fg[i] = bg[i] = -1;
	}
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		mono_of[roles[i].c] = roles[i].mono;
		attr_of[roles[i].c] = roles[i].attr;
		fg[roles[i].c] = roles[i].fg;
		bg[roles[i].c] = roles[i].bg;
	}
	for (int k = 0; k < VK__COUNT; k++) {
		mono_of[TC_KIND + k] = (k == VK_GUARD || k == VK_RESERVED) ? A_DIM : A_REVERSE;
		fg[TC_KIND + k] = ON_BG;
		bg[TC_KIND + k] = kind_bg[k];
	}
	for (int s = 0; s < PS__COUNT; s++)
		fg[TC_PAGE + s] = page_fg[s];
	for (int s = 0; s < COW__COUNT; s++)
		fg[TC_COW + s] = cow_fg[s];
	mono_of[TC_PAGE + PS_NOT_PRESENT] = A_DIM;
	mono_of[TC_PAGE + PS_SWAPPED] = A_BOLD;
	mono_of[TC_COW + COW_NEITHER] = A_DIM;
	mono_of[TC_COW + COW_DIVERGED] = A_BOLD;
	attr_of[TC_COW + COW_DIVERGED] = A_BOLD;

	if (!t->color)
		return;
	for (short i = 1; i < TC__COUNT; i++) {
		short f = fg[i];

		if (f == ON_BG)
			f = screen_text_on(bg[i], &attr_of[i]);
		else if (bg[i] < 0) {
			/* Dark blue on a dark background is too faint (2:1):
			 * the bright blue where there is no 256-colour shade. */
			if (f == COLOR_BLUE && COLORS < 256) {
				if (COLORS >= 16)
					f = COLOR_BLUE + 8;
				else
					attr_of[i] |= A_BOLD;
			}
			f = f == COLOR_BLUE + 8 ? f : screen_fg(f);
		}
		init_pair(i, f, bg[i]);
		pair_of[i] = i;
	}
}

int tui_attr(const struct tui *t, enum tui_color c)
{
	if (c <= TC_NORMAL || c >= TC__COUNT)
		return A_NORMAL;
	if (!t->color)
		return mono_of[c];
	return COLOR_PAIR(pair_of[c]) | attr_of[c];
}

int tui_screen_init(struct tui *t)
{
	const char *cs;

	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	t->utf8 = !t->o.ascii && cs && strcmp(cs, "UTF-8") == 0;
	/* The function keys need a short ESC delay (htop uses 25 ms). */
	if (!getenv("ESCDELAY"))
		set_escdelay(25);
	if (!initscr())
		return -ENOTTY;
	screen_active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	mousemask(BUTTON1_RELEASED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED |
		  BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	/* no-color.org: NO_COLOR set and not empty turns colours off, as
	 * --no-color does. */
	t->color = !t->o.no_color && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
		   has_colors();
	if (t->color) {
		start_color();
		use_default_colors();
	}
	screen_colors(t);
	getmaxyx(stdscr, t->rows, t->cols);
	return 0;
}

void tui_screen_fini(void)
{
	if (!screen_active)
		return;
	screen_active = false;
	mousemask(0, NULL);
	curs_set(1);
	endwin();
	fflush(stdout);
}

void tui_screen_repaint(void)
{
	/* The next refresh() clears the terminal and draws every cell: curses
	 * otherwise sends only what changed in its own picture. */
	clearok(curscr, TRUE);
}

void tui_clear_to_eol(int y, int x)
{
	int rows, cols;

	getmaxyx(stdscr, rows, cols);
	if (y < 0 || y >= rows)
		return;
	for (; x < cols; x++)
		mvaddch(y, x, ' ');
}

int tui_put(int y, int x, const char *s, int width)
{
	int rows, cols, n = (int)strlen(s);

	getmaxyx(stdscr, rows, cols);
	if (y < 0 || y >= rows || x < 0 || x >= cols || width <= 0)
		return 0;
	if (x + width > cols)
		width = cols - x;
	if (n > width)
		n = width;
	mvaddnstr(y, x, s, n);
	return n;
}

/* The next character of escaped text P: its bytes into *LEN, its display
 * columns returned. Our own text is ASCII; target text is escaped to
 * printable UTF-8 or, in a non-UTF-8 locale, shown with '?' for each byte
 * that is not ASCII (*LEN is then 1 and the caller draws '?'). */
static int char_cols(const struct tui *t, const char *p, size_t *len)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;
	int w;

	*len = 1;
	if ((unsigned char)*p < 0x80 || !t->utf8)
		return 1;
	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, p, strlen(p), &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
		return 1;
	*len = n;
	w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

static bool char_drawn_as_is(const struct tui *t, const char *p, size_t len)
{
	return (unsigned char)*p < 0x80 || (t->utf8 && len > 1);
}

/* Escaped text E at Y,X in at most WIDTH columns; the columns used. */
static int put_escaped(const struct tui *t, int y, int x, const char *e, int width)
{
	int rows, cols, used = 0;
	const char *p;

	getmaxyx(stdscr, rows, cols);
	if (y < 0 || y >= rows || x < 0 || x >= cols || width <= 0)
		return 0;
	if (x + width > cols)
		width = cols - x;
	move(y, x);
	for (p = e; *p;) {
		size_t n;
		int w = char_cols(t, p, &n);

		if (used + w > width)
			break;
		if (char_drawn_as_is(t, p, n))
			addnstr(p, (int)n);
		else
			addch('?');
		used += w;
		p += n;
	}
	return used;
}

static int text_cols(const struct tui *t, const char *e)
{
	int w = 0;

	for (size_t n; *e; e += n)
		w += char_cols(t, e, &n);
	return w;
}

int tui_put_untrusted(const struct tui *t, int y, int x, const char *s, int width)
{
	char *e = escape_untrusted(s ? s : "");
	int used = e ? put_escaped(t, y, x, e, width) : 0;

	free(e);
	return used;
}

/* A path too long for WIDTH loses its start, not its file name (as htop
 * does): an ellipsis, then the tail from a '/' where one fits. E is
 * escaped already; freed here. */
static int put_escaped_path(const struct tui *t, int y, int x, char *e, int width)
{
	const char *ell = t->utf8 ? "\u2026" : "...";
	int ew = t->utf8 ? 1 : 3, used;
	const char *p, *tail;

	if (!e)
		return 0;
	if (text_cols(t, e) <= width || width <= ew + 1) {
		used = put_escaped(t, y, x, e, width);
		free(e);
		return used;
	}
	/* The shortest cut of the start that leaves a tail that fits. */
	for (p = e; *p && text_cols(t, p) > width - ew;) {
		size_t n;

		char_cols(t, p, &n);
		p += n;
	}
	tail = strchr(p, '/');
	if (tail && tail[1])
		p = tail;
	used = put_escaped(t, y, x, ell, ew);
	used += put_escaped(t, y, x + used, p, width - used);
	free(e);
	return used;
}

int tui_put_path(const struct tui *t, int y, int x, const char *path, int width)
{
	return put_escaped_path(t, y, x, escape_untrusted(path ? path : ""), width);
}

int tui_put_mapping_path(const struct tui *t, int y, int x, const struct vm_mapping *m,
			 int width)
{
	/* The kernel's " (deleted)" marker as the text output shows it: a
	 * live file whose name ends so is told apart (escape_mapping_path). */
	if (!m->path || !*m->path)
		return tui_put_path(t, y, x, tui_mapping_name(m), width);
	return put_escaped_path(t, y, x, escape_mapping_path(m->path, m->deleted), width);
}

const char *tui_page_label(enum vm_page_state s)
{
	static const char *const label[PS__COUNT] = {
		[PS_NOT_PRESENT] = "not present", [PS_RESIDENT] = "resident",
		[PS_FILE] = "file/shared", [PS_ZERO] = "zero page",
		[PS_THP] = "huge", [PS_SWAPPED] = "swapped",
	};

	return s < PS__COUNT && label[s] ? label[s] : "?";
}

const char *tui_page_glyph(const struct tui *t, enum vm_page_state s)
{
	static const char *const utf8[PS__COUNT] = {
		[PS_NOT_PRESENT] = "\u00b7", [PS_RESIDENT] = "\u2588",
		[PS_FILE] = "\u2593", [PS_ZERO] = "\u25cb",
		[PS_THP] = "\u2586", [PS_SWAPPED] = "\u2592",
	};
	static const char *const ascii[PS__COUNT] = {
		[PS_NOT_PRESENT] = ".", [PS_RESIDENT] = "#", [PS_FILE] = "F",
		[PS_ZERO] = "0", [PS_THP] = "H", [PS_SWAPPED] = "S",
	};

	if (s >= PS__COUNT)
		return "?";
	return t->utf8 ? utf8[s] : ascii[s];
}

const char *tui_written_glyph(const struct tui *t)
{
	return t->utf8 ? "\u25a0" : "W";
}

const char *tui_cow_glyph(const struct tui *t, unsigned state)
{
	static const char *const utf8[COW__COUNT] = {
		[COW_NEITHER] = "\u00b7", [COW_SHARED] = "\u2591",
		[COW_DIVERGED] = "\u2588", [COW_PARENT_ONLY] = "\u2580",
		[COW_CHILD_ONLY] = "\u2584",
	};
	static char ascii[COW__COUNT][2];

	if (state >= COW__COUNT)
		return "?";
	if (t->utf8)
		return utf8[state];
	ascii[state][0] = cow_state_char(state);
	return ascii[state];
}

void tui_put_bar(const struct tui *t, int y, int x, int width,
		 const struct vm_page_counts *c)
{
	int rows, cols, res, swp;

	getmaxyx(stdscr, rows, cols);
	if (y < 0 || y >= rows || x >= cols || width <= 0)
		return;
	if (x + width > cols)
		width = cols - x;
	res = swp = 0;
	if (c->total) {
		/* Round up so that one resident page still shows. */
		res = (int)((c->resident * (uint64_t)width + c->total - 1) / c->total);
		swp = (int)((c->swapped * (uint64_t)width + c->total - 1) / c->total);
		if (res + swp > width) {
			if (swp > 0 && res > width - 1)
				res = width - 1;
			swp = width - res;
		}
	}
	move(y, x);
	for (int i = 0; i < width; i++) {
		enum vm_page_state s = i < res ? PS_RESIDENT :
			i < res + swp ? PS_SWAPPED : PS_NOT_PRESENT;
		attron(tui_attr(t, TC_PAGE + s));
		addstr(tui_page_glyph(t, s));
		attroff(tui_attr(t, TC_PAGE + s));
	}
}
