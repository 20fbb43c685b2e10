/* Target with known page faults for the fault recording tests.
 *
 * usage: faulter READY_FILE DATA_FILE [swap]
 *
 * Before it says ready: a 500-page private region S is written, then a
 * child is forked (both share S's pages). On SIGUSR1 the parent runs
 * touch_pages() over a fresh 2000-page region A (2000 first_touch faults),
 * read_file() over DATA_FILE mapped read-only (file faults; fault-around
 * makes them fewer than its pages), and parent_writes() over the first 100
 * pages of S (100 cow), then sends SIGUSR2 to the child. The child runs
 * cow_writes() over all 500 pages of S (500 cow faults), then forks a
 * grandchild whose grandchild_touch() writes a fresh 300-page region G
 * (300 first_touch). Each process stays until the parent dies. When all is
 * done the parent appends "done" to READY_FILE.
 *
 * With "swap", a 200-page region W is written and paged out
 * (MADV_PAGEOUT) before ready, and read back by swap_reads() first on
 * SIGUSR1 (200 swap_in faults; "w_resident=N" says how many pages are not
 * swapped, from pagemap).
 *
 * Writes "parent=P child=C a=0x.. s=0x.. f=0x.. g=0x..\nready\n" first. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "targetlib.h"

#define A_PAGES 2000
#define S_PAGES 500
#define P_PAGES 100
#define G_PAGES 300
#define W_PAGES 200

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
	got = sig;
}

/* Called first by each faulting function: a function that calls sets up
 * its frame pointer at entry (gcc leaves it out of a leaf even with
 * -fno-omit-frame-pointer), so call chains name the caller. */
static void __attribute__((noinline)) enter(void)
{
	__asm__ volatile("");
}

static void __attribute__((noinline)) touch_pages(volatile char *p, size_t n)
{
	enter();
	for (size_t i = 0; i < n; i++)
		p[i * PAGE] = 1;
}

static unsigned __attribute__((noinline)) read_file(const volatile char *p, size_t n)
{
	unsigned sum = 0;

	enter();

	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)p[i * PAGE];
	return sum;
}

static void __attribute__((noinline)) parent_writes(volatile char *p, size_t n)
{
	enter();
	for (size_t i = 0; i < n; i++)
		p[i * PAGE] = 3;
}

static void __attribute__((noinline)) cow_writes(volatile char *p, size_t n)
{
	enter();
	for (size_t i = 0; i < n; i++)
		p[i * PAGE] = 2;
}

static void __attribute__((noinline)) grandchild_touch(volatile char *p, size_t n)
{
	enter();
	for (size_t i = 0; i < n; i++)
		p[i * PAGE] = 4;
}

/* Unlike read_file(), so that the compiler does not fold the two. */
static unsigned __attribute__((noinline)) swap_reads(const volatile char *p, size_t n)
{
	unsigned x = 1;

	enter();

	for (size_t i = 0; i < n; i++)
		x = x * 31 + (unsigned char)p[i * PAGE];
	return x;
}

static void wait_for(int sig, const sigset_t *old)
{
	while (got != sig)
		sigsuspend(old);
	got = 0;
}

int main(int argc, char **argv)
{
	char tmp[4096], line[512];
	sigset_t old;
	struct stat st;
	char *a, *s, *g, *fm, *w = NULL;
	bool swap = argc > 3 && strcmp(argv[3], "swap") == 0;
	uint64_t ent[W_PAGES];
	int resident = 0;
	pid_t parent = getpid(), child;
	int pfd[2], fd;
	FILE *f;
	char c;

	if (argc < 3 || sysconf(_SC_PAGESIZE) != (long)PAGE || pipe(pfd) < 0) {
		fprintf(stderr, "usage: faulter READY_FILE DATA_FILE (4 KiB pages)\n");
		return 99;
	}
	usr_signals_block(on_signal, &old);
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < (off_t)PAGE) {
		perror("faulter: data file");
		return 99;
	}
	fm = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fm == MAP_FAILED)
		return 99;
	a = region(A_PAGES, 0);
	g = region(G_PAGES, 0);
	s = region(S_PAGES, S_PAGES);
	if (swap) {
		w = region(W_PAGES, W_PAGES);
		int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

		if (madvise(w, W_PAGES * PAGE, MADV_PAGEOUT) < 0 || pm < 0 ||
		    pread(pm, ent, sizeof(ent), (off_t)((uintptr_t)w / PAGE * 8)) != sizeof(ent)) {
			perror("faulter: MADV_PAGEOUT");
			return 99;
		}
		close(pm);
		/* pagemap bit 62: swapped (the PTE holds a swap entry) */
		for (size_t i = 0; i < W_PAGES; i++)
			resident += !((ent[i] >> 62) & 1);
	}
	child = fork();
	if (child < 0)
		return 99;
	if (child == 0) {
		pid_t gc;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		wait_for(SIGUSR2, &old);
		cow_writes(s, S_PAGES);
		gc = fork();
		if (gc == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			grandchild_touch(g, G_PAGES);
			snprintf(line, sizeof(line), "grandchild=%d\n", (int)getpid());
			say(argv[1], line);
			if (write(pfd[1], "g", 1) != 1)
				_exit(99);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "parent=%d child=%d a=%p s=%p f=%p g=%p w=%p\nw_resident=%d\nready\n",
			  (int)parent, (int)child, (void *)a, (void *)s, (void *)fm, (void *)g,
			  (void *)w, resident) < 0 ||
	    fclose(f) != 0 || rename(tmp, argv[1]) < 0) {
		perror("faulter: ready file");
		return 99;
	}
	wait_for(SIGUSR1, &old);
	if (swap && swap_reads(w, W_PAGES) == 12345678)
		say(argv[1], "sum\n");
	touch_pages(a, A_PAGES);
	if (read_file(fm, (size_t)st.st_size / PAGE) == 12345678)
		say(argv[1], "sum\n");
	parent_writes(s, P_PAGES);
	kill(child, SIGUSR2);
	if (read(pfd[0], &c, 1) != 1)
		return 99;
	say(argv[1], "done\n");
	for (;;)
		pause();
}
