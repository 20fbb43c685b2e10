/* Benchmark target: N GiB of written private anonymous memory (4 KiB pages),
 * a forked child that rewrites every 8th page, and a thread that maps and
 * unmaps 64 KiB in a loop and records its slowest round (the stall a reader
 * of this process's page tables can cause through the mmap lock).
 *
 * usage: bench-target READY_FILE GIB [--no-fork] [--reserve] [--workers N]
 *   --reserve  also reserve 1 TiB PROT_NONE, never touched
 *   --workers  fork N children (a prefork family), child i rewriting every
 *              8th page from page i % 8
 * SIGUSR1 resets the worst stall; SIGUSR2 writes it (nanoseconds) to
 * READY_FILE.stall. READY_FILE gets "parent=PID child=PID addr=0x..
 * pages=N\nready\n" (child=0 with --no-fork). Runs until killed; the child
 * dies with it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static atomic_int want_reset, want_dump;
static const char *ready;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		atomic_store(&want_reset, 1);
	else
		atomic_store(&want_dump, 1);
}

static int write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

/* Only the mmap/write/munmap round is timed, not the pause after it. */
static void *stall_loop(void *arg)
{
	uint64_t worst = 0;
	char path[4096], buf[64];

	(void)arg;
	snprintf(path, sizeof(path), "%s.stall", ready);
	for (;;) {
		uint64_t t0 = now_ns(), dt;
		char *p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED) {
			p[0] = 1;
			munmap(p, 16 * PAGE);
		}
		dt = now_ns() - t0;
		if (atomic_exchange(&want_reset, 0))
			worst = 0;
		else if (dt > worst)
			worst = dt;
		if (atomic_exchange(&want_dump, 0)) {
			snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)worst);
			write_file(path, buf);
		}
		nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	bool fork_child = true, reserve = false;
	size_t len, npages;
	volatile char *m;
	pthread_t th;
	char text[256];
	pid_t child = 0, w;
	int pfd[2], workers = 1;

	if (argc < 3 || sysconf(_SC_PAGESIZE) != (long)PAGE) {
		fprintf(stderr, "usage: bench-target READY_FILE GIB [--no-fork] [--reserve] [--workers N]\n");
		return 2;
	}
	ready = argv[1];
	len = (size_t)(strtod(argv[2], NULL) * (1UL << 30)) / PAGE * PAGE;
	for (int i = 3; i < argc; i++) {
		fork_child &= strcmp(argv[i], "--no-fork") != 0;
		reserve |= strcmp(argv[i], "--reserve") == 0;
		if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
			workers = atoi(argv[++i]);
	}
	npages = len / PAGE;
	if (reserve && mmap(NULL, 1UL << 40, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_NORESERVE, -1, 0) == MAP_FAILED) {
		perror("bench-target: reserve");
		return 1;
	}
	m = len ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0) : NULL;
	if (m == MAP_FAILED) {
		perror("bench-target: mmap");
		return 1;
	}
	if (len)
		madvise((void *)m, len, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < npages; i++)
		m[i * PAGE] = 1;
	if (fork_child && npages && pipe(pfd) < 0)
		return 1;
	for (int k = 0; fork_child && npages && k < workers; k++) {
		char c;
		if ((w = fork()) < 0) {
			perror("bench-target: fork");
			return 1;
		}
		if (w == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (size_t i = (size_t)k % 8; i < npages; i += 8)
				m[i * PAGE] = 2;
			if (write(pfd[1], "k", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		if (read(pfd[0], &c, 1) != 1)
			return 1;
		if (k == 0)
			child = w;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	if (pthread_create(&th, NULL, stall_loop, NULL) != 0)
		return 1;
	snprintf(text, sizeof(text), "parent=%d child=%d addr=%p pages=%zu\nready\n",
		 (int)getpid(), (int)child, (void *)m, npages);
	if (write_file(ready, text) < 0) {
		perror("bench-target: ready file");
		return 1;
	}
	for (;;)
		pause();
}
