/* Target for the live screen's change marks: each SIGUSR1 makes the next
 * change, then appends "stepN" to the ready file.
 *
 *   touch   64 private anonymous pages, 10 written; step 1 writes 40 more
 *           (50 resident: pages became resident).
 *   grow    16 read-write pages at the start of a 64-page PROT_NONE
 *           reserve; step 2 makes 32 of them read-write (the mapping grows
 *           in place), step 3 makes the last 24 PROT_NONE again (8 pages:
 *           it shrinks).
 *   gone    32 pages; step 4 unmaps them (the mapping is removed).
 *
 * Every region sits between PROT_NONE guards, so none merges with a
 * neighbour. Usage: changer READYFILE. Writes KEY=0xADDR lines, then
 * "ready", and waits for signals. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "targetlib.h"

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block, old;
	char *touch, *grow, *gone, tmp[4200], line[32];
	FILE *f;

	if (argc < 2)
		return 99;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);

	touch = region(64, 10);
	grow = region(64, 0);
	if (mprotect(grow + 16 * PAGE, 48 * PAGE, PROT_NONE) < 0)
		return 99;
	grow[0] = 1;
	gone = region(32, 32);

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 99;
	fprintf(f, "touch=%p\ngrow=%p\ngone=%p\nready\n", (void *)touch, (void *)grow,
		(void *)gone);
	fclose(f);
	rename(tmp, argv[1]);

	for (int step = 1; step <= 4; step++) {
		while (!got)
			sigsuspend(&old);
		got = 0;
		if (step == 1)
			for (size_t i = 10; i < 50; i++)
				touch[i * PAGE] = 1;
		else if (step == 2 && mprotect(grow, 32 * PAGE, PROT_READ | PROT_WRITE) < 0)
			return 99;
		else if (step == 3 && mprotect(grow + 8 * PAGE, 24 * PAGE, PROT_NONE) < 0)
			return 99;
		else if (step == 4 && munmap(gone, 32 * PAGE) < 0)
			return 99;
		snprintf(line, sizeof(line), "step%d\n", step);
		say(argv[1], line);
	}
	for (;;)
		pause();
}
