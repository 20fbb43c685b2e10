/* vmatlas-demo: a program that builds the textbook address space and keeps
 * it moving, for `vmatlas demo`.
 *
 *   text    this code                 data  demo_data (64 KiB, initialised)
 *   rodata  demo_banner               bss   demo_bss (4 MiB, zeroed, half written)
 *   heap    grows by 64 KiB a second (brk), up to 8 MiB
 *   mmap    a 1 MiB file (unlinked: shown as deleted), a 32 MiB anonymous
 *           "cow arena", a 4 MiB region paged out to swap when swap exists
 *   thread  one thread with its own stack
 *   fork    three workers, like a prefork server's: every 100 ms worker 1
 *           writes 32 pages of the cow arena, worker 2 8 pages and worker 3
 *           2 (and each one page of demo_data a second): copy-on-write
 *           divergence grows at three paces until each worker owns the
 *           whole arena.
 *
 * It tells its launcher "ready PARENT CHILD" (CHILD: worker 1) on the file
 * descriptor named by VMATLAS_DEMO_READY_FD, and runs until killed (it and
 * its workers die with its launcher). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGE 4096
#define ARENA_PAGES 8192
#define SWAP_PAGES 1024

const char demo_banner[] = "vmatlas demo: the textbook address space, live";
int demo_data[64 * 1024 / sizeof(int)] = { 1 };
static char demo_bss[4 << 20];

/* Anonymous memory between two PROT_NONE pages: never merged with a
 * neighbour, so each region stays its own mapping on the screen. */
static char *map_anon(size_t len)
{
	char *g = mmap(NULL, len + 2 * PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g == MAP_FAILED)
		return MAP_FAILED;
	return mmap(g + PAGE, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void *demo_thread(void *arg)
{
	volatile char frame[16 * 1024]; /* a visible thread stack */

	memset((char *)frame, 1, sizeof(frame));
	for (;;)
		pause();
	return arg;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int swap_enabled(void)
{
	FILE *f = fopen("/proc/swaps", "r");
	char line[256];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1; /* a header line, then one line a swap area */
}

static char *map_file(void)
{
	char path[] = "/tmp/vmatlas-demo.XXXXXX";
	int fd = mkstemp(path);
	char *p;

	if (fd < 0)
		return NULL;
	unlink(path); /* nothing left behind: the mapping keeps it alive */
	if (ftruncate(fd, 1 << 20) < 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	for (int i = 0; i < 64; i++)
		p[i * PAGE] = 'v';
	return p;
}

#define WORKERS 3
/* Pages each worker writes every 100 ms. */
static const unsigned long worker_pace[WORKERS] = { 32, 8, 2 };

static void child_loop(char *arena, int n)
{
	unsigned long pace = worker_pace[n];
	char name[16];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(name, sizeof(name), "vmatlas-demo-w%d", n + 1);
	prctl(PR_SET_NAME, name);
	for (unsigned long tick = 0;; tick++) {
		unsigned long first = (tick * pace) % (ARENA_PAGES + pace * 20);

		/* Write PACE pages, then after the arena is fully owned pause
		 * for 20 ticks and start again over the (now private) pages. */
		for (unsigned long i = first; i < first + pace && i < ARENA_PAGES; i++)
			arena[i * PAGE] = (char)tick;
		if (tick % 10 == 0)
			demo_data[(tick / 10 * PAGE / sizeof(int)) % (sizeof(demo_data) / sizeof(int))] = (int)tick;
		sleep_ms(100);
	}
}

int main(void)
{
	const char *fdenv = getenv("VMATLAS_DEMO_READY_FD");
	char *arena, *swapped, *file;
	pthread_t th;
	pid_t child = 0, w;
	size_t heap = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(demo_bss, 'b', sizeof(demo_bss) / 2);
	for (size_t i = 0; i < sizeof(demo_data) / sizeof(int); i += PAGE / sizeof(int))
		demo_data[i] = (int)i;

	arena = map_anon((size_t)ARENA_PAGES * PAGE);
	swapped = map_anon((size_t)SWAP_PAGES * PAGE);
	if (arena == MAP_FAILED || swapped == MAP_FAILED) {
		perror("vmatlas-demo: mmap");
		return 1;
	}
	memset(arena, 'a', (size_t)ARENA_PAGES * PAGE);
	memset(swapped, 's', (size_t)SWAP_PAGES * PAGE);
	if (swap_enabled())
		madvise(swapped, (size_t)SWAP_PAGES * PAGE / 2, MADV_PAGEOUT);
	file = map_file();
	if (pthread_create(&th, NULL, demo_thread, NULL) != 0) {
		fprintf(stderr, "vmatlas-demo: cannot start a thread\n");
		return 1;
	}

	for (int i = 0; i < WORKERS; i++) {
		w = fork();
		if (w < 0) {
			perror("vmatlas-demo: fork");
			return 1;
		}
		if (w == 0)
			child_loop(arena, i);
		if (i == 0)
			child = w;
	}

	if (fdenv) {
		int fd = atoi(fdenv);
		dprintf(fd, "ready %d %d\n", (int)getpid(), (int)child);
		close(fd);
	} else {
		printf("vmatlas-demo: parent %d, child %d (%s)\n", (int)getpid(), (int)child,
		       demo_banner);
		fflush(stdout);
	}

	/* The parent grows its heap and keeps its file mapping warm. */
	for (;;) {
		if (heap < (8u << 20)) {
			char *p = malloc(60 * 1024); /* below the mmap threshold: brk */
			if (p)
				memset(p, 'h', 60 * 1024);
			heap += 64 * 1024;
		}
		if (file)
			file[(heap / PAGE % 256) * PAGE] = 'w';
		if (waitpid(-1, NULL, WNOHANG) > 0)
			return 0;
		sleep_ms(1000);
	}
}
