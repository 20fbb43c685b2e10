/* Work that may never return (a read of a file whose server hangs), run
 * on a worker thread and waited for only until a deadline (util.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "vmatlas/util.h"

struct bjob {
	void (*fn)(void *);
	void (*drop)(void *);
	void *arg;
	bool done, abandoned;
};

struct bworker {
	pthread_cond_t cv;    /* a job was given */
	struct bjob *job;
	struct bworker *next; /* on the idle list */
};

/* One lock for all: the workers, the idle list, every job's state. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static struct bworker *idle;
static size_t nidle;
#define BOUNDED_IDLE_MAX 4

static void *worker_main(void *arg)
{
	struct bworker *w = arg;

	pthread_mutex_lock(&mu);
	for (;;) {
		struct bjob *j;

		while (!w->job)
			pthread_cond_wait(&w->cv, &mu);
		j = w->job;
		pthread_mutex_unlock(&mu);
		j->fn(j->arg);
		pthread_mutex_lock(&mu);
		w->job = NULL;
		if (j->abandoned) {
			/* The caller gave up on it: its results are ours to free,
			 * and this worker, replaced meanwhile, ends. */
			j->drop(j->arg);
			free(j);
			break;
		}
		j->done = true;
		pthread_cond_broadcast(&done_cv);
		if (nidle >= BOUNDED_IDLE_MAX)
			break;
		w->next = idle;
		idle = w;
		nidle++;
	}
	pthread_mutex_unlock(&mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	return NULL;
}

/* An idle worker, or a new one (NULL if none can be made). Called locked. */
static struct bworker *worker_get(void)
{
	struct bworker *w = idle;
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t th;
	int r;

	if (w) {
		idle = w->next;
		nidle--;
		return w;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	pthread_cond_init(&w->cv, NULL);
	if (pthread_attr_init(&attr) != 0) {
		free(w);
		return NULL;
	}
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Signals are the main thread's (the quit flag, the terminal). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&th, &attr, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		pthread_cond_destroy(&w->cv);
		free(w);
		return NULL;
	}
	return w;
}

void bounded_warm(void)
{
	struct bworker *w;

	pthread_mutex_lock(&mu);
	if (!idle && (w = worker_get())) {
		w->next = idle;
		idle = w;
		nidle++;
	}
	pthread_mutex_unlock(&mu);
}

struct bounded *bounded_start(void (*fn)(void *), void (*drop)(void *), void *arg)
{
	struct bworker *w;
	struct bjob *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	*j = (struct bjob){ fn, drop, arg, false, false };
	pthread_mutex_lock(&mu);
	w = worker_get();
	if (!w) {
		/* No thread to spare: run it here, unbounded. */
		pthread_mutex_unlock(&mu);
		fn(arg);
		j->done = true;
		return (struct bounded *)j;
	}
	w->job = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&mu);
	return (struct bounded *)j;
}

int bounded_wait(struct bounded *b, unsigned timeout_ms, const size_t *progress)
{
	struct bjob *j = (struct bjob *)b;
	size_t seen = progress ? __atomic_load_n(progress, __ATOMIC_ACQUIRE) : 0;
	uint64_t end = vm_now_ns() + (uint64_t)timeout_ms * 1000000u, now;

	pthread_mutex_lock(&mu);
	/* In slices of 50 ms: a quit signal does not wake a condition wait. */
	while (!j->done && !vm_should_quit() && (now = vm_now_ns()) < end) {
		uint64_t until = end - now > 50000000u ? now + 50000000u : end;
		struct timespec dl = { (time_t)(until / 1000000000u), (long)(until % 1000000000u) };

		pthread_cond_clockwait(&done_cv, &mu, CLOCK_MONOTONIC, &dl);
		/* Work in steps: the deadline is for each step. */
		if (progress && __atomic_load_n(progress, __ATOMIC_ACQUIRE) != seen) {
			seen = __atomic_load_n(progress, __ATOMIC_ACQUIRE);
			end = vm_now_ns() + (uint64_t)timeout_ms * 1000000u;
		}
	}
	if (j->done) {
		pthread_mutex_unlock(&mu);
		free(j);
		return 0;
	}
	j->abandoned = true;
	pthread_mutex_unlock(&mu);
	return vm_should_quit() ? -EINTR : -ETIMEDOUT;
}

void bounded_abandon(struct bounded *b)
{
	struct bjob *j = (struct bjob *)b;

	pthread_mutex_lock(&mu);
	if (!j->done) {
		j->abandoned = true; /* the worker drops it */
		pthread_mutex_unlock(&mu);
		return;
	}
	pthread_mutex_unlock(&mu);
	j->drop(j->arg);
	free(j);
}

int bounded_run_progress(void (*fn)(void *), void (*drop)(void *), void *arg, unsigned timeout_ms,
			 const size_t *progress)
{
	struct bounded *b = bounded_start(fn, drop, arg);

	return b ? bounded_wait(b, timeout_ms, progress) : -ENOMEM;
}

int bounded_run(void (*fn)(void *), void (*drop)(void *), void *arg, unsigned timeout_ms)
{
	return bounded_run_progress(fn, drop, arg, timeout_ms, NULL);
}
