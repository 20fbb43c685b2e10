/* gzip in memory with zlib. Timelines are written one gzip member per
 * line: concatenated members are one valid gzip file (RFC 1952 2.2), and a
 * capture that is killed leaves every earlier line decodable. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vmatlas/gzio.h"

bool gz_is_gzip(const void *buf, size_t len)
{
	const unsigned char *b = buf;

	return len >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

int gz_inflate(const void *in, size_t inlen, size_t max, char **out,
	       size_t *outlen, bool *truncated, const char **zmsg)
{
	z_stream z;
	char *buf = NULL;
	size_t cap = 0, n = 0, left = inlen;
	const unsigned char *next = in;
	int r = 0, zr = Z_OK;

	*out = NULL;
	*outlen = 0;
	*truncated = false;
	*zmsg = NULL;
	memset(&z, 0, sizeof(z));
	/* 16 + MAX_WBITS: gzip wrapper only. */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1 << 16;
			char *nb;

			if (cap >= max + 1) {
				r = -EFBIG;
				goto out;
			}
			if (ncap > max + 1)
				ncap = max + 1;
			nb = realloc(buf, ncap + 1);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		z.next_in = (unsigned char *)next;
		z.avail_in = left > UINT_MAX ? UINT_MAX : (unsigned)left;
		z.next_out = (unsigned char *)buf + n;
		z.avail_out = cap - n > UINT_MAX ? UINT_MAX : (unsigned)(cap - n);
		zr = inflate(&z, Z_NO_FLUSH);
		n = (size_t)((char *)z.next_out - buf);
		left -= (size_t)(z.next_in - next);
		next = z.next_in;
		if (n > max) {
			r = -EFBIG;
			goto out;
		}
		if (zr == Z_STREAM_END) {
			/* Another member may follow; trailing zero padding is
			 * tolerated as gzip(1) does. */
			while (left > 0 && *next == 0) {
				next++;
				left--;
			}
			if (left == 0)
				break;
			if (inflateReset(&z) != Z_OK) {
				r = -ENOMEM;
				goto out;
			}
			continue;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			r = zr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
			*zmsg = z.msg ? z.msg : "corrupt data";
			goto out;
		}
		if (n < cap && left == 0) {
			/* Room for output but no input left: the data stops
			 * inside a member. */
			*truncated = true;
			break;
		}
	}
out:
	inflateEnd(&z);
	if (r < 0) {
		free(buf);
		return r;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[n] = 0;
	*out = buf;
	*outlen = n;
	return 0;
}

int gz_deflate(const void *buf, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream z;
	unsigned char *o;
	uLong bound;
	int zr;

	*out = NULL;
	memset(&z, 0, sizeof(z));
	if (len > UINT_MAX)
		return -EFBIG;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, (uLong)len);
	o = malloc(bound);
	if (!o) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)buf;
	z.avail_in = (unsigned)len;
	z.next_out = o;
	z.avail_out = (unsigned)bound;
	zr = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(o);
		return -EIO;
	}
	*out = o;
	return 0;
}

int gz_write_member(FILE *f, const void *buf, size_t len)
{
	unsigned char *o;
	size_t n;
	int r = gz_deflate(buf, len, &o, &n);

	if (r < 0)
		return r;
	if (fwrite(o, 1, n, f) != n)
		r = -(errno ? errno : EIO);
	free(o);
	return r;
}
