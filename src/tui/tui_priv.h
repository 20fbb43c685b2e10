/* Internals of the live screen shared by src/tui*.c: the screen state, the
 * table of views, and drawing helpers. Views read the model only through
 * const pointers. */
#ifndef VMATLAS_TUI_PRIV_H
#define VMATLAS_TUI_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "vmatlas/model.h"
#include "vmatlas/pagemap.h"
#include "vmatlas/tui.h"
#include "vmatlas/render.h"

/* Smallest usable terminal. */
#define TUI_MIN_COLS 20
#define TUI_MIN_ROWS 6

/* Colour roles; tui_attr() maps them to a colour pair or, with
 * --no-color, to a monochrome attribute. */
enum tui_color {
	TC_NORMAL,
	TC_HEADER,     /* the header line */
	TC_TAB,        /* view tabs */
	TC_TAB_SEL,
	TC_FKEY,       /* function key bar: key */
	TC_FKEY_LABEL, /* function key bar: label */
	TC_SEL,        /* selected row */
	TC_DIM,        /* folded gaps, secondary text */
	TC_TITLE,      /* column titles */
	TC_STATUS,     /* status / prompt line */
	TC_WARN,       /* gone, errors */
	TC_NEW,        /* mapping or pages new since the last refresh */
	TC_REMOVED,
	TC_GROWN,
	TC_SHRUNK,
	TC_MATCH,      /* what a search found */
	TC_KIND,       /* + enum vm_kind: region colour */
	TC_PAGE = TC_KIND + VK__COUNT, /* + enum vm_page_state */
	TC_PAGE_NEWRES = TC_PAGE + PS__COUNT, /* became resident */
	TC_PAGE_NEWSWAP,                      /* swapped out */
	TC_PAGE_WRITTEN,                      /* soft-dirty: written */
	TC_PAGE_FAULTED,                      /* faulted in the last refresh */
	TC_COW,                               /* + enum cow_state */
	TC__COUNT = TC_COW + COW__COUNT
};

/* What changed in a mapping since the last refresh. */
enum {
	CH_NEW     = 1u << 0,
	CH_REMOVED = 1u << 1,
	CH_GROWN   = 1u << 2,
	CH_SHRUNK  = 1u << 3,
	CH_RES_UP  = 1u << 4, /* pages became resident */
	CH_SWAP_UP = 1u << 5, /* pages were swapped out */
};

struct tui_change {
	uint64_t start, end;
	unsigned what;      /* CH_* */
	int64_t d_resident, d_swapped; /* pages */
	char *path;         /* owned, escaped; removed mappings only */
	enum vm_kind kind;
};

enum tui_prompt { PROMPT_NONE, PROMPT_SEARCH, PROMPT_FILTER, PROMPT_ADDR };

enum { MAPS_NCOLS = 8 };

/* Samples of a COW pair's divergence, one a refresh (the COW view's rate
 * and sparkline). */
#define TUI_COW_HIST 64
struct tui_cow_sample {
	uint64_t t_ns, diverged;
};

/* Most processes the tree shows. */
#define TUI_MAX_PROCS 1024

struct tui {
	struct tui_source *src;
	struct tui_opts o;
	bool color, utf8;
	int rows, cols;

	struct vm_snapshot *snap, *prev;   /* from the source, released to it */
	const struct vm_process *proc;      /* shown process in snap, or NULL */
	const struct vm_process *prev_proc; /* same pid in prev, or NULL */
	pid_t pid;
	bool gone, paused, help;
	int help_scroll;        /* first help line shown */
	unsigned refreshes;
	double delay;
	uint64_t next_refresh_ns;
	char source_line[160];

	const struct tui_view *views; /* the view table (tui.c) */
	size_t nviews;
	size_t view;            /* index into views */
	uint64_t sel_addr;      /* start of the selected mapping */
	uint64_t page_cursor;   /* page index in the selected mapping */
	uint64_t jump_addr;     /* `a` target for the Pages cursor, or 0 */
	int scroll[16];         /* first line shown, per view */
	int found[16];          /* 1 + the line a search found last, per
				 * view of lines (the next starts there) */
	int sort_col;           /* Maps view column */
	bool sort_desc;
	char filter[16][96];    /* per view (F4) */
	char search[96];        /* the last search (F3; n, N) */

	struct tui_change *changes;
	size_t nchanges;

