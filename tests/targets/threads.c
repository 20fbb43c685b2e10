/* Target for the ptrace tests: NTHREADS threads sleeping in a loop beside
 * main, and 64 MiB of written memory so that a snapshot takes a while.
 * Any process may trace it (PR_SET_PTRACER_ANY: Yama ptrace_scope 1 lets
 * only ancestors trace otherwise, and vmatlas is a sibling in the tests).
 *
 * Usage: threads READYFILE. Writes "threads=N", then "ready", and sleeps
 * until killed. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 8

static void *sleeper(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	(void)arg;
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t len = 64UL << 20;
	pthread_t th;
	char *mem;
	FILE *f;

	if (argc < 2)
		return 99;
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 99;
	memset(mem, 1, len);
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th, NULL, sleeper, NULL) != 0)
			return 99;
	f = fopen(argv[1], "w");
	if (!f)
		return 99;
	fprintf(f, "threads=%d\nready\n", NTHREADS + 1);
	fclose(f);
	sleeper(NULL);
	return 0;
}
