/* A process whose pace depends on its tracer answering at once.
 *
 * usage: sigrate READY_FILE alarm|fork
 *   alarm: takes SIGALRM 1000 times a second (ITIMER_REAL, 1 ms) and
 *          counts the signals handled;
 *   fork:  forks a child that lives 2 ms and waits for it, over and over,
 *          counting the rounds and the time they took.
 * "ready" goes to READY_FILE once running; READY_FILE.count then always
 * holds "n=COUNT ns=NANOSECONDS" (rewritten in place every 10 ms), the
 * count so far and, for fork, the nanoseconds spent in fork-and-wait. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "targetlib.h"

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void report(int fd, unsigned long long n, unsigned long long ns)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "n=%020llu ns=%020llu\n", n, ns);

	if (pwrite(fd, line, (size_t)len, 0) != len)
		_exit(99);
}

int main(int argc, char **argv)
{
	char path[4096];
	unsigned long long last = 0, n = 0, ns = 0;
	int fd;

	if (argc < 3 || (strcmp(argv[2], "alarm") && strcmp(argv[2], "fork"))) {
		fprintf(stderr, "usage: sigrate READY_FILE alarm|fork\n");
		return 99;
	}
	snprintf(path, sizeof(path), "%s.count", argv[1]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 99;
	report(fd, 0, 0);
	if (strcmp(argv[2], "alarm") == 0) {
		struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
		struct sigaction sa;
		sigset_t block, old;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
		sigemptyset(&block);
		sigaddset(&block, SIGALRM);
		sigprocmask(SIG_BLOCK, &block, &old);
		if (setitimer(ITIMER_REAL, &it, NULL) < 0)
			return 99;
		say(argv[1], "ready\n");
		for (;;) {
			sigsuspend(&old);
			if (now_ns() - last >= 10000000ull) {
				last = now_ns();
				report(fd, (unsigned long long)alarms, 0);
			}
		}
	}
	say(argv[1], "ready\n");
	for (;;) {
		unsigned long long t0 = now_ns();
		pid_t c = fork();

		if (c < 0)
			return 99;
		if (c == 0) {
			struct timespec d = { 0, 2000000 };

			nanosleep(&d, NULL);
			_exit(0);
		}
		if (waitpid(c, NULL, 0) != c)
			return 99;
		n++;
		ns += now_ns() - t0;
		if (now_ns() - last >= 10000000ull) {
			last = now_ns();
			report(fd, n, ns);
		}
	}
}
