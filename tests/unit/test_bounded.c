/* bounded_run and its halves: work that finishes in time is waited for;
 * work that does not is given up at the deadline, and its results are
 * dropped by the worker when it returns; steps reset the deadline; a quit
 * signal ends the wait. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vmatlas/util.h"
#include "check.h"

struct work {
	unsigned sleep_ms, steps;
	size_t done;
	int ran;
	int *dropped; /* outlives the work */
};

static void nap(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static void work_run(void *arg)
{
	struct work *w = arg;

	for (unsigned i = 0; i < (w->steps ? w->steps : 1); i++) {
		nap(w->sleep_ms);
		__atomic_store_n(&w->done, i + 1, __ATOMIC_RELEASE);
	}
	w->ran = 1;
}

static void work_drop(void *arg)
{
	struct work *w = arg;

	__atomic_add_fetch(w->dropped, 1, __ATOMIC_SEQ_CST);
	free(w);
}

static struct work *work_new(unsigned sleep_ms, unsigned steps, int *dropped)
{
	struct work *w = calloc(1, sizeof(*w));

	w->sleep_ms = sleep_ms;
	w->steps = steps;
	w->dropped = dropped;
	return w;
}

static unsigned ms_since(uint64_t t0)
{
	return (unsigned)((vm_now_ns() - t0) / 1000000u);
}

int main(void)
{
	int dropped = 0;
	struct work *w;
	struct bounded *b;
	uint64_t t0;
	int r;

	/* In time: 0, the results are the caller's, nothing dropped. */
	w = work_new(10, 1, &dropped);
	CHECK_EQ_U64(bounded_run(work_run, work_drop, w, 2000), 0);
	CHECK_EQ_U64(w->ran, 1);
	free(w);

	/* Late: given up at the deadline; the worker drops it when done. */
	w = work_new(400, 1, &dropped);
	t0 = vm_now_ns();
	r = bounded_run(work_run, work_drop, w, 100);
	CHECK_EQ_U64(r, (unsigned long long)-ETIMEDOUT);
	CHECK(ms_since(t0) >= 100 && ms_since(t0) < 350);
	CHECK_EQ_U64(__atomic_load_n(&dropped, __ATOMIC_SEQ_CST), 0);
	/* Meanwhile another job runs on another worker. */
	w = work_new(10, 1, &dropped);
	CHECK_EQ_U64(bounded_run(work_run, work_drop, w, 2000), 0);
	free(w);
	nap(500);
	CHECK_EQ_U64(__atomic_load_n(&dropped, __ATOMIC_SEQ_CST), 1);

	/* Steps of 60 ms under a 150 ms deadline: 6 of them (360 ms) finish. */
	w = work_new(60, 6, &dropped);
	CHECK_EQ_U64(bounded_run_progress(work_run, work_drop, w, 150, &w->done), 0);
	CHECK_EQ_U64(w->done, 6);
	free(w);
	/* A step of 300 ms under the same deadline does not. */
	w = work_new(300, 2, &dropped);
	CHECK_EQ_U64(bounded_run_progress(work_run, work_drop, w, 150, &w->done),
		     (unsigned long long)-ETIMEDOUT);
	nap(800);
	CHECK_EQ_U64(__atomic_load_n(&dropped, __ATOMIC_SEQ_CST), 2);

	/* Halves: work meanwhile, then wait; abandoning finished work drops
	 * it here, unfinished work on the worker. */
	w = work_new(50, 1, &dropped);
	b = bounded_start(work_run, work_drop, w);
	CHECK(b != NULL);
	nap(100);
	t0 = vm_now_ns();
	CHECK_EQ_U64(bounded_wait(b, 1000, NULL), 0);
	CHECK(ms_since(t0) < 50);
	free(w);
	w = work_new(10, 1, &dropped);
	b = bounded_start(work_run, work_drop, w);
	nap(100);
	bounded_abandon(b);
	CHECK_EQ_U64(__atomic_load_n(&dropped, __ATOMIC_SEQ_CST), 3);
	w = work_new(200, 1, &dropped);
	b = bounded_start(work_run, work_drop, w);
	bounded_abandon(b);
	CHECK_EQ_U64(__atomic_load_n(&dropped, __ATOMIC_SEQ_CST), 3);
	nap(400);
	CHECK_EQ_U64(__atomic_load_n(&dropped, __ATOMIC_SEQ_CST), 4);

	/* A quit signal ends the wait within a slice (50 ms), not at the
	 * deadline. */
	vm_signals_install();
	w = work_new(1000, 1, &dropped);
	b = bounded_start(work_run, work_drop, w);
	t0 = vm_now_ns();
	kill(getpid(), SIGTERM);
	CHECK_EQ_U64(bounded_wait(b, 5000, NULL), (unsigned long long)-EINTR);
	CHECK(ms_since(t0) < 200);
	return check_failures ? 1 : 0;
}
