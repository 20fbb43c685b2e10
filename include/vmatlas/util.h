/* Small helpers shared by the front ends. */
#ifndef VMATLAS_UTIL_H
#define VMATLAS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Escape untrusted bytes for a terminal or a text file: control characters
 * (C0, DEL, C1), invalid UTF-8, and bidi overrides become \xNN / \uNNNN;
 * backslash becomes "\\". Returns a malloc'd string or NULL + ENOMEM. */
char *escape_untrusted(const char *s);
/* Same, of LEN bytes (may contain NUL). */
char *escape_untrusted_n(const char *s, size_t len);
/* A mapping's PATH escaped for a terminal or a text file, with " (deleted)"
 * appended when DELETED; a live file whose own name ends in " (deleted)"
 * shows that space as \x20, so the two cannot be confused. */
char *escape_mapping_path(const char *path, bool deleted);

/* Parse a PID argument: a decimal number > 0 that fits pid_t. 0 or -EINVAL. */
int parse_pid(const char *s, pid_t *pid);
/* Parse an unsigned 64-bit number (0x hex or decimal). 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t *v);

/* An output file written atomically: a temporary file beside PATH, created
 * 0600 whatever the umask, renamed over PATH on commit. Without FORCE an
 * existing PATH is an error (-EEXIST); a symlink at PATH is never followed
 * (-ELOOP), and nothing but a regular file is ever replaced (-EINVAL for a
 * FIFO or a device, -EISDIR). "-" means standard output. */
struct outfile {
	FILE *f;
	char *path, *tmp;
	bool force, is_stdout;
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

/* Program name for messages ("vmatlas"). */
extern const char *vm_progname;
/* Print "vmatlas: FMT\n" to stderr. */
void vm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic time in nanoseconds. */
uint64_t vm_now_ns(void);

#endif
