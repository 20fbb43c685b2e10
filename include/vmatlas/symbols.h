/* Addresses of a process in terms of its ELF objects: which object,
 * section and symbol an address is, and the address of a symbol. Objects
 * are read through an elf_cache, so each is parsed once. */
#ifndef VMATLAS_SYMBOLS_H
#define VMATLAS_SYMBOLS_H

#include "vmatlas/elfinfo.h"
#include "vmatlas/model.h"

struct sym_where {
	char *object;    /* owned: the object's path as in maps, or NULL */
	char *section;   /* owned, or NULL */
	char *symbol;    /* owned (demangled), or NULL */
	uint64_t offset; /* from the symbol's address */
	uint64_t bias;   /* load bias of the object (valid when object) */
};

void sym_where_fini(struct sym_where *w);

/* Describe ADDR in P (whose maps are classified: a bss mapping belongs to
 * the object before it). Fields stay NULL when unknown (no object there,
 * unreadable file, no symbol). 0 or -ENOMEM. */
int symbols_describe(struct elf_cache *c, const struct vm_process *p,
		     uint64_t addr, struct sym_where *w);

/* The address of symbol NAME in P: the executable first, then the other
 * objects in address order. 0, -ENOENT or -ENOMEM. */
int symbols_resolve(struct elf_cache *c, const struct vm_process *p,
		    const char *name, uint64_t *addr);

#endif
