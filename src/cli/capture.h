/* Periodic capture: a timeline in JSON Lines (vmatlas snapshot --interval). */
#ifndef VMATLAS_CAPTURE_H
#define VMATLAS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct snapshot_opts;

struct capture_opts {
	const char *output;   /* a file, "-" for standard output */
	bool force;           /* replace an existing file */
	bool gzip;            /* one gzip member per line */
	double interval;      /* seconds between snapshots */
	unsigned long count;  /* 0: until SIGINT/SIGTERM */
	unsigned flags;       /* OUT_* */
	/* Takes each snapshot instead of snapshot_take(PIDS) when set (a
	 * family, whose members change): NULL with errno and *FAILED. */
	struct vm_snapshot *(*take)(void *arg, pid_t *failed);
	void *take_arg;
	bool quiet;           /* no status line on a terminal */
};

/* Take a snapshot of PIDS every interval and append it to the output as one
 * line, each written whole and synced before the next is taken. SIGINT and
 * SIGTERM end the capture after the line in progress. Returns an exit
 * status; messages are printed. */
int capture_timeline(const pid_t *pids, size_t npids, const struct snapshot_opts *so,
		     const struct capture_opts *co);

#endif
