/* What the SVG pictures share (out_svg.c): the document's head, escaped
 * text, sizes, the kinds' colours and the log scale of heights. */
#ifndef VMATLAS_RENDER_SVG_PRIV_H
#define VMATLAS_RENDER_SVG_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmatlas/model.h"

/* The XML head and a white page of W x H. */
void svg_begin(FILE *f, int w, int h, const char *title);
/* Untrusted S as XML character data, at most MAX code points (0: all). */
void svg_text(FILE *f, const char *s, size_t max);
/* A mapping's name: PATH keeping its file name when cut (the deleted
 * marker told apart as in the text), or KIND's name when anonymous. */
void svg_name(FILE *f, const char *path, bool deleted, enum vm_kind kind, size_t max);
/* BYTES as the text output says a size ("4.0K", "1.3M"). */
const char *svg_size(char *b, size_t n, uint64_t bytes);
/* The screen's colour of a kind, as "#rrggbb". */
const char *svg_kind_colour(enum vm_kind k);
/* The height of a row of PAGES pages: MIN, and 4 pixels more for each
 * doubling. */
int svg_row_height(uint64_t pages, int min);

#endif
