/* Reading snapshot files back into the model the collectors fill: one JSON
 * document, or a timeline in JSON Lines (one compact document per line),
 * either possibly gzip-compressed (recognised by its magic bytes). Every
 * file is untrusted: the reader checks types, numbers, ordering and that
 * the counts add up, and reports the first problem as one line naming the
 * file and the place. */
#ifndef VMATLAS_SNAPREAD_H
#define VMATLAS_SNAPREAD_H

#include <stddef.h>
#include <jansson.h>
#include "vmatlas/model.h"

/* Largest input accepted, after decompression. */
#define SNAPREAD_MAX_BYTES (1ULL << 30)
/* Most memory jansson may take for the tree of one parsed document. */
#define SNAPREAD_MAX_TREE ((size_t)1 << 30)

/* One message for the user, without the "vmatlas: " prefix:
 * "FILE: line 3: processes[0].mappings[12].start: not a hex string". */
struct snapread_error {
	char msg[640];
};

/* The snapshots of a file in file order (one for a plain document). */
struct vm_timeline {
	struct vm_snapshot **snaps; /* owned */
	size_t nsnaps;
	bool jsonl;                 /* more than one document, or one per line */
	bool compressed;            /* the input was gzip */
	char *warning;              /* owned, NULL or a message for the user
				     * (an incomplete last line was ignored) */
};

void vm_timeline_free(struct vm_timeline *t);

/* Parse LEN bytes (JSON, JSON Lines, or gzip of either). NAME is used in
 * messages only. Returns a timeline, or NULL with errno set and ERR filled
 * (EINVAL: bad content; EFBIG: too large; ENOMEM). */
struct vm_timeline *snapshot_read_buffer(const void *buf, size_t len,
					 const char *name,
					 struct snapread_error *err);

/* Open and parse PATH: a regular file only (a FIFO or a device is refused
 * without blocking), at most SNAPREAD_MAX_BYTES. "-" and /dev/stdin are
 * standard input, read to its end whatever it is (a pipe). As
 * snapshot_read_buffer. */
struct vm_timeline *snapshot_read_file(const char *path,
				       struct snapread_error *err);
/* True when PATH names standard input for snapshot_read_file. */
bool snapread_is_stdin(const char *path);

/* Convert one parsed document. PLACE prefixes messages ("FILE: line 3").
 * NULL + errno and ERR on error. */
struct vm_snapshot *snapshot_from_json(const json_t *doc, const char *place,
				       struct snapread_error *err);

#endif