	enum tui_prompt prompt;
	char pbuf[96];
	size_t plen;
	/* Where the prompt started: Esc goes back there, and a search typed
	 * letter by letter looks from there each time (tui_find.c). */
	struct {
		uint64_t sel_addr, page_cursor, cow_sel;
		pid_t tree_sel;
		int scroll[16], found[16];
		char search[96], filter[96];
	} origin;
	char status[256];
	uint64_t status_until;
	bool want_stacks_seen;

	/* Write tracking (opt-in: it resets the target's soft-dirty bits). */
	bool track_writes;
	pid_t writes_pid;       /* whose bits were reset last, or 0 */
	bool writes_valid;      /* the runs shown were read after a reset of
				 * the shown process's bits: soft-dirty means
				 * written since the refresh before */

	/* COW view */
	pid_t cow_child;        /* asked for (0: the first child) */
	uint64_t cow_sel;       /* start of the selected compared mapping */
	pid_t hist_parent, hist_child;
	struct tui_cow_sample hist[TUI_COW_HIST];
	size_t nhist;           /* samples in hist, oldest first */
	uint64_t hist_first;    /* diverged when the pair was first seen */
	/* Faults view and the COW view's writers (tui_faults.c) */
	struct tui_faults *faults;
	/* Tree view */
	pid_t tree_sel;         /* selected process */
	size_t tree_back;       /* view to go back to on Enter */
	/* Output view: a launched program's terminal, or NULL */
	struct tui_output *output;
	int tree_sort;          /* family column sorted by, 0: tree order */
	bool tree_asc;          /* sorted smallest first */
};

struct tui_view {
	const char *name;   /* tab title */
	/* Draw into lines [top, top + height) of the screen. */
	void (*draw)(struct tui *t, int top, int height);
	/* A key for this view; true when used. */
	bool (*key)(struct tui *t, int ch);
	/* A mouse click at screen line Y (relative to TOP) and column X. */
	void (*click)(struct tui *t, int y, int x);
	/* Add what this view needs from the source. */
	void (*want)(const struct tui *t, struct tui_want *w);
	/* After each new snapshot (e.g. the COW view's history). */
	void (*sample)(struct tui *t);
	/* Whether the view has a tab now; NULL: always. */
	bool (*shown)(const struct tui *t);
	/* Search (tui_find.c): go to the next item matching PAT after the
	 * current one, down the view (DIR 1) or up (-1), the current one
	 * first when SELF; wraps; false when nothing matches. NULL: the
	 * view has nothing to search. */
	bool (*find)(struct tui *t, const char *pat, int dir, bool self);
	/* The view shows only what matches t->filter[view] (F4). */
	bool filters;
};

extern const struct tui_view tui_views[];
extern const size_t tui_nviews;

/* Views (one file each). */
void tui_layout_draw(struct tui *t, int top, int height);
bool tui_layout_key(struct tui *t, int ch);
void tui_layout_click(struct tui *t, int y, int x);
void tui_maps_draw(struct tui *t, int top, int height);
bool tui_maps_key(struct tui *t, int ch);
void tui_maps_click(struct tui *t, int y, int x);
void tui_pages_draw(struct tui *t, int top, int height);
bool tui_pages_key(struct tui *t, int ch);
void tui_pages_click(struct tui *t, int y, int x);
void tui_pages_want(const struct tui *t, struct tui_want *w);
void tui_sections_draw(struct tui *t, int top, int height);
bool tui_sections_key(struct tui *t, int ch);
void tui_stacks_draw(struct tui *t, int top, int height);
bool tui_stacks_key(struct tui *t, int ch);
void tui_stacks_want(const struct tui *t, struct tui_want *w);
void tui_cow_draw(struct tui *t, int top, int height);
bool tui_cow_key(struct tui *t, int ch);
void tui_cow_click(struct tui *t, int y, int x);
void tui_cow_want(const struct tui *t, struct tui_want *w);
/* Record the divergence of the snapshot's pair (after each refresh). */
void tui_cow_sample(struct tui *t);
void tui_faults_draw(struct tui *t, int top, int height);
bool tui_faults_key(struct tui *t, int ch);
/* Start, read or stop the fault recording as the view shown asks (each
 * turn of the main loop). */
