/* Options and running of the live screen, shared by watch, demo and view. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "vmatlas/tui.h"
#include "vmatlas/util.h"

/* Parse the -d argument: seconds, 0.05 to 3600. 0 or -EINVAL. */
static int watch_parse_delay(const char *s, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(d) || d < 0.05 || d > 3600)
		return -EINVAL;
	*out = d;
	return 0;
}

/* Options shared by watch and demo; returns 1 when C was one of them,
 * 0 when not, -1 after reporting a bad value. */
int watch_parse_opt(int c, const char *arg, struct tui_opts *o)
{
	switch (c) {
	case 'd':
		if (watch_parse_delay(arg, &o->delay) < 0) {
			char *e = escape_untrusted(arg);
			vm_error("bad delay '%s': seconds between 0.05 and 3600", e ? e : "?");
			free(e);
			return -1;
		}
		return 1;
	case 'C':
		o->no_color = true;
		return 1;
	case 'A':
		o->ascii = true;
		return 1;
	default:
		return 0;
	}
}

/* Run the screen on SRC and close it; an exit status. */
int watch_run_source(struct tui_source *src, const struct tui_opts *o)
{
	int ret = tui_run(src, o);

	src->ops->close(src);
	if (vm_should_quit() && ret == 0)
		ret = 128 + vm_quit_signal;
	return ret;
}

int screen_pty_open(int *master, int *slave)
{
	struct winsize ws = { 0 };

	/* Sized as the screen's Output view will be (the screen sets it again
	 * when it starts and at every resize). */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 6)
		ws.ws_row = (unsigned short)(ws.ws_row - 5);
	if (!ws.ws_row || !ws.ws_col) {
		ws.ws_row = 19;
		ws.ws_col = 80;
	}
	return pty_open(master, slave, &ws);
}
