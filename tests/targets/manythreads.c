/* Target with many threads for the Stacks view's duty cycle: N threads
 * (argv[2], default 2000) parked in parked_thread, and a ticker thread
 * that sleeps 1 ms at a time and counts the time it lost in gaps longer
 * than 50 ms (a stop of the whole process shows there; scheduling noise
 * does not). Usage: manythreads READYFILE [N]. Writes "threads=N" and
 * "ready"; then every 100 ms rewrites READYFILE.ticks (atomically) with
 * "wall_ms=W lost_ms=L longest_ms=G". Any process may trace it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static const char *ready_path;

__attribute__((noinline)) static void parked_thread(void)
{
	for (;;)
		pause();
}

static void *parked(void *arg)
{
	parked_thread();
	return arg;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *ticker(void *arg)
{
	double start = now_ms(), last = start, lost = 0, longest = 0, written = start;
	const struct timespec ms = { 0, 1000000 };
	char tmp[4096], path[4096];

	snprintf(tmp, sizeof(tmp), "%s.ticks.tmp", ready_path);
	snprintf(path, sizeof(path), "%s.ticks", ready_path);
	for (;;) {
		double t, gap;

		nanosleep(&ms, NULL);
		t = now_ms();
		gap = t - last;
		last = t;
		if (gap > 50)
			lost += gap;
		if (gap > longest)
			longest = gap;
		if (t - written >= 100) {
			FILE *f = fopen(tmp, "w");

			written = t;
			if (f) {
				fprintf(f, "wall_ms=%.0f lost_ms=%.0f longest_ms=%.0f\n", t - start, lost, longest);
				if (fclose(f) == 0)
					rename(tmp, path);
			}
		}
	}
	return arg;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 2000;
	pthread_attr_t attr;
	pthread_t t;
	char tmp[4096];
	FILE *f;

	if (argc < 2 || n < 1)
		return 2;
	ready_path = argv[1];
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t, &attr, parked, NULL) != 0)
			return 1;
	if (pthread_create(&t, NULL, ticker, NULL) != 0)
		return 1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "threads=%d\nready\n", n + 2) < 0 || fclose(f) != 0 ||
	    rename(tmp, argv[1]) != 0)
		return 1;
	parked_thread();
	return 0;
}
