/* Target for the live-screen tests.
 *
 *   watch8   8 MiB private anonymous named [anon:watch8]; pages 0, 2, 4, ...
 *            (300 pages) written: exactly 300 resident of 2048.
 *   SIGUSR1  maps a new 2 MiB shared anonymous region (shown as /dev/zero,
 *            never merged with its private neighbours) and writes 17 of its
 *            pages; its address is appended to the ready file as fresh=.
 *   SIGUSR2  exits with status 0.
 *   TUITARGET_COMM in the environment: the process renames itself to it
 *            (to check that the screen escapes what a target controls).
 *
 * Usage: tuitarget READYFILE. Writes KEY=0xADDR lines, then "ready", and
 * waits for signals. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "targetlib.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

#define PAGE 4096UL

static volatile sig_atomic_t got_usr1, got_usr2;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_usr2 = 1;
}

static char *map_named(size_t len, const char *name, int flags)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("tuitarget: mmap");
		exit(99);
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	/* Linux 5.17+ with CONFIG_ANON_VMA_NAME; the tests also know the address. */
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, len, (unsigned long)name);
	return p;
}

int main(int argc, char **argv)
{
	sigset_t old;
	char *watch8, tmp[4200];
	FILE *f;

	if (argc < 2)
		return 99;
	if (getenv("TUITARGET_COMM"))
		prctl(PR_SET_NAME, (unsigned long)getenv("TUITARGET_COMM"), 0, 0, 0);
	usr_signals_block(on_signal, &old);

	watch8 = map_named(8UL << 20, "watch8", MAP_PRIVATE);
	for (unsigned long i = 0; i < 300; i++)
		watch8[i * 2 * PAGE] = 1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 99;
	fprintf(f, "watch8=%p\nready\n", (void *)watch8);
	fclose(f);
	rename(tmp, argv[1]);

	for (;;) {
		sigsuspend(&old);
		if (got_usr2)
			return 0;
		if (got_usr1) {
			char *fresh = map_named(2UL << 20, "fresh", MAP_SHARED);
			got_usr1 = 0;
			for (unsigned long i = 0; i < 17; i++)
				fresh[i * PAGE] = 1;
			f = fopen(argv[1], "a");
			if (!f)
				return 99;
			fprintf(f, "fresh=%p\n", (void *)fresh);
			fclose(f);
		}
	}
}
