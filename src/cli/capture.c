/* Periodic capture into a JSON Lines timeline (jsonlines.c: every line
 * whole and synced before the next). SIGINT and SIGTERM are blocked while
 * a snapshot is taken and written, and end the capture between
 * snapshots. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "progress.h"
#include "vmatlas/jsonlines.h"
#include "vmatlas/json.h"
#include "vmatlas/piderr.h"
#include "vmatlas/render.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/util.h"

/* The line that ends a capture on a terminal. */
static void summary(struct progress *pg, unsigned long taken, const struct jsonlines *out,
		    const char *path)
{
	char *e = escape_untrusted(jsonlines_is_file(out) ? path : "standard output");
	char el[32], sz[16];

	progress_end(pg, "%lu snapshot%s written to %s (%s) in %s", taken, taken == 1 ? "" : "s",
		     e ? e : "?", fmt_kb(sz, sizeof(sz), out->bytes / 1024),
		     progress_elapsed(pg, el, sizeof(el)));
	free(e);
}

int capture_timeline(const pid_t *pids, size_t npids, const struct snapshot_opts *so,
		     const struct capture_opts *co)
{
	sigset_t stop, old;
	struct timespec next;
	unsigned long taken = 0;
	struct jsonlines out;
	struct progress pg;
	char el[32], sz[16];
	int r, ret = 1;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);

	r = jsonlines_open(&out, co->output, co->force, co->gzip);
	if (r < 0) {
		cmd_output_error(co->output, r);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 1;
	}
	progress_init(&pg, co->quiet);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		pid_t failed = 0;
		struct vm_snapshot *s = co->take ? co->take(co->take_arg, &failed)
					       : snapshot_take(pids, npids, so, &failed);
		json_t *doc;
		siginfo_t si;
		struct timespec now, wait;

		if (!s) {
			char msg[512];
			progress_clear(&pg);
			pid_error_describe(failed, errno, msg, sizeof(msg));
			vm_error("%s (after %lu snapshot%s)", msg, taken, taken == 1 ? "" : "s");
			goto out;
		}
		doc = snapshot_to_json(s, co->flags);
		vm_snapshot_free(s);
		r = doc ? jsonlines_append(&out, doc) : -ENOMEM;
		json_decref(doc);
		if (r < 0) {
			progress_clear(&pg);
			vm_error("cannot write %s: %s",
				 jsonlines_is_file(&out) ? "the timeline" : "standard output", strerror(-r));
			goto out;
		}
		taken++;
		if (co->count && taken >= co->count)
			break;
		if (co->count)
			progress_status(&pg, true, "%lu of %lu snapshots, %s written in %s; the next in %.1f s",
					taken, co->count, fmt_kb(sz, sizeof(sz), out.bytes / 1024),
					progress_elapsed(&pg, el, sizeof(el)), co->interval);
		else
			progress_status(&pg, true, "%lu snapshot%s, %s written in %s; the next in %.1f s "
					"(Ctrl-C stops)", taken, taken == 1 ? "" : "s",
					fmt_kb(sz, sizeof(sz), out.bytes / 1024),
					progress_elapsed(&pg, el, sizeof(el)), co->interval);
		/* Next tick on a fixed schedule, so that a slow snapshot does
		 * not shift every later one. */
		next.tv_sec += (time_t)co->interval;
		next.tv_nsec += (long)((co->interval - (double)(time_t)co->interval) * 1e9);
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		wait.tv_sec = next.tv_sec - now.tv_sec;
		wait.tv_nsec = next.tv_nsec - now.tv_nsec;
		if (wait.tv_nsec < 0) {
			wait.tv_sec--;
			wait.tv_nsec += 1000000000L;
		}
		if (wait.tv_sec < 0) {
			wait.tv_sec = 0;
			wait.tv_nsec = 0;
			next = now;
		}
		r = sigtimedwait(&stop, &si, &wait);
		if (r > 0)
			break; /* asked to stop: every line so far is whole */
		if (r < 0 && errno != EAGAIN && errno != EINTR) {
			vm_error("cannot wait: %s", strerror(errno));
			goto out;
		}
	}
	ret = 0;
	summary(&pg, taken, &out, co->output);
out:
	progress_clear(&pg);
	r = jsonlines_close(&out);
	if (r < 0 && ret == 0) {
		vm_error("cannot write the timeline: %s", strerror(-r));
		ret = 1;
	}
	{
		/* A stop asked for while the last line was written has been
		 * honoured: consume it rather than die of it on unblocking. */
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&stop, NULL, &zero) > 0)
			;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}
