/* Termination signals only set a flag: the main loop notices it, detaches
 * from every target, restores the terminal and exits with 128 + signal.
 * Doing the clean-up in the handler would mean ptrace and stdio calls in
 * signal context, which are not async-signal-safe. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmatlas/util.h"

volatile sig_atomic_t vm_quit_signal;

static void on_quit_signal(int sig)
{
	/* The first signal wins: the exit status names it. */
	if (!vm_quit_signal)
		vm_quit_signal = sig;
}

void vm_signals_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	/* No SA_RESTART: a blocking read or sleep returns EINTR, so a loop
	 * waiting on the target sees the flag promptly. */
	sa.sa_flags = 0;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Job control for the live screen: SIGTSTP (Ctrl-Z) only sets a flag, so
 * that the screen lets every traced process go and restores the terminal
 * before it stops (a stopped tracer would hold its tracees at their next
 * signal). Installed before curses starts, which then keeps its own
 * handler out (ncurses installs one only over SIG_DFL). */
static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void vm_stop_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the screen's wait for a key ends */
	sigaction(SIGTSTP, &sa, NULL);
}

bool vm_stop_requested(void)
{
	return stop_flag != 0;
}

void vm_stop_self(void)
{
	struct sigaction dfl, old;
	sigset_t set;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGTSTP, &dfl, &old);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	stop_flag = 0;
	/* Stops the whole process here until SIGCONT (kernel/signal.c
	 * do_signal_stop; not in an orphaned process group, which the
	 * kernel never stops for SIGTSTP). */
	raise(SIGTSTP);
	sigaction(SIGTSTP, &old, NULL);
	stop_flag = 0;
}

void vm_wait_foreground(int fd)
{
	pid_t fg;

	while (!vm_should_quit() && isatty(fd) && (fg = tcgetpgrp(fd)) > 0 && fg != getpgrp()) {
		struct timespec nap = { 0, 100000000L };

		/* What a shell does in the background: stop until fg. */
		raise(SIGTTIN);
		nanosleep(&nap, NULL);
	}
}
