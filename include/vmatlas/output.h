/* Renderers: read the model through const pointers, never touch /proc. */
#ifndef VMATLAS_OUTPUT_H
#define VMATLAS_OUTPUT_H

#include <stdio.h>
#include <jansson.h>
#include "vmatlas/model.h"

enum { OUT_PAGES = 1u << 0 /* include per-page runs */ };

/* JSON snapshot document, schema version 1 (man/vmatlas-snapshot.5). */
#define VMATLAS_SNAPSHOT_FORMAT "vmatlas-snapshot"
#define VMATLAS_SNAPSHOT_VERSION 1
json_t *snapshot_to_json(const struct vm_snapshot *s, unsigned flags);
json_t *process_to_json(const struct vm_process *p, unsigned flags);
json_t *mapping_to_json(const struct vm_mapping *m, unsigned flags);

/* TS as RFC 3339 UTC with milliseconds ("2026-11-21T00:12:12.345Z"). */
const char *fmt_rfc3339(char *buf, size_t len, const struct timespec *ts);

/* Text: pmap -X like table, totals by kind, the textbook picture. */
int snapshot_write_text(FILE *f, const struct vm_snapshot *s, unsigned flags);

/* SVG: the textbook layout of each process (out_svg.c). */
int snapshot_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags);
/* SVG: resident and swapped memory by kind over N snapshots. */
int timeline_write_svg(FILE *f, struct vm_snapshot *const *snaps, size_t n);

/* Human-readable size of KB kilobytes into BUF ("4.0K", "1.2M", "3G"). */
const char *fmt_kb(char *buf, size_t len, uint64_t kb);

#endif
