/* Atomic output files (src/files/outfile.c). */
#ifndef VMATLAS_OUTFILE_H
#define VMATLAS_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

/* An output file written atomically: a temporary file beside PATH, created
 * 0600 whatever the umask, renamed over PATH on commit. Without FORCE an
 * existing PATH is an error (-EEXIST); a symlink at PATH is never followed
 * (-ELOOP), and nothing but a regular file is ever replaced (-EINVAL for a
 * FIFO or a device, -EISDIR). "-" means standard output. */
struct outfile {
	FILE *f;
	char *path, *tmp;
	bool force, is_stdout;
	bool is_device; /* a character device (/dev/null): written, never replaced */
	bool published; /* named PATH already (outfile_publish) */
	int dirfd;
};
int outfile_open(struct outfile *o, const char *path, bool force);
/* fflush + fsync + rename; on error the temporary file is removed. */
int outfile_commit(struct outfile *o);
/* For a file that grows while it is written: fflush + fsync + rename now,
 * keeping it open for more; the old PATH stays until then. */
int outfile_publish(struct outfile *o);
/* Remove the temporary file (on any failure path); a published file stays. */
void outfile_abort(struct outfile *o);

#endif