void tui_faults_tick(struct tui *t);
void tui_faults_fini(struct tui *t);
/* Did a page of the shown process in [START, START + PAGES pages) fault
 * before the Pages view's last refresh, since the one before (or since
 * the view was shown)? Its marks. */
bool tui_faults_marked(const struct tui *t, uint64_t start, uint64_t pages);
bool tui_faults_recording(const struct tui *t);
/* The COW view's "who copies" panel in the last lines of [TOP, TOP +
 * HEIGHT): the functions causing cow faults in CHILD and PARENT. Returns
 * the lines it took (0 when too small). */
int tui_faults_cow_panel(struct tui *t, int top, int height, pid_t parent, pid_t child);
void tui_tree_draw(struct tui *t, int top, int height);
bool tui_tree_key(struct tui *t, int ch);
void tui_tree_click(struct tui *t, int y, int x);
/* Each view's search (struct tui_view.find). */
bool tui_layout_find(struct tui *t, const char *pat, int dir, bool self);
bool tui_maps_find(struct tui *t, const char *pat, int dir, bool self);
bool tui_sections_find(struct tui *t, const char *pat, int dir, bool self);
bool tui_stacks_find(struct tui *t, const char *pat, int dir, bool self);
bool tui_cow_find(struct tui *t, const char *pat, int dir, bool self);
bool tui_tree_find(struct tui *t, const char *pat, int dir, bool self);
bool tui_output_find(struct tui *t, const char *pat, int dir, bool self);
/* Search and filter (tui_find.c). */
/* Does TEXT hold every blank-separated word of PAT (any case)? */
bool tui_text_matches(const char *text, const char *pat);
/* The index of the next of N items matching PAT from CUR in direction DIR
 * (CUR itself first when SELF), wrapping, by MATCH(CTX, I, PAT); -1. */
ssize_t tui_find_index(size_t n, ssize_t cur, int dir, bool self,
		       bool (*match)(const void *ctx, size_t i, const char *pat),
		       const void *ctx, const char *pat);
/* The find of the mapping views: the next mapping (DIR 1: higher address)
 * matching PAT (tui_mapping_matches) becomes the selected one. */
bool tui_find_mapping(struct tui *t, const char *pat, int dir, bool self);
/* The filter of the shown view, or "" when it has none. */
const char *tui_filter(const struct tui *t, size_t view);
/* Should a line of TEXT be drawn as a search match? */
bool tui_is_match(const struct tui *t, const char *text);
void tui_prompt_start(struct tui *t, enum tui_prompt p);
void tui_prompt_key(struct tui *t, int ch);
/* The prompt's label ("Search: "). */
const char *tui_prompt_label(enum tui_prompt p);
/* n, N with a search: the next or previous match in the shown view; false
 * when there is no search (the view's own n, N then). */
bool tui_find_next(struct tui *t, int dir);

/* The Output view (tui_output.c): a launched program's terminal. */
struct winsize;
/* FD: the master side (borrowed); SCROLL: the view's scroll (borrowed). */
struct tui_output *tui_output_new(int fd, const char *name, int *scroll);
void tui_output_free(struct tui_output *o);
void tui_output_draw(struct tui *t, int top, int height);
bool tui_output_key(struct tui *t, int ch);
bool tui_output_shown(const struct tui *t);
/* Read what the program wrote (without blocking); true when the view
 * changed. */
bool tui_output_pump(struct tui *t);
/* Tell the program its terminal's size (at start and on a resize). */
void tui_output_resize(struct tui *t);
/* Input mode: every key goes to the program (tui_output_type) until
 * Ctrl-]. */
bool tui_output_typing(const struct tui *t);
void tui_output_type(struct tui *t, int ch);
void tui_output_leave(struct tui *t);
void tui_tree_want(const struct tui *t, struct tui_want *w);

/* Screen (tui_screen.c). */
int tui_screen_init(struct tui *t);
void tui_screen_fini(void);
/* Draw the whole screen anew at the next refresh (Ctrl-L, F5). */
void tui_screen_repaint(void);
int tui_attr(const struct tui *t, enum tui_color c);
/* Untrusted text S (escaped here) at Y,X in at most WIDTH columns.
 * Returns the columns used. */
int tui_put_untrusted(const struct tui *t, int y, int x, const char *s, int width);
/* A path (untrusted, escaped here) in at most WIDTH columns: when too long
 * its start gives way to an ellipsis, so the file name stays. */
