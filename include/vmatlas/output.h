/* Renderers: read the model through const pointers, never touch /proc. */
#ifndef VMATLAS_OUTPUT_H
#define VMATLAS_OUTPUT_H

#include <stdio.h>
#include <jansson.h>
#include "vmatlas/model.h"

enum {
	OUT_PAGES = 1u << 0,    /* include per-page runs */
	OUT_SECTIONS = 1u << 1, /* text: ELF sections under each mapping */
};

/* JSON snapshot document, schema version 1 (man/vmatlas-snapshot.5). */
#define VMATLAS_SNAPSHOT_FORMAT "vmatlas-snapshot"
#define VMATLAS_SNAPSHOT_VERSION 1
json_t *snapshot_to_json(const struct vm_snapshot *s, unsigned flags);
json_t *process_to_json(const struct vm_process *p, unsigned flags);
json_t *mapping_to_json(const struct vm_mapping *m, unsigned flags);
/* P's threads (vm_process.threads) as the snapshot's "threads" array. */
json_t *threads_to_json(const struct vm_process *p);

/* TS as RFC 3339 UTC with milliseconds ("2026-11-21T00:12:12.345Z"). */
const char *fmt_rfc3339(char *buf, size_t len, const struct timespec *ts);

/* Text: pmap -X like table, totals by kind, the textbook picture. */
int snapshot_write_text(FILE *f, const struct vm_snapshot *s, unsigned flags);

/* Copy-on-write pairs of S (src/out_cow.c): the document's "cow" array,
 * and a table per pair with a page strip for each mapping. */
json_t *cow_pairs_to_json(const struct vm_snapshot *s, unsigned flags);
int cow_write_text(FILE *f, const struct vm_snapshot *s, unsigned flags);
/* The most common COW state of each of up to WIDTH equal slices of M's
 * pages (M's runs needed) into CELLS; returns the number of cells. */
size_t cow_strip(const struct vm_cow_mapping *m, uint8_t *cells, size_t width);
/* '=' shared, '#' diverged, 'P' parent only, 'C' child only, '.' neither. */
char cow_state_char(unsigned state);
/* SVG: the textbook layout of each process (out_svg.c). */
int snapshot_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags);
/* SVG: resident and swapped memory by kind over N snapshots. */
int timeline_write_svg(FILE *f, struct vm_snapshot *const *snaps, size_t n);

/* Human-readable size of KB kilobytes into BUF ("4.0K", "1.2M", "3G"). */
const char *fmt_kb(char *buf, size_t len, uint64_t kb);

#endif
