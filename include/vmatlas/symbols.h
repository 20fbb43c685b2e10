/* Addresses of a process in terms of its ELF objects: which object,
 * section and symbol an address is, and the address of a symbol. Objects
 * are read through an elf_cache, so each is parsed once. Nothing here
 * stops the process: call these while it runs. */
#ifndef VMATLAS_SYMBOLS_H
#define VMATLAS_SYMBOLS_H

#include "vmatlas/elfinfo.h"
#include "vmatlas/model.h"

struct sym_where {
	char *object;    /* owned: the object's path as in maps, or NULL */
	char *section;   /* owned, or NULL */
	char *symbol;    /* owned (demangled when shown so), or NULL: no
			  * symbol covers the address */
	uint64_t offset; /* from the symbol's address */
	uint64_t size;   /* the symbol's size; 0 when it has none */
	bool nearest;    /* the symbol has no size: only the nearest one
			  * below the address, its extent unknown */
	uint64_t bias;   /* load bias of the object (valid when object) */
	size_t syms_dropped; /* symbols of the object not read (a limit) */
};

void sym_where_fini(struct sym_where *w);

/* Describe ADDR in P (whose maps are classified: a bss mapping belongs to
 * the object before it). Fields stay NULL when unknown (no object there,
 * unreadable file, no symbol). Only this symbol's name is demangled. 0 or
 * -ENOMEM. */
int symbols_describe(struct elf_cache *c, const struct vm_process *p,
		     uint64_t addr, struct sym_where *w);

/* How symbols_resolve ordered the objects. */
enum sym_order {
	SYM_ORDER_LINK_MAP, /* the dynamic linker's: the link map read from
			     * the process (r_debug) */
	SYM_ORDER_MAPPINGS, /* no link map could be read (a static program,
			     * no permission): the executable, then the
			     * other objects in the order of their first
			     * mappings */
};

/* The address of symbol NAME in P as the dynamic linker binds it: the
 * first global or weak definition in the executable, then in the libraries
 * in load order (the link map: an interposing malloc wins over libc's);
 * objects the link map does not list come after. Only when no object
 * defines NAME so, local symbols in the same order. *ORDER (may be NULL)
 * says which order was used. 0, -ENOENT, -ENOMEM, -ETIMEDOUT (the lookup
 * took more than 10 s: demangling compares bounded names one by one) or
 * -EINTR (a quit signal). */
int symbols_resolve(struct elf_cache *c, const struct vm_process *p,
		    const char *name, uint64_t *addr, enum sym_order *order);

/* The first object of P some of whose symbols were not read (more than
 * the limit), with *DROPPED how many; NULL when every object was read
 * whole (or not read yet). Borrowed from P. */
const char *symbols_incomplete(struct elf_cache *c, const struct vm_process *p,
			       size_t *dropped);

#endif
