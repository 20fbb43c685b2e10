/* Status lines on a terminal (progress.h). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"
#include "vmatlas/util.h"

void progress_init(struct progress *pg, bool quiet)
{
	memset(pg, 0, sizeof(*pg));
	pg->on = !quiet && isatty(STDERR_FILENO);
	pg->start_ns = vm_now_ns();
	pg->every_ns = 100000000u;
}

void progress_init_lines(struct progress *pg, bool quiet)
{
	progress_init(pg, quiet);
	pg->lines = true;
	pg->every_ns = PROGRESS_LINES_EVERY_S * 1000000000ull;
	pg->last_ns = pg->start_ns;
}

static void put_line(struct progress *pg, const char *fmt, va_list ap, bool status)
{
	struct winsize ws;
	char line[512];
	size_t width = sizeof(line) - 1;
	int n;

	n = snprintf(line, sizeof(line), "%s: ", vm_progname);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (pg->lines) {
		/* Never "\r" nor erase: the line the program was writing stays. */
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
		return;
	}
	/* A status line that wrapped could not be redrawn in place. */
	if (status && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
	    (size_t)ws.ws_col - 1 < width)
		width = (size_t)ws.ws_col - 1;
	if (status && strlen(line) > width)
		line[width] = 0;
	fprintf(stderr, "\r%s\033[K%s", line, status ? "" : "\n");
	fflush(stderr);
	pg->shown = status;
}

void progress_status(struct progress *pg, bool force, const char *fmt, ...)
{
	uint64_t now = vm_now_ns();
	va_list ap;

	if (!pg->on || vm_should_quit() || ((!force || pg->lines) && now - pg->last_ns < pg->every_ns))
		return;
	pg->last_ns = now;
	va_start(ap, fmt);
	put_line(pg, fmt, ap, true);
	va_end(ap);
}

void progress_clear(struct progress *pg)
{
	if (pg->on && pg->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pg->shown = false;
	}
}

void progress_end(struct progress *pg, const char *fmt, ...)
{
	va_list ap;

	if (!pg->on || vm_quit_signal == SIGPIPE)
		return;
	va_start(ap, fmt);
	put_line(pg, fmt, ap, false);
	va_end(ap);
}

const char *progress_elapsed(const struct progress *pg, char *buf, size_t len)
{
	uint64_t ms = (vm_now_ns() - pg->start_ns) / 1000000u;

	if (ms < 60000)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " s", ms / 1000, ms / 100 % 10);
	else if (ms < 3600000)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", ms / 60000, ms / 1000 % 60);
	else
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", ms / 3600000, ms / 60000 % 60);
	return buf;
}
