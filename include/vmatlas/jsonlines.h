/* JSON Lines outputs that grow while they are written: timelines
 * (snapshot --interval) and launched-program snapshots. */
#ifndef VMATLAS_JSONLINES_H
#define VMATLAS_JSONLINES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmatlas/util.h"
#include "vmatlas/outfile.h"

struct jsonlines {
	struct outfile out;
	int fd;
	bool gzip;
	uint64_t bytes;  /* written so far (compressed, for gzip) */
};

/* Open PATH ("-": standard output) for JSON Lines, gzip members if GZIP.
 * The file is created 0600 beside PATH and takes PATH's name with its
 * first whole line: until then an existing PATH (kept unless FORCE) is
 * untouched, and a run that writes no line leaves nothing. PATH is
 * refused as outfile_open refuses it. 0 or -errno. */
int jsonlines_open(struct jsonlines *jl, const char *path, bool force, bool gzip);
/* DOC as one line ('\n'-terminated compact JSON, or one gzip member
 * holding it) in one write(), synced; a line cut short (disk full) is
 * truncated away. 0 or -errno. */
int jsonlines_append(struct jsonlines *jl, json_t *doc);
/* True when the output is a file (not standard output). */
bool jsonlines_is_file(const struct jsonlines *jl);
/* Close; a file that never got a line is removed. 0 or -errno. */
int jsonlines_close(struct jsonlines *jl);

#endif
