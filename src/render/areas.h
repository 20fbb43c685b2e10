/* The textbook's areas of an address space, shared by the text and SVG
 * pictures so that both put every mapping in the same one. */
#ifndef VMATLAS_RENDER_AREAS_H
#define VMATLAS_RENDER_AREAS_H

#include <stdint.h>

#include "vmatlas/model.h"

/* From high to low addresses. */
enum area { AREA_KERNEL, AREA_STACK, AREA_MMAP, AREA_HEAP, AREA_PROGRAM, AREA__COUNT };

struct area_ctx {
	uint64_t user_top;         /* the end of user space */
	uint64_t prog_lo, prog_hi; /* the program image; 0, 0 when unknown */
};

void area_ctx_init(struct area_ctx *ac, const struct vm_process *p);
enum area area_of(const struct area_ctx *ac, const struct vm_mapping *m);

#endif
