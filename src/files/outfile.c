/* Output files written atomically. The data goes to an unnamed O_TMPFILE
 * (or, where the file system lacks it, a hidden temporary name) in the
 * target directory and appears under PATH only when complete: a kill or a
 * full disk leaves the old file intact and, with O_TMPFILE, nothing behind. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmatlas/util.h"
#include "vmatlas/outfile.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static int rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* No renameat2 support on this file system: link + unlink also fails
	 * with EEXIST rather than replacing. */
	if (linkat(dirfd, from, dirfd, to, 0) < 0)
		return -errno;
	unlinkat(dirfd, from, 0);
	return 0;
}

static int split_path(const char *path, char **dir, char **base)
{
	char *d = strdup(path), *b = strdup(path);

	if (!d || !b) {
		free(d);
		free(b);
		return -ENOMEM;
	}
	*dir = strdup(dirname(d));
	*base = strdup(basename(b));
	free(d);
	free(b);
	if (!*dir || !*base) {
		free(*dir);
		free(*base);
		return -ENOMEM;
	}
	return 0;
}

/* BASE in O's directory, a character device: opened for writing without
 * following a link, and checked again once open. */
static int open_device(struct outfile *o, const char *base)
{
	struct stat st;
	int fd = openat(o->dirfd, base, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || !(o->f = fdopen(fd, "w"))) {
		close(fd);
		return -EINVAL;
	}
	o->is_device = true;
	return 0;
}

int outfile_open(struct outfile *o, const char *path, bool force)
{
	char *dir = NULL, *base = NULL;
	struct stat st;
	int fd = -1, r;

	memset(o, 0, sizeof(*o));
	o->dirfd = -1;
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		o->is_stdout = true;
		return 0;
	}
	if (!*path || path[strlen(path) - 1] == '/')
		return -EISDIR;
	r = split_path(path, &dir, &base);
	if (r < 0)
		return r;
	o->force = force;
	o->path = base;
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (o->dirfd < 0) {
		r = -errno;
		goto fail;
	}
	if (fstatat(o->dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode)) {
			r = -ELOOP;
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			r = -EISDIR;
			goto fail;
		}
		/* A character device (/dev/null, a terminal) is written as it
		 * is, never replaced; a FIFO, a block device or a socket is
		 * refused, even with --force. */
		if (S_ISCHR(st.st_mode)) {
			r = open_device(o, base);
			if (r < 0)
				goto fail;
			return 0;
		}
		if (!S_ISREG(st.st_mode)) {
			r = -EINVAL;
			goto fail;
		}
		if (!force) {
			r = -EEXIST;
			goto fail;
		}
	} else if (errno != ENOENT) {
		r = -errno;
		goto fail;
	}

	fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		size_t n = strlen(base) + 32;

		o->tmp = malloc(n);
		if (!o->tmp) {
			r = -ENOMEM;
			goto fail;
		}
		for (int i = 0; i < 100 && fd < 0; i++) {
			snprintf(o->tmp, n, ".%s.%d.%d.tmp", base, (int)getpid(), i);
			fd = openat(o->dirfd, o->tmp,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		if (fd < 0) {
			r = -errno;
			free(o->tmp);
			o->tmp = NULL;
			goto fail;
		}
	}
	/* 0600 whatever the umask: a snapshot shows another process's memory. */
	if (fchmod(fd, 0600) < 0 || !(o->f = fdopen(fd, "w"))) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	outfile_abort(o);
	return r;
}

/* Give the temporary file its name: linked (or renamed) to PATH, and the
 * directory synced. The file stays open. */
static int outfile_link(struct outfile *o)
{
	int r = 0, fd = fileno(o->f);

	if (!o->tmp) {
		char proc[64];
		char tmpname[64];

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (!o->force) {
			if (linkat(AT_FDCWD, proc, o->dirfd, o->path, AT_SYMLINK_FOLLOW) < 0)
				return -errno;
		} else {
			snprintf(tmpname, sizeof(tmpname), ".vmatlas.%d.tmp", (int)getpid());
			unlinkat(o->dirfd, tmpname, 0);
			if (linkat(AT_FDCWD, proc, o->dirfd, tmpname, AT_SYMLINK_FOLLOW) < 0)
				return -errno;
			if (renameat(o->dirfd, tmpname, o->dirfd, o->path) < 0) {
				r = -errno;
				unlinkat(o->dirfd, tmpname, 0);
				return r;
			}
		}
	} else {
		r = o->force ? (renameat(o->dirfd, o->tmp, o->dirfd, o->path) < 0 ? -errno : 0)
			     : rename_noreplace(o->dirfd, o->tmp, o->path);
		if (r < 0)
			return r;
		free(o->tmp);
		o->tmp = NULL;
	}
	fsync(o->dirfd);
	o->published = true;
	return 0;
}

static int outfile_sync(struct outfile *o)
{
	if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) < 0)
		return -(errno ? errno : EIO);
	return 0;
}

int outfile_publish(struct outfile *o)
{
	int r;

	if (o->is_stdout || o->is_device || o->published)
		return 0;
	r = outfile_sync(o);
	return r < 0 ? r : outfile_link(o);
}

int outfile_commit(struct outfile *o)
{
	int r;

	if (o->is_stdout) {
		if (fflush(stdout) != 0 || ferror(stdout))
			return -(errno ? errno : EIO);
		return 0;
	}
	if (o->is_device) {
		r = fflush(o->f) != 0 || ferror(o->f) ? -(errno ? errno : EIO) : 0;
		if (fclose(o->f) != 0 && r == 0)
			r = -(errno ? errno : EIO);
		o->f = NULL;
		outfile_abort(o);
		return r;
	}
	r = outfile_sync(o);
	if (r == 0 && !o->published)
		r = outfile_link(o);
	if (r < 0)
		goto fail;
	fclose(o->f);
	o->f = NULL;
	close(o->dirfd);
	o->dirfd = -1;
	free(o->path);
	o->path = NULL;
	return 0;
fail:
	outfile_abort(o);
	return r;
}

void outfile_abort(struct outfile *o)
{
	if (o->is_stdout)
		return;
	if (o->f) {
		fclose(o->f);
		o->f = NULL;
	}
	if (o->tmp && o->dirfd >= 0)
		unlinkat(o->dirfd, o->tmp, 0);
	free(o->tmp);
	o->tmp = NULL;
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
	free(o->path);
	o->path = NULL;
}
