/* The DWARF of a process's objects, read with libdw: call frame
 * information for unwinding (.eh_frame, with or without .eh_frame_hdr,
 * and .debug_frame) and line tables for file:line, from the object or its
 * separate debug file. Handles are kept per object (bounded), so a refresh
 * does not parse them again. Everything in them is untrusted: a malformed
 * table gives no answer, never a wrong one or a hang in vmatlas's own
 * code (the expressions are evaluated by the caller, with a budget). */
#ifndef VMATLAS_DWINFO_H
#define VMATLAS_DWINFO_H

#include <elfutils/libdw.h>

#include "vmatlas/elfinfo.h"
#include "vmatlas/model.h"

struct dwinfo;
struct dwinfo_obj;

struct dwinfo *dwinfo_new(void);
void dwinfo_free(struct dwinfo *d);

/* The object mapped at ADDR in P, its DWARF handles (borrowed from D until
 * the next dwinfo_at) and its load bias in *BIAS; NULL when ADDR is in no
 * ELF object (anonymous memory, JIT code) or the object cannot be read. */
struct dwinfo_obj *dwinfo_at(struct dwinfo *d, struct elf_cache *c,
			     const struct vm_process *p, uint64_t addr,
			     uint64_t *bias);

/* The CFI row of O covering link-time address VADDR: .eh_frame first,
 * then .debug_frame of the object, then of its debug file. 0 with *FRAME
 * (free() it), or -ENOENT when no table covers VADDR. */
int dwinfo_cfi_frame(struct dwinfo_obj *o, uint64_t vaddr, Dwarf_Frame **frame);

/* The source line of link-time address VADDR of O (as gdb's "info line"):
 * *FILE borrowed from O until the next dwinfo_at. 0, or -ENOENT without
 * line information there. */
int dwinfo_source(struct dwinfo_obj *o, uint64_t vaddr, const char **file,
		  unsigned *line);

/* The source line of ADDR in P, *FILE owned by the caller: 0, -ENOENT or
 * -ENOMEM. */
int dwinfo_source_at(struct dwinfo *d, struct elf_cache *c,
		     const struct vm_process *p, uint64_t addr, char **file,
		     unsigned *line);

#endif
