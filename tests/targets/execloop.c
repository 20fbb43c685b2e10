/* A process whose second thread execs it again, over and over.
 *
 * usage: execloop READY_FILE [GENERATION]
 *
 * Each image writes "gen=GENERATION" over READY_FILE.gen, starts a thread
 * that waits 20 ms and execs this program with GENERATION + 1 (so the
 * thread that execs is never the leader), and waits. The first image
 * appends "ready" to READY_FILE. The pid stays the same throughout. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "targetlib.h"

static char **args;
static char self[4096];
static unsigned long gen;

static void *exec_again(void *arg)
{
	struct timespec d = { 0, 20000000 };
	char next[32];

	(void)arg;
	nanosleep(&d, NULL);
	snprintf(next, sizeof(next), "%lu", gen + 1);
	execl(self, "execloop", args[1], next, (char *)NULL);
	_exit(98);
}

int main(int argc, char **argv)
{
	char path[4096], line[64];
	pthread_t th;
	int fd, len;

	if (argc < 2) {
		fprintf(stderr, "usage: execloop READY_FILE [GENERATION]\n");
		return 99;
	}
	args = argv;
	/* By its path: exec'd through /proc/self/exe its name would be "exe". */
	len = (int)readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return 99;
	self[len] = '\0';
	gen = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	snprintf(path, sizeof(path), "%s.gen", argv[1]);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	len = snprintf(line, sizeof(line), "gen=%020lu\n", gen);
	if (fd < 0 || pwrite(fd, line, (size_t)len, 0) != len)
		return 99;
	close(fd);
	if (gen == 0)
		say(argv[1], "ready\n");
	if (pthread_create(&th, NULL, exec_again, NULL) != 0)
		return 99;
	for (;;)
		pause();
}
