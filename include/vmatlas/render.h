/* Renderers (src/render/): text and SVG. They read the model through const
 * pointers and never open /proc. */
#ifndef VMATLAS_RENDER_H
#define VMATLAS_RENDER_H

#include <stdio.h>

#include "vmatlas/model.h"

/* Text: pmap -X like table, totals by kind, the textbook picture. */
int snapshot_write_text(FILE *f, const struct vm_snapshot *s, unsigned flags);

/* Copy-on-write pairs of S (out_cow.c): a table per pair with a page strip
 * for each mapping. */
int cow_write_text(FILE *f, const struct vm_snapshot *s, unsigned flags);
/* The most common COW state of each of up to WIDTH equal slices of M's
 * pages (M's runs needed) into CELLS; returns the number of cells. */
size_t cow_strip(const struct vm_cow_mapping *m, uint8_t *cells, size_t width);
/* '=' shared, '#' diverged, 'P' parent only, 'C' child only, '.' neither. */
char cow_state_char(unsigned state);
/* SVG: the textbook layout of each process (out_svg.c). */
int snapshot_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags);
/* SVG: each copy-on-write pair of S, parent and child side by side
 * (cow_svg.c). */
int cow_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags);
/* SVG: resident and swapped memory by kind over N snapshots. */
int timeline_write_svg(FILE *f, struct vm_snapshot *const *snaps, size_t n);

/* Human-readable size of KB kilobytes into BUF ("4.0K", "1.2M", "3G"). */
const char *fmt_kb(char *buf, size_t len, uint64_t kb);

/* The threads of P as text: one header line per thread (tid, name, state,
 * where its stack is), then its frames "#N 0xPC SYMBOL+0xOFF (OBJECT)". */
int stacks_write_text(FILE *f, const struct vm_process *p);

#endif
