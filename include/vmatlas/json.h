/* Snapshot documents in JSON (src/files/out_json.c): the writer's half of
 * the format that snapread.h reads back (man/vmatlas-snapshot.5). */
#ifndef VMATLAS_JSON_H
#define VMATLAS_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "vmatlas/model.h"

/* JSON snapshot document, schema version 2 (man/vmatlas-snapshot.5);
 * the reader takes version 1 as well. */
#define VMATLAS_SNAPSHOT_FORMAT "vmatlas-snapshot"
#define VMATLAS_SNAPSHOT_VERSION 2
json_t *snapshot_to_json(const struct vm_snapshot *s, unsigned flags);
json_t *process_to_json(const struct vm_process *p, unsigned flags);
json_t *mapping_to_json(const struct vm_mapping *m, unsigned flags);
/* P's threads (vm_process.threads) as the snapshot's "threads" array. */
json_t *threads_to_json(const struct vm_process *p);

/* TS as RFC 3339 UTC with milliseconds ("2026-11-21T00:12:12.345Z"). */
const char *fmt_rfc3339(char *buf, size_t len, const struct timespec *ts);

/* DOC to F followed by a newline: indented with one space (JSON_INDENT(1))
 * or, with COMPACT, on one line; keys in their order. Written through a
 * buffer of our own (jansson's json_dumpf makes one fwrite per token).
 * 0 or -errno (-ENOSPC on a full disk). */
int json_write(FILE *f, const json_t *doc, bool compact);

/* The document's "cow" array: every copy-on-write pair of S. */
json_t *cow_pairs_to_json(const struct vm_snapshot *s, unsigned flags);

/* The document's "family" object (vmatlas family). */
json_t *family_to_json(const struct vm_family *f);
/* Member KEY of O = S (null when NULL); not valid UTF-8: KEY with U+FFFD
 * and KEY_hex the exact bytes (man/vmatlas-snapshot.5). */
void json_set_text(json_t *o, const char *key, const char *s);
/* V as a hex string "0x7ffd4a1c0000" (addresses may exceed 2^53). */
json_t *json_hex64(uint64_t v);

/* A page fault recording as one "vmatlas-faults" document
 * (out_faults_json.c, man/vmatlas-snapshot.5). */
#define VMATLAS_FAULTS_FORMAT "vmatlas-faults"
#define VMATLAS_FAULTS_VERSION 1
struct fault_report;
json_t *faults_to_json(const struct fault_report *r);

#endif
