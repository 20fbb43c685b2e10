/* Target with a known copy-on-write layout for the COW comparison tests.
 *
 * usage: cow READY_FILE [W]
 *
 * One private anonymous mapping of W + 80 pages (4 KiB, no THP; W is 1000
 * unless given):
 *   pages 0..W-1:     written by the parent before fork; after it the child
 *                     rewrites every 8th one: ceil(W / 8) diverged (125 of
 *                     1000), the others shared (875);
 *   the next 10:      written by the child only: 10 child_only;
 *   the next 20:      written by the parent only, after fork: 20 parent_only;
 *   the last 50:      never touched: 50 neither.
 *
 * When run as root it first drops to uid/gid 65534, so a test can read it
 * both with PFNs (as root) and without (as that user).
 * Writes "parent=PID child=PID addr=0x.. pages=W+80\nready\n" to READY_FILE
 * (through a rename) and pauses; the child dies with the parent. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define PAGE 4096UL

int main(int argc, char **argv)
{
	char tmp[4096], c;
	volatile char *m;
	int pfd[2];
	pid_t parent = getpid(), child;
	size_t w = 1000, npages;
	FILE *f;

	if (argc > 2)
		w = strtoul(argv[2], NULL, 10);
	npages = w + 80;
	if (argc < 2 || w == 0 || sysconf(_SC_PAGESIZE) != (long)PAGE || pipe(pfd) < 0) {
		fprintf(stderr, "usage: cow READY_FILE [W] (4 KiB pages)\n");
		return 99;
	}
	if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0)) {
		perror("cow: setuid");
		return 99;
	}
	/* setuid cleared it; pagemap readers need a dumpable target. */
	prctl(PR_SET_DUMPABLE, 1);
	m = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("cow: mmap");
		return 99;
	}
	madvise((void *)m, npages * PAGE, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < w; i++)
		m[i * PAGE] = 1;
	child = fork();
	if (child < 0) {
		perror("cow: fork");
		return 99;
	}
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (size_t i = 0; i < w; i += 8)
			m[i * PAGE] = 2;
		for (size_t i = w; i < w + 10; i++)
			m[i * PAGE] = 2;
		if (write(pfd[1], "k", 1) != 1)
			_exit(99);
		for (;;)
			pause();
	}
	if (read(pfd[0], &c, 1) != 1)
		return 99;
	for (size_t i = w + 10; i < w + 30; i++)
		m[i * PAGE] = 3;
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "parent=%d child=%d addr=%p pages=%zu\nready\n",
			  (int)parent, (int)child, (void *)m, npages) < 0 ||
	    fclose(f) != 0 || rename(tmp, argv[1]) < 0) {
		perror("cow: ready file");
		kill(child, SIGKILL);
		return 99;
	}
	for (;;)
		pause();
}
