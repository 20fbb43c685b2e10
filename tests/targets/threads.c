/* Target for the ptrace tests: NTHREADS threads sleeping in a loop beside
 * main, and 64 MiB of written memory so that a snapshot takes a while.
 * Any process may trace it (PR_SET_PTRACER_ANY: Yama ptrace_scope 1 lets
 * only ancestors trace otherwise, and vmatlas is a sibling in the tests).
 *
 * Usage: threads READYFILE [vfork]. Writes "threads=N", then "ready", and
 * sleeps until killed. With "vfork" one more thread vforks a child that
 * sleeps 60 s: that thread waits uninterruptibly (state D) and cannot be
 * stopped until the child exits; the child writes "vfork_tid=TID",
 * "vfork_child=PID" and "ready" instead. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "targetlib.h"

#define NTHREADS 8

static const char *ready_path;
static void *sleeper(void *arg);

static void *vforker(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	pid_t child;

	(void)arg;
	child = vfork();
	if (child == 0) {
		/* Only system calls here: the parent's memory is borrowed. */
		char line[96];
		struct timespec ts = { 60, 0 };
		int n = snprintf(line, sizeof(line), "vfork_tid=%d\nvfork_child=%d\nready\n",
				 (int)tid, (int)getpid());

		if (n > 0)
			say(ready_path, line);
		nanosleep(&ts, NULL);
		_exit(0);
	}
	return sleeper(NULL);
}

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
	ready_path = argv[1];
	if (argc > 2 && strcmp(argv[2], "vfork") == 0) {
		f = fopen(argv[1], "w");
		if (!f)
			return 99;
		fprintf(f, "threads=%d\n", NTHREADS + 2);
		fclose(f);
		if (pthread_create(&th, NULL, vforker, NULL) != 0)
			return 99;
		sleeper(NULL);
	}
	f = fopen(argv[1], "w");
	if (!f)
		return 99;
	fprintf(f, "threads=%d\nready\n", NTHREADS + 1);
	fclose(f);
	sleeper(NULL);
	return 0;
}
