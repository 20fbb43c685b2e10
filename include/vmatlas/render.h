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
/* The COW state of each of up to WIDTH equal slices of M's pages (M's runs
 * needed) into CELLS: each state gets cells in proportion to its pages,
 * where its pages are. Returns the number of cells. */
size_t cow_strip(const struct vm_cow_mapping *m, uint8_t *cells, size_t width);
/* '=' shared, '#' diverged, 'P' parent only, 'C' child only, '.' neither. */
char cow_state_char(unsigned state);
/* The words for a COW state in text and on screen ("parent only"); the
 * JSON names are cow_state_name()'s. */
const char *cow_state_label(unsigned state);
/* SVG: the textbook layout of each process (out_svg.c). */
int snapshot_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags);
/* SVG: each copy-on-write pair of S, parent and child side by side
 * (cow_svg.c). */
int cow_write_svg(FILE *f, const struct vm_snapshot *s, unsigned flags);
/* SVG: S's family, its tree with each member's RSS shared with its
 * parent and diverged (family_svg.c); -EINVAL without a family. */
int family_write_svg(FILE *f, const struct vm_snapshot *s);
/* SVG: resident and swapped memory by kind over N snapshots. */
int timeline_write_svg(FILE *f, struct vm_snapshot *const *snaps, size_t n);

/* Human-readable size of KB kilobytes into BUF ("4.0K", "1.2M", "3G"). */
const char *fmt_kb(char *buf, size_t len, uint64_t kb);
/* BYTES as "32B" below 1K, else as fmt_kb to the nearest kB. */
const char *fmt_bytes(char *buf, size_t len, uint64_t bytes);

/* The threads of P as text: one header line per thread (tid, name, state,
 * where its stack is), then its frames "#N 0xPC SYMBOL+0xOFF (OBJECT)". */
int stacks_write_text(FILE *f, const struct vm_process *p);

/* A family (out_family.c): the table, footprint, histogram and the root's
 * most eroded mappings; the Prometheus text exposition format. */
int family_write_text(FILE *f, const struct vm_family *fam);
int family_write_prom(FILE *f, const struct vm_family *fam);
/* DIVERGED as a percentage of SHARED + DIVERGED (0 when both are 0). */
double family_eroded_pct(uint64_t shared_kb, uint64_t diverged_kb);
/* SVG: each family member's diverged memory over N snapshots that hold a
 * family (erosion curves; out_svg.c). */
int family_timeline_write_svg(FILE *f, struct vm_snapshot *const *snaps, size_t n);
/* "pfn" or "estimate", as every output states it. */
const char *family_precision_name(const struct vm_family *f);
/* A page fault recording (out_faults.c): processes, types, mappings, and
 * the functions of the faulting instructions. */
struct fault_report;
struct fault_code;
int faults_write_text(FILE *f, const struct fault_report *r);
/* Up to MAX functions of R, most faults first: the rows of one function,
 * object and type added up; FIRST is the first of them (borrowed). */
struct fault_code_sum {
	const struct fault_code *first;
	uint64_t count;
};
size_t faults_functions(const struct fault_report *r, struct fault_code_sum *out, size_t max);

#endif
