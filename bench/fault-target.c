/* Benchmark target for the cost of recording page faults: on each SIGUSR1
 * it maps PAGES fresh anonymous pages, writes one byte in each (PAGES
 * first_touch faults), unmaps them, and appends the time that took in
 * nanoseconds to READY_FILE.times, one line a round.
 *
 * usage: fault-target READY_FILE PAGES
 * Writes "pid=P pages=N\nready\n" to READY_FILE when ready. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char path[4096];
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block, old;
	size_t pages;
	long ps = sysconf(_SC_PAGESIZE);
	FILE *f;

	if (argc < 3 || (pages = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: fault-target READY_FILE PAGES\n");
		return 2;
	}
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	snprintf(path, sizeof(path), "%s.tmp", argv[1]);
	f = fopen(path, "w");
	if (!f || fprintf(f, "pid=%d pages=%zu\nready\n", (int)getpid(), pages) < 0 ||
	    fclose(f) != 0 || rename(path, argv[1]) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s.times", argv[1]);
	for (;;) {
		unsigned long long t0, t1;
		volatile char *p;

		while (!go)
			sigsuspend(&old);
		go = 0;
		t0 = now_ns();
		p = mmap(NULL, pages * (size_t)ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		madvise((void *)p, pages * (size_t)ps, MADV_NOHUGEPAGE);
		for (size_t i = 0; i < pages; i++)
			p[i * (size_t)ps] = 1;
		munmap((void *)p, pages * (size_t)ps);
		t1 = now_ns();
		f = fopen(path, "a");
		if (!f || fprintf(f, "%llu\n", t1 - t0) < 0 || fclose(f) != 0)
			return 1;
	}
}
