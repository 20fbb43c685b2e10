/* Target with a parent and a forked child that grow mappings downwards:
 *
 *   region   64 private anonymous pages, written by the parent before the
 *            fork (64 shared). On SIGUSR1 the parent maps 16 pages right
 *            below it with the same protection and writes the last of
 *            them; the kernel merges the two (it does not merge a child's
 *            forked mapping): the parent's region starts 16 pages lower.
 *   stack    on SIGUSR1 the child grows its [stack] by 400 KiB
 *            (recursion), and waits there.
 *
 * Usage: cowgrow READYFILE. Writes "parent=PID child=PID region=0xADDR"
 * and "ready"; after the growth, "merged" (parent) and "grown" (child).
 * The child dies with the parent. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "targetlib.h"

static const char *ready;
static char *area;

static void on_usr(int sig)
{
	(void)sig;
}

static volatile sig_atomic_t stop;

/* At the bottom of the grown stack: say so and wait there. */
static void settle(void)
{
	say(ready, "grown\n");
	while (!stop)
		pause();
}

/* 100 frames of 4 KiB each, touched: 400 KiB more stack. */
static int grow(int depth)
{
	volatile char frame[4096];

	memset((char *)frame, depth, sizeof(frame));
	if (depth > 0)
		return grow(depth - 1) + frame[1];
	settle();
	return frame[0];
}

int main(int argc, char **argv)
{
	char line[256];
	sigset_t old;
	pid_t parent = getpid(), child;

	if (argc < 2)
		return 99;
	ready = argv[1];
	usr_signals_block(on_usr, &old);
	area = region(64 + 16, 0) + 16 * PAGE;
	/* The 16 pages below stay unmapped until the child maps them. */
	munmap(area - 16 * PAGE, 16 * PAGE);
	for (size_t i = 0; i < 64; i++)
		area[i * PAGE] = 1;
	child = fork();
	if (child < 0)
		return 99;
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		sigsuspend(&old);
		grow(100);
	}
	snprintf(line, sizeof(line), "parent=%d\nchild=%d\nregion=%p\nready\n", (int)parent,
		 (int)child, (void *)area);
	say(argv[1], line);
	sigsuspend(&old);
	if (mmap(area - 16 * PAGE, 16 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return 99;
	/* The same flags as the rest (region() made it MADV_NOHUGEPAGE). */
	madvise(area - 16 * PAGE, 16 * PAGE, MADV_NOHUGEPAGE);
	area[-1] = 1;
	say(argv[1], "merged\n");
	for (;;)
		pause();
}
