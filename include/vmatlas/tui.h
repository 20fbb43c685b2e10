/* The live screen (ncursesw). It draws snapshots that a SOURCE hands it:
 * a live process (tui_source_live_new) or, through the same interface, a
 * snapshot file or timeline. The screen never opens /proc itself
 * (STYLE 1): everything it shows comes from the source. */
#ifndef VMATLAS_TUI_H
#define VMATLAS_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmatlas/model.h"

struct tracer;

/* What the views on screen need beyond per-mapping counts; a source reads
 * only that (STYLE 5). */
struct tui_want {
	pid_t pid;                     /* process the views show; 0: the first */
	uint64_t runs_start, runs_end; /* per-page runs for the mappings of PID
					* overlapping [runs_start, runs_end) */
	bool stacks;                   /* threads and backtraces (Stacks view) */
	bool cow;                      /* compare PID with a child (COW view) */
	pid_t cow_child;               /* that child; 0: the first one known */
	bool soft_dirty;               /* the runs carry soft-dirty bits */
	bool family;                   /* the family of the tree (Tree view):
					* snapshot->family */
};

/* One process of a followed tree (the process list). */
struct tui_proc {
	pid_t pid, ppid;
	char comm[17];  /* as the process set it: escape before drawing */
	char title[256]; /* its command line as ps shows it (or [comm]):
			  * escape before drawing */
	char state;     /* /proc/PID/stat state letter when last read */
	bool exited;    /* gone; its last picture may be kept */
	bool traced;    /* followed under ptrace (else only read from /proc) */
	bool have_status; /* exited and its wait status known */
	int status;       /* that wait status (exited 3, killed by SIGSEGV) */
};

/* Raw facts about one page (Pages view cursor), when a source knows them. */
struct tui_page_info {
	uint64_t entry;   /* raw /proc/PID/pagemap entry */
	bool have_entry;
	uint64_t kflags;  /* /proc/kpageflags of its frame (root) */
	bool have_kflags;
	char symbol[128]; /* nearest ELF symbol at or below the address, as
			   * the object names it: escape before drawing */
	uint64_t sym_offset;
	bool have_symbol;
};

/* poll() results. */
enum {
	TUI_SRC_REFRESH = 1u << 0, /* something happened: refresh now */
	TUI_SRC_GONE    = 1u << 1, /* the process shown is gone */
	TUI_SRC_TREE    = 1u << 2, /* the process list changed */
	TUI_SRC_EXEC    = 1u << 3, /* the process shown exec'd: a new layout */
};

struct tui_source;

struct tui_source_ops {
	/* A new snapshot as WANT asks into *OUT, released with release().
	 * Returns 1 with *OUT set, 0 when there is nothing new (a file: keep
	 * the current picture), -ESRCH when the process is gone, or -errno. */
	int (*refresh)(struct tui_source *src, const struct tui_want *want,
		       struct vm_snapshot **out);
	/* Give back a snapshot that refresh() or step() handed out. */
	void (*release)(struct tui_source *src, struct vm_snapshot *s);
	/* One line saying what is shown ("attached", "launched", a file name
	 * and position); plain text, escaped by the source. */
	void (*describe)(struct tui_source *src, char *buf, size_t len);
	/* True for a running process, false for a file. */
	bool (*is_live)(const struct tui_source *src);
	/* Timelines: the previous (DIR < 0) or next (DIR > 0) snapshot into
	 * *OUT as refresh() does; 0 at either end. NULL when not a timeline. */
	int (*step)(struct tui_source *src, int dir, struct vm_snapshot **out);
	/* Handle pending events without blocking longer than TIMEOUT_MS;
	 * returns TUI_SRC_* bits. May be NULL. */
	unsigned (*poll)(struct tui_source *src, int timeout_ms);
	/* Facts about the page at ADDR of process P (a process of the last
	 * snapshot handed out); 0 or -errno (-ENOTSUP when the source has
	 * none, e.g. a file). May be NULL. */
	int (*page_info)(struct tui_source *src, const struct vm_process *p,
			 uint64_t addr, struct tui_page_info *info);
	/* The processes the source can show (a followed tree) into OUT (at
	 * most MAX); returns how many. NULL: the processes of the snapshot. */
	size_t (*procs)(struct tui_source *src, struct tui_proc *out, size_t max);
	/* A snapshot of every process of the tree with the COW pair of each
	 * parent and child in it, into *OUT as refresh() does (for saving).
	 * 0 or -errno. NULL: save the snapshot shown. */
	int (*take_all)(struct tui_source *src, struct vm_snapshot **out);
	/* Reset the soft-dirty bits of PID's pages (clear_refs) so that the
	 * next refresh's soft-dirty pages are those written meanwhile. This
	 * changes the target (CRIU and other soft-dirty users lose their
	 * bits): only when the user asked for write tracking. 0 or -errno
	 * (-EOPNOTSUPP, target untouched: the kernel keeps no soft-dirty
	 * bits). NULL when the source cannot (a file). */
	int (*clear_soft_dirty)(struct tui_source *src, pid_t pid);
	/* The screen is about to stop (Ctrl-Z): let every traced process go,
	 * so that none waits on a stopped vmatlas; and attach again when it
	 * goes on. 0 or -errno. NULL when the source traces nothing. */
	int (*suspend)(struct tui_source *src);
	int (*resume)(struct tui_source *src);
	/* Release everything (detaches from a live process). */
	void (*close)(struct tui_source *src);
	/* The address of symbol NAME in P (a process of the last snapshot
	 * handed out), for the screen's `a`: 0, -ENOENT or -errno. NULL when
	 * the source cannot look symbols up (a file). */
	int (*resolve)(struct tui_source *src, const struct vm_process *p, const char *name,
		       uint64_t *addr);
};

