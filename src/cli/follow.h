/* Snapshots of a program vmatlas launches, and of the processes it forks:
 * at each traced process's exit (its memory still mapped) and/or at an
 * interval, as JSON Lines. */
#ifndef VMATLAS_FOLLOW_H
#define VMATLAS_FOLLOW_H

#include <stdbool.h>

struct snapshot_opts;
struct cmd_out;

struct follow_opts {
	bool forks;          /* follow forked children into the snapshots */
	bool at_exit;        /* a snapshot at each followed process's exit */
	double interval;     /* > 0: a snapshot every INTERVAL seconds */
	unsigned long count; /* > 0: stop after COUNT snapshots */
	bool gzip;           /* one gzip member per line (FILE.gz) */
	bool quiet;          /* no status line on a terminal */
};

/* Launch ARGV under the tracer (it dies with vmatlas) and write the
 * snapshots to O->path, one compact document per line, each written and
 * synced as it is taken. Returns an exit status; messages are printed. */
int follow_launch(char *const argv[], const struct follow_opts *fo,
		  const struct snapshot_opts *so, const struct cmd_out *o);

#endif
