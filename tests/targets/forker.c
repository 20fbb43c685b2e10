/* A process tree with known layouts for following tests.
 *
 * usage: forker READY_FILE exit|stay
 *
 * The parent maps a 256-page private anonymous region (between PROT_NONE
 * guards, no THP) and writes 100 of its pages. It forks a child that
 * writes 10 of those pages (10 diverged, 90 shared) and then execs this
 * program again as "forker READY_FILE execd": the new image maps a
 * 64-page region and writes 7 pages of it.
 *   exit: the exec'd child exits at once, and the parent exits once it
 *         has reaped it.
 *   stay: both pause until killed.
 * Each process appends "KEY=VALUE" lines to READY_FILE: "region=0x..
 * parent=PID" from the parent, "execd=0x.. child=PID" from the exec'd
 * child, then "ready" from the parent once the child's line is there. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "targetlib.h"

int main(int argc, char **argv)
{
	char line[256], *r;
	int pfd[2], st;
	pid_t child;

	if (argc < 3 || sysconf(_SC_PAGESIZE) != (long)PAGE) {
		fprintf(stderr, "usage: forker READY_FILE exit|stay (4 KiB pages)\n");
		return 99;
	}
	if (strcmp(argv[2], "execd") == 0 || strcmp(argv[2], "execd-stay") == 0) {
		r = region(64, 7);
		snprintf(line, sizeof(line), "execd=%p child=%d\n", (void *)r, (int)getpid());
		say(argv[1], line);
		if (strcmp(argv[2], "execd") == 0)
			return 0;
		for (;;)
			pause();
	}
	r = region(256, 100);
	snprintf(line, sizeof(line), "region=%p parent=%d\n", (void *)r, (int)getpid());
	say(argv[1], line);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 99;
	child = fork();
	if (child < 0)
		return 99;
	if (child == 0) {
		char *args[] = { argv[0], argv[1],
				 strcmp(argv[2], "stay") == 0 ? "execd-stay" : "execd", NULL };
		for (size_t i = 0; i < 10; i++)
			r[i * 10 * PAGE] = 2;
		if (write(pfd[1], "k", 1) != 1)
			_exit(99);
		/* Let the parent see the diverged pages before the exec. */
		usleep(200 * 1000);
		execv(argv[0], args);
		_exit(99);
	}
	close(pfd[1]);
	if (read(pfd[0], &st, 1) != 1)
		return 99;
	if (strcmp(argv[2], "stay") != 0) {
		waitpid(child, &st, 0);
		say(argv[1], "ready\n");
		return 0;
	}
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(argv[1], "r");
		int found = 0;
		while (f && fgets(line, sizeof(line), f))
			found |= strncmp(line, "execd=", 6) == 0;
		if (f)
			fclose(f);
		if (found)
			break;
		usleep(20 * 1000);
	}
	say(argv[1], "ready\n");
	for (;;)
		pause();
}
