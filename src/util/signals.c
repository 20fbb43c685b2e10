/* Termination signals only set a flag: the main loop notices it, detaches
 * from every target, restores the terminal and exits with 128 + signal.
 * Doing the clean-up in the handler would mean ptrace and stdio calls in
 * signal context, which are not async-signal-safe. */
#include "config.h"

#include <signal.h>
#include <string.h>

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
