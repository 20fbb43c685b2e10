/* A target that keeps changing under a snapshot.
 *
 *   churn READYFILE threads   start and join short-lived threads forever
 *                             (each maps and unmaps 64 KiB and exits)
 *   churn READYFILE exec N    exec itself every 20 ms, N times, then sleep
 *   churn READYFILE exit MS   exit after MS milliseconds
 *
 * Writes "ready" to READYFILE first (once, before any exec). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void *short_thread(void *arg)
{
	char *p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED) {
		memset(p, 1, 64 << 10);
		munmap(p, 64 << 10);
	}
	return arg;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	char tmp[4200];
	FILE *f;

	if (argc < 3)
		return 99;
	if (!getenv("CHURN_EXECED")) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
		f = fopen(tmp, "w");
		if (!f)
			return 99;
		fprintf(f, "ready\n");
		fclose(f);
		rename(tmp, argv[1]);
	}
	if (strcmp(argv[2], "threads") == 0) {
		for (;;) {
			pthread_t t[4];
			for (int i = 0; i < 4; i++)
				pthread_create(&t[i], NULL, short_thread, NULL);
			for (int i = 0; i < 4; i++)
				pthread_join(t[i], NULL);
		}
	}
	if (strcmp(argv[2], "exec") == 0 && argc > 3) {
		int n = atoi(argv[3]);
		char next[16];

		if (n <= 0)
			for (;;)
				pause();
		sleep_ms(20);
		snprintf(next, sizeof(next), "%d", n - 1);
		setenv("CHURN_EXECED", "1", 1);
		execl("/proc/self/exe", argv[0], argv[1], "exec", next, (char *)NULL);
		return 99;
	}
	if (strcmp(argv[2], "exit") == 0 && argc > 3) {
		sleep_ms(atol(argv[3]));
		return 0;
	}
	return 99;
}