/* A mapping's path (or [anon]/[guard]) as tui_put_path, with the kernel's
 * deleted marker. */
int tui_put_mapping_path(const struct tui *t, int y, int x, const struct vm_mapping *m,
			 int width);
int tui_put_path(const struct tui *t, int y, int x, const char *path, int width);
/* Plain text (ours, ASCII) in at most WIDTH columns; the columns used. */
int tui_put(int y, int x, const char *s, int width);
/* A bar of WIDTH cells: resident, swapped, not present parts of TOTAL. */
void tui_put_bar(const struct tui *t, int y, int x, int width,
		 const struct vm_page_counts *c);
/* The words for a page state on screen (legend, help, cursor). */
const char *tui_page_label(enum vm_page_state s);
/* The character of a page state (UTF-8 or ASCII). */
const char *tui_page_glyph(const struct tui *t, enum vm_page_state s);
/* The character of a page written since the last refresh. */
const char *tui_written_glyph(const struct tui *t);
/* Toggle write tracking (key w, --track-writes). */
void tui_track_writes(struct tui *t, bool on);
/* The character of a COW state (UTF-8, or cow_state_char()). */
const char *tui_cow_glyph(const struct tui *t, unsigned state);
/* Fill the rest of line Y from X with spaces. */
void tui_clear_to_eol(int y, int x);

/* ONE or MANY as N asks ("1 page", "2 pages"). */
static inline const char *tui_plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Shared state and helpers (tui_state.c). */
void tui_set_status(struct tui *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const struct vm_mapping *tui_selected(const struct tui *t);
ssize_t tui_selected_index(const struct tui *t);
void tui_select_index(struct tui *t, size_t i);
const struct tui_change *tui_change_of(const struct tui *t, uint64_t start);
/* Does mapping M match filter/search text PAT (name, kind, perms, address)? */
bool tui_mapping_matches(const struct vm_mapping *m, const char *pat);
/* n and N: select the next mapping (DIR 1: higher address, -1: lower)
 * matching the search, wrapping; without a search, the next mapping. */
void tui_search_step(struct tui *t, int dir);
/* Move *SEL in a list of N lines for an arrow, page, Home or End key CH
 * (and k, j); false for any other key. */
bool tui_list_move(int ch, ssize_t *sel, size_t n, ssize_t page);
/* Keep the selected line SEL visible in a list of HEIGHT lines. */
void tui_scroll_to(int *scroll, int sel, int height, int nlines);
/* Short display name of a mapping: its path or [anon]. Not escaped. */
const char *tui_mapping_name(const struct vm_mapping *m);
uint64_t tui_page_kb(const struct tui *t, uint64_t pages);
/* Rss of M in kB as smaps counts it (the zero page is not charged). */
uint64_t tui_rss_kb(const struct tui *t, const struct vm_mapping *m);
/* Open the Pages view on the selected mapping. */
void tui_open_pages(struct tui *t);
/* Ctrl-Z: let the traced processes go, give the terminal back, stop; on
 * SIGCONT wait for the foreground, take the terminal and attach again
 * (tui_suspend.c). The caller refreshes. */
void tui_suspend(struct tui *t);
/* Switch to view V (refreshing when it needs more from the source). */
void tui_set_view(struct tui *t, size_t v);
/* Show process PID in the views (from the process tree). */
void tui_show_pid(struct tui *t, pid_t pid);
/* The processes the source can show (the snapshot's when it has no list)
 * into OUT; how many. */
size_t tui_procs(struct tui *t, struct tui_proc *out, size_t max);
/* How process PID ended ("exited 3", "killed by SIGSEGV") into BUF, when
 * the source knows; false and BUF untouched otherwise. */
bool tui_exit_words(struct tui *t, pid_t pid, char *buf, size_t len);
/* The COW pair of the shown process in the snapshot, or NULL. */
const struct vm_cow_pair *tui_cow_pair(const struct tui *t);
/* Read the source now (what the shown view wants). */
void tui_refresh(struct tui *t);
/* [ and ]: the previous or next snapshot of a timeline source. */
void tui_step(struct tui *t, int dir);
/* The line beside the tabs: what is shown and what quitting does. */
void tui_describe(struct tui *t);
/* Forget the changes since the last refresh. */
void tui_changes_clear(struct tui *t);

#endif
