/* Ctrl-Z on the live screen, as htop does it (the terminal restored while
 * stopped, redrawn whole after fg), and with the one rule of a tracer: no
 * tracee waits on a stopped vmatlas. Every traced process is let go before
 * the stop and attached again after it; one gone meanwhile is reported
 * gone by the source. */
#include "config.h"

#include <curses.h>
#include <string.h>
#include <unistd.h>

#include "tui_priv.h"
#include "vmatlas/util.h"

void tui_suspend(struct tui *t)
{
	const struct tui_source_ops *ops = t->src->ops;
	int r = 0;

	if (ops->suspend)
		ops->suspend(t->src);
	endwin();
	fflush(stdout);
	vm_stop_self();
	/* Continued in the background (bg): not the screen's terminal yet. */
	vm_wait_foreground(STDIN_FILENO);
	if (vm_should_quit())
		return;
	clearok(curscr, TRUE);
	refresh();
	getmaxyx(stdscr, t->rows, t->cols);
	if (ops->resume)
		r = ops->resume(t->src);
	if (ops->suspend && r < 0)
		tui_set_status(t, "attaching again after the stop failed: %s", strerror(-r));
	else if (ops->suspend)
		tui_set_status(t, "resumed: attached again (the processes ran untraced while stopped)");
}