struct tui_source {
	const struct tui_source_ops *ops;
	void *priv; /* the source's own state */
};

/* The views, in the order of their number keys. */
enum tui_view_id {
	TUI_VIEW_LAYOUT, TUI_VIEW_MAPS, TUI_VIEW_PAGES, TUI_VIEW_SECTIONS,
	TUI_VIEW_STACKS, TUI_VIEW_COW, TUI_VIEW_TREE, TUI_VIEW_FAULTS, TUI_VIEW_OUTPUT,
};

struct tui_opts {
	double delay;      /* refresh interval in seconds */
	bool no_color;
	bool ascii;        /* no UTF-8 block characters */
	int initial_view;  /* enum tui_view_id, -1: default */
	bool track_writes; /* mark pages written between refreshes (resets
			    * the target's soft-dirty bits) */
	bool faults;       /* record page faults whatever the view (else only
			    * while the Faults or COW view is shown) */
	const char *source_line; /* shown instead of the source's describe()
				  * (the demo, killed on quit), or NULL */
	bool has_pty;      /* a launched program runs on a terminal of its own: */
	int pty_fd;        /* its master side (the caller's), read for the
			    * Output view, written in its input mode */
	const char *pty_name; /* that program's name (untrusted), or NULL */
};

/* Run the screen on SRC until quit. Takes the terminal (stdin/stdout must
 * be a terminal: check with tui_terminal_usable() first) and restores it on
 * every exit path. Returns an exit status: 0, 1 on a fatal error (already
 * reported on stderr after the terminal was restored), 128 + signal when a
 * signal ended it. SRC stays the caller's. */
int tui_run(struct tui_source *src, const struct tui_opts *o);

/* 0 when stdin and stdout are a terminal whose TERM can draw the screen;
 * otherwise -errno and a sentence for the user in WHY. */
int tui_terminal_usable(char *why, size_t len);

/* Live source on a process: attach to PID (TRACER may be NULL: watch
 * without ptrace), or ARGV launched (TRACER required). With a TRACER made
 * with TRACER_FOLLOW, the children PID already has are attached too and
 * every process forked in the tree is followed; otherwise they are only
 * read from /proc. Returns NULL with errno set and a sentence in ERR. The
 * source owns TRACER (freed, which detaches from or kills the traced
 * processes, on close()). */
struct tui_source *tui_source_live_new(struct tracer *tracer, pid_t pid,
				       char *const argv[], char *err,
				       size_t errlen);

/* Stacks for the Stacks view: fill P->threads with the latest backtrace
 * of every thread of P->pid (T attached to it; each thread stopped alone
 * and only while it is copied), through the unwinder U, symbols through
 * CACHE; 0 or -errno. The signature of stacks_refresh()
 * (include/vmatlas/stacks.h); NULL in a build without it, and then the
 * Stacks view says that stacks are not available. Called only while the
 * Stacks view is shown. */
struct elf_cache;
struct stacks_ctx;
typedef int (*tui_stacks_fn)(struct stacks_ctx *u, struct tracer *t,
			     struct elf_cache *cache, struct vm_process *p);
extern tui_stacks_fn tui_stacks_collect;

#endif
