/* gzip in memory with zlib: snapshot files may be compressed. */
#ifndef VMATLAS_GZIO_H
#define VMATLAS_GZIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True when BUF starts with the gzip magic bytes (RFC 1952: 1f 8b). */
bool gz_is_gzip(const void *buf, size_t len);

/* Inflate every gzip member of IN into a new buffer *OUT (NUL-terminated,
 * *OUTLEN bytes before the NUL). At most MAX bytes are produced: -EFBIG
 * beyond (a gzip bomb costs MAX bytes of memory at most). Data that ends
 * inside a member keeps what was decoded and sets *TRUNCATED. Corrupt
 * data: -EBADMSG with ZMSG pointing at zlib's reason. 0 or -errno. */
int gz_inflate(const void *in, size_t inlen, size_t max, char **out,
	       size_t *outlen, bool *truncated, const char **zmsg);

/* Write BUF as one complete gzip member to F. 0 or -errno. */
int gz_write_member(FILE *f, const void *buf, size_t len);
/* Compress BUF into one gzip member in a new buffer. 0 or -errno. */
int gz_deflate(const void *buf, size_t len, unsigned char **out, size_t *outlen);

#endif
