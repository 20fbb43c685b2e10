/* Pseudo-terminals for programs vmatlas launches under its screen: the
 * program gets a terminal of its own (as under tmux or script), so what it
 * writes never lands on the screen vmatlas draws. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "vmatlas/util.h"

int pty_open(int *master, int *slave, const struct winsize *ws)
{
	struct termios tio, *tp = NULL;
	int m, s, r;

	/* The program's terminal starts with the user's settings (erase key,
	 * signals), as script(1) does. */
	if (tcgetattr(STDIN_FILENO, &tio) == 0)
		tp = &tio;
	if (openpty(&m, &s, NULL, tp, ws) < 0)
		return -errno;
	if (fcntl(m, F_SETFD, FD_CLOEXEC) < 0 || fcntl(s, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK) < 0) {
		r = -errno;
		close(m);
		close(s);
		return r;
	}
	*master = m;
	*slave = s;
	return 0;
}

int pty_make_controlling(int slave)
{
	/* A session of its own whose controlling terminal is SLAVE: its
	 * Ctrl-C and job control are its own, and it gets SIGHUP when the
	 * master side closes. Only async-signal-safe calls: this runs
	 * between fork and exec. */
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0)
			return -errno;
	if (slave > 2)
		close(slave);
	return 0;
}
