/* Periodic capture into a JSON Lines timeline. The file grows while it is
 * written, so the atomic rename of outfile.c does not apply: instead every
 * line (or, compressed, every gzip member holding one line) goes out in a
 * single write() and is synced before the next snapshot. A line cut short
 * (disk full) is truncated away; a kill can at worst leave a last line
 * without its '\n', which the reader recognises and ignores with a warning
 * (snapshot_read.c). SIGINT and SIGTERM are blocked while a snapshot is
 * taken and written, and end the capture between snapshots. */
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
#include "gzio.h"
#include "vmatlas/output.h"
#include "vmatlas/piderr.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/util.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One snapshot as one line (compact JSON and '\n'), gzipped if asked. */
static int append_line(int fd, bool is_file, const struct vm_snapshot *s,
		       const struct capture_opts *co)
{
	json_t *doc = snapshot_to_json(s, co->flags);
	char *line = NULL;
	unsigned char *gz = NULL;
	size_t len, gzlen;
	off_t before = is_file ? lseek(fd, 0, SEEK_END) : 0;
	int r;

	if (!doc)
		return -ENOMEM;
	/* Compact: no newline can occur inside (jansson escapes them). */
	line = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len++] = '\n'; /* replaces the NUL: the buffer is not a string now */
	if (co->gzip) {
		r = gz_deflate(line, len, &gz, &gzlen);
		if (r < 0)
			goto out;
		r = write_all(fd, gz, gzlen);
	} else {
		r = write_all(fd, line, len);
	}
	if (r < 0 && is_file && before >= 0) {
		/* Leave no partial line behind. */
		if (ftruncate(fd, before) < 0)
			r = -errno;
	}
	if (r == 0 && is_file && fdatasync(fd) < 0)
		r = -errno;
out:
	free(gz);
	free(line);
	return r;
}

static int open_output(const struct capture_opts *co, bool *is_file)
{
	struct stat st;
	int fd, flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_APPEND;

	*is_file = false;
	if (strcmp(co->output, "-") == 0)
		return STDOUT_FILENO;
	flags |= co->force ? O_TRUNC : O_EXCL;
	/* O_NONBLOCK: an existing FIFO must not hang the capture. */
	fd = open(co->output, flags | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		/* A FIFO or a device given with --force: not a timeline. */
		close(fd);
		return -EINVAL;
	}
	/* 0600 whatever the umask, and an existing file replaced with
	 * --force may have had other modes: a snapshot shows memory. */
	if (fchmod(fd, 0600) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	*is_file = true;
	return fd;
}

int capture_timeline(const pid_t *pids, size_t npids, const struct snapshot_opts *so,
		     const struct capture_opts *co)
{
	sigset_t stop, old;
	struct timespec next;
	unsigned long taken = 0;
	bool is_file;
	int fd, r, ret = 1;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);

	fd = open_output(co, &is_file);
	if (fd < 0) {
		cmd_output_error(co->output, fd);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		pid_t failed = 0;
		struct vm_snapshot *s = snapshot_take(pids, npids, so, &failed);
		siginfo_t si;
		struct timespec now, wait;

		if (!s) {
			char msg[512];
			pid_error_describe(failed, errno, msg, sizeof(msg));
			vm_error("%s (after %lu snapshot%s)", msg, taken, taken == 1 ? "" : "s");
			goto out;
		}
		r = append_line(fd, is_file, s, co);
		vm_snapshot_free(s);
		if (r < 0) {
			vm_error("cannot write %s: %s", is_file ? "the timeline" : "standard output",
				 strerror(-r));
			goto out;
		}
		taken++;
		if (co->count && taken >= co->count)
			break;
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
out:
	if (fd >= 0 && fd != STDOUT_FILENO)
		close(fd);
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
