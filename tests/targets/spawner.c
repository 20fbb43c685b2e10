/* A process that forks and execs when told to, for following tests.
 *
 * usage: spawner READY_FILE
 *
 * The parent maps a 256-page private anonymous region (between PROT_NONE
 * guards, no THP), writes its first 100 pages, appends the lines
 * "parent=PID", "region=0x.." and "ready" to READY_FILE and waits for
 * signals:
 *   SIGUSR1: fork a child that rewrites pages 0, 10, ..., 90 of the region
 *            (10 diverged, 90 shared, 156 in neither) and appends
 *            "child=PID" to READY_FILE; the child then waits for
 *   SIGUSR2 (to the child): exec this program as "spawner READY_FILE
 *            execd", which maps a 48-page region, writes 5 of its pages,
 *            appends "execd=0x.." and pauses.
 * Every process runs until killed; none dies with its parent. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "targetlib.h"

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
	got = sig;
}

/* Wait for SIG (blocked, so none is lost between the check and the wait). */
static void wait_for(int sig)
{
	sigset_t none;

	sigemptyset(&none);
	while (got != sig)
		sigsuspend(&none);
	got = 0;
}

int main(int argc, char **argv)
{
	sigset_t old;
	char line[256], *r;

	if (argc < 2 || sysconf(_SC_PAGESIZE) != (long)PAGE) {
		fprintf(stderr, "usage: spawner READY_FILE (4 KiB pages)\n");
		return 99;
	}
	if (argc > 2 && strcmp(argv[2], "execd") == 0) {
		r = region(48, 5);
		snprintf(line, sizeof(line), "execd=%p\n", (void *)r);
		say(argv[1], line);
		for (;;)
			pause();
	}
	usr_signals_block(on_signal, &old);
	r = region(256, 100);
	snprintf(line, sizeof(line), "parent=%d\nregion=%p\nready\n", (int)getpid(), (void *)r);
	say(argv[1], line);
	for (;;) {
		pid_t child;

		wait_for(SIGUSR1);
		child = fork();
		if (child < 0)
			return 99;
		if (child > 0)
			continue;
		for (size_t i = 0; i < 100; i += 10)
			r[i * PAGE] = 2;
		snprintf(line, sizeof(line), "child=%d\n", (int)getpid());
		say(argv[1], line);
		wait_for(SIGUSR2);
		{
			char *args[] = { argv[0], argv[1], "execd", NULL };

			sigprocmask(SIG_SETMASK, &old, NULL);
			execv(argv[0], args);
		}
		_exit(99);
	}
}
