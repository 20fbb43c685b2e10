/* Target for recording the faults of every thread: two threads exist
 * before it says ready, two more start on SIGUSR1; each runs
 * thread_touch() over a fresh 1000-page region (4000 first_touch in all).
 *
 * usage: faultthreads READY_FILE
 * Writes "pid=P\nready\n", then "done" after the four threads ended. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "targetlib.h"

#define PAGES 1000

static volatile sig_atomic_t go;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int started;

static void on_signal(int sig)
{
	(void)sig;
	go = 1;
}

static void __attribute__((noinline)) thread_touch(volatile char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i * PAGE] = 1;
}

static void *worker(void *arg)
{
	char *p = region(PAGES, 0);

	(void)arg;
	pthread_mutex_lock(&lock);
	while (!started)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	thread_touch(p, PAGES);
	return NULL;
}

int main(int argc, char **argv)
{
	char tmp[4096];
	pthread_t t[4];
	sigset_t old;
	FILE *f;

	if (argc < 2 || sysconf(_SC_PAGESIZE) != (long)PAGE) {
		fprintf(stderr, "usage: faultthreads READY_FILE (4 KiB pages)\n");
		return 99;
	}
	usr_signals_block(on_signal, &old);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 99;
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "pid=%d\nready\n", (int)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, argv[1]) < 0)
		return 99;
	while (!go)
		sigsuspend(&old);
	for (int i = 2; i < 4; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 99;
	pthread_mutex_lock(&lock);
	started = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	say(argv[1], "done\n");
	for (;;)
		pause();
}
