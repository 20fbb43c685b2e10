/* JSON Lines outputs. The file grows while it is written, so the atomic
 * rename of outfile.c happens once, after the first line: a kill or a full
 * disk before it leaves an old file intact, and after it every line (or,
 * compressed, every gzip member holding one line) goes out in a single
 * write() and is synced before the next. A line cut short is truncated
 * away; a kill can at worst leave a last line without its '\n', which the
 * reader recognises and ignores with a warning (snapshot_read.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmatlas/gzio.h"
#include "vmatlas/jsonlines.h"
#include "vmatlas/outfile.h"

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

int jsonlines_open(struct jsonlines *jl, const char *path, bool force, bool gzip)
{
	int r;

	memset(jl, 0, sizeof(*jl));
	jl->gzip = gzip;
	jl->fd = STDOUT_FILENO;
	r = outfile_open(&jl->out, path, force);
	if (r < 0)
		return r;
	if (!jl->out.is_stdout)
		jl->fd = fileno(jl->out.f);
	return 0;
}

bool jsonlines_is_file(const struct jsonlines *jl)
{
	return !jl->out.is_stdout;
}

int jsonlines_append(struct jsonlines *jl, json_t *doc)
{
	/* Compact: no newline can occur inside (jansson escapes them). */
	char *line = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	/* Only a regular file is cut back and synced (not /dev/null). */
	bool is_file = jsonlines_is_file(jl) && !jl->out.is_device;
	off_t before = is_file ? lseek(jl->fd, 0, SEEK_CUR) : 0;
	unsigned char *gz = NULL;
	size_t len, gzlen;
	int r;

	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len++] = '\n'; /* replaces the NUL: the buffer is not a string now */
	if (jl->gzip) {
		r = gz_deflate(line, len, &gz, &gzlen);
		if (r == 0)
			r = write_all(jl->fd, gz, gzlen);
	} else {
		r = write_all(jl->fd, line, len);
	}
	if (r == 0)
		jl->bytes += jl->gzip ? gzlen : len;
	free(gz);
	free(line);
	if (!is_file)
		return r;
	if (r < 0 && before >= 0) {
		/* Leave no partial line behind. */
		if (ftruncate(jl->fd, before) < 0 || lseek(jl->fd, before, SEEK_SET) < 0)
			r = -errno;
	}
	if (r == 0 && fdatasync(jl->fd) < 0)
		r = -errno;
	/* The first whole line gives the file its name. */
	if (r == 0)
		r = outfile_publish(&jl->out);
	return r;
}

int jsonlines_close(struct jsonlines *jl)
{
	if (!jsonlines_is_file(jl))
		return 0;
	if (!jl->out.published) {
		outfile_abort(&jl->out);
		return 0;
	}
	return outfile_commit(&jl->out);
}
