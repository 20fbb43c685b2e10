/* A process whose only thread sleeps uninterruptibly: the parent of a
 * vfork waits in D state (kernel/fork.c wait_for_vfork_done, killable
 * only) until its child execs or exits; here the child sleeps 60 s.
 *
 * usage: dstate READY_FILE
 *
 * The child appends "child=PID" and "ready" to READY_FILE; the process
 * started (the parent) is the one in D state. */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "targetlib.h"

int main(int argc, char **argv)
{
	char line[64];
	pid_t c;

	if (argc < 2) {
		fprintf(stderr, "usage: dstate READY_FILE\n");
		return 99;
	}
	c = vfork();
	if (c == 0) {
		struct timespec d = { 60, 0 };

		snprintf(line, sizeof(line), "child=%d\nready\n", (int)getpid());
		say(argv[1], line);
		nanosleep(&d, NULL);
		_exit(0);
	}
	return c < 0 ? 99 : 0;
}
