/* Opening files that someone else controls (see util.h: open_untrusted). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmatlas/util.h"

/* Symlinks followed on one path at most (the kernel's MAXSYMLINKS). */
#define LINKS_MAX 40

/* A directory nobody but root can change: a link in it was put there by
 * root. */
static bool dir_is_roots(int dirfd)
{
	struct stat st;

	return fstat(dirfd, &st) == 0 && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* Resolve PATH component by component with O_PATH descriptors, following
 * a symlink only where LINKS allows it. An O_PATH descriptor of the last
 * component (never opened for reading: a FIFO's writer does not wake, a
 * device is not touched) or -errno. */
static int walk(const char *path, enum open_links links)
{
	char *buf = malloc(2 * PATH_MAX), *tmp = malloc(PATH_MAX);
	char *rest;
	int dirfd = -1, fd = -1, nlinks = 0, ret;

	if (!buf || !tmp) {
		ret = -ENOMEM;
		goto out;
	}
	if (strlen(path) >= PATH_MAX) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	strcpy(buf, path);
	rest = buf;
	dirfd = open(rest[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		struct stat st;
		char *comp, *next;
		ssize_t n;

		while (*rest == '/')
			rest++;
		if (*rest == '\0') { /* "/" or a trailing slash: the directory */
			fd = dirfd;
			dirfd = -1;
			ret = 0;
			goto out;
		}
		comp = rest;
		next = strchr(rest, '/');
		if (next)
			*next++ = '\0';
		rest = next ? next : comp + strlen(comp);
		fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			ret = -errno;
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++nlinks > LINKS_MAX ||
			    (links == OPEN_LINKS_ROOT && !dir_is_roots(dirfd))) {
				ret = -ELOOP;
				goto out;
			}
			n = readlinkat(fd, "", tmp, PATH_MAX - 1);
			if (n <= 0) {
				ret = n < 0 ? -errno : -ENOENT;
				goto out;
			}
			tmp[n] = '\0';
			if ((size_t)n + 1 + strlen(rest) >= PATH_MAX) {
				ret = -ENAMETOOLONG;
				goto out;
			}
			/* The link's text, then what was left of the path. */
			memmove(buf + n + 1, rest, strlen(rest) + 1);
			memcpy(buf, tmp, (size_t)n);
			buf[n] = '/';
			rest = buf;
			close(fd);
			fd = -1;
			if (tmp[0] == '/') {
				close(dirfd);
				dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (dirfd < 0) {
					ret = -errno;
					goto out;
				}
			}
			continue;
		}
		while (*rest == '/')
			rest++;
		if (*rest == '\0') {
			ret = 0;
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			ret = -ENOTDIR;
			goto out;
		}
		close(dirfd);
		dirfd = fd;
		fd = -1;
	}
out:
	if (dirfd >= 0)
		close(dirfd);
	if (ret < 0 && fd >= 0)
		close(fd);
	free(buf);
	free(tmp);
	return ret < 0 ? ret : fd;
}

int open_untrusted(const char *path, enum open_links links, struct stat *st)
{
	struct stat st2;
	char buf[64];
	int pfd, fd, ret;

	pfd = walk(path, links);
	if (pfd < 0)
		return pfd;
	if (fstat(pfd, st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		ret = S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	/* Reopened through the descriptor: the very file checked, whatever
	 * the path names now. */
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", pfd);
	fd = open(buf, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (fstat(fd, &st2) < 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino) {
		close(fd);
		ret = -ESTALE;
		goto out;
	}
	ret = fd;
out:
	close(pfd);
	return ret;
}
