/* A status line on standard error for long work (a timeline capture, a
 * launched program), redrawn in place, and a one-line summary at the end:
 * only when standard error is a terminal, and not with --quiet. Beside a
 * launched program, which writes to the same terminal, a line redrawn in
 * place would be glued to the program's output or erase it: there the
 * status is whole lines, one every PROGRESS_LINES_EVERY_S seconds. */
#ifndef VMATLAS_PROGRESS_H
#define VMATLAS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define PROGRESS_LINES_EVERY_S 2

struct progress {
	bool on;          /* standard error is a terminal, --quiet not given */
	bool lines;       /* whole lines, never redrawn (progress_init_lines) */
	bool shown;       /* a status line is on the terminal */
	uint64_t start_ns, last_ns, every_ns;
};

void progress_init(struct progress *pg, bool quiet);
/* The same for work beside a launched program: the status is printed as
 * whole lines, the first after PROGRESS_LINES_EVERY_S seconds. */
void progress_init_lines(struct progress *pg, bool quiet);
/* The status line "vmatlas: FMT..." in place of the last one, cut to the
 * terminal's width; at most every 100 ms unless FORCE. In lines mode a
 * line of its own, at most every PROGRESS_LINES_EVERY_S seconds, FORCE
 * or not. */
void progress_status(struct progress *pg, bool force, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Take the status line away (before a message). */
void progress_clear(struct progress *pg);
/* The status line away and the summary "vmatlas: FMT..." in its place. */
void progress_end(struct progress *pg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Seconds since progress_init as "12.3 s" or "4m05s" into BUF. */
const char *progress_elapsed(const struct progress *pg, char *buf, size_t len);

#endif
