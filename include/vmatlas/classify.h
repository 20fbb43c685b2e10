/* Typing of mappings: text, rodata, data, bss, heap, stack, ... */
#ifndef VMATLAS_CLASSIFY_H
#define VMATLAS_CLASSIFY_H

#include "vmatlas/elfinfo.h"
#include "vmatlas/model.h"

/* Kind from the mapping alone (name, perms, path), for mappings whose kind
 * does not depend on ELF headers. The kernel's [heap], [stack], [vdso],
 * [vvar], [vsyscall] (and unknown [...]) come first, then no permissions
 * (guard), then anon / shm. Returns VK_OTHER for file mappings that need
 * ELF typing (classify_process does that). */
enum vm_kind classify_by_name(const struct vm_mapping *m);

/* Type every mapping of P, reading ELF headers through CACHE (may be NULL:
 * then file mappings of ELF objects are typed by permissions only, as are
 * those whose file cannot be opened). A mapping of a PT_LOAD is typed by
 * the segment's flags: the RELRO part of a writable segment is data even
 * though it is mapped r--. A no-access mapping is a guard (part of a file
 * mapping, between two mappings of one object, or at most 64 KiB) or else
 * reserved. Sets p->mm.brk when mm is valid and
 * brk is 0. */
void classify_process(struct vm_process *p, struct elf_cache *cache);
/* The same in two halves, for work to do meanwhile (the pagemap scan):
 * classify_begin gives P's mapped files to CACHE's worker to open and
 * read; classify_finish, which must follow before any other use of CACHE,
 * types the mappings with what it read. */
void classify_begin(struct vm_process *p, struct elf_cache *cache);
void classify_finish(struct vm_process *p, struct elf_cache *cache);

#endif
