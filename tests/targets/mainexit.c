/* A process whose main thread has exited (pthread_exit) while another
 * thread runs on with all the memory.
 *
 * usage: mainexit READY_FILE
 *
 * The second thread maps a 64-page private anonymous region (between
 * PROT_NONE guards, no THP), writes 10 of its pages, appends
 * "region=0x.. tid=TID" and "ready" to READY_FILE once the main thread has
 * exited, and waits. The leader is then a zombie: /proc/PID/maps is empty,
 * /proc/PID/task/TID/maps is not. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "targetlib.h"

static const char *ready;
static pid_t leader;

static void *worker(void *arg)
{
	char line[128], path[64], st = 0;
	char *r = region(64, 10);

	(void)arg;
	/* Until the leader is a zombie. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)leader);
	for (int i = 0; i < 1000 && st != 'Z'; i++) {
		struct timespec d = { 0, 5000000 };
		FILE *f = fopen(path, "r");

		if (f) {
			if (fscanf(f, "%*d (%*[^)]) %c", &st) != 1)
				st = 0;
			fclose(f);
		}
		if (st != 'Z')
			nanosleep(&d, NULL);
	}
	snprintf(line, sizeof(line), "region=%p tid=%d\n", (void *)r, (int)syscall(SYS_gettid));
	say(ready, line);
	say(ready, "ready\n");
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;

	if (argc < 2) {
		fprintf(stderr, "usage: mainexit READY_FILE\n");
		return 99;
	}
	ready = argv[1];
	leader = getpid();
	if (pthread_create(&th, NULL, worker, NULL) != 0)
		return 99;
	pthread_exit(NULL);
}
