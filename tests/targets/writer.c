/* Target for write tracking: a region of 64 private anonymous pages, all
 * written at start, between guard pages. Each SIGUSR1 (the Nth) writes the
 * 10 pages 5 + 15 * (N - 1) .. 14 + 15 * (N - 1) of it (wrapping at 64)
 * and appends "wrote=N" to the ready file; SIGUSR2 exits.
 *
 * Usage: writer READYFILE. Writes "region=0xADDR" and "ready". */
#include <signal.h>
#include <stdio.h>

#include "targetlib.h"

#define PAGES 64

int main(int argc, char **argv)
{
	sigset_t sigs;
	char line[80];
	volatile char *r;
	unsigned n = 0;

	if (argc < 2)
		return 99;
	/* Taken with sigwaitinfo: no handler, no lost signal. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	r = region(PAGES, PAGES);
	snprintf(line, sizeof(line), "region=%p\nready\n", (void *)r);
	say(argv[1], line);
	for (;;) {
		int sig = sigwaitinfo(&sigs, NULL);
		unsigned first;

		if (sig == SIGUSR2)
			return 0;
		if (sig != SIGUSR1)
			continue; /* EINTR: a ptrace stop */
		first = 5 + 15 * n++;

		for (unsigned i = 0; i < 10; i++)
			r[((first + i) % PAGES) * PAGE] += 1;
		snprintf(line, sizeof(line), "wrote=%u\n", n);
		say(argv[1], line);
	}
}
