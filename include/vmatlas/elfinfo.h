/* ELF objects mapped into a process, read with libelf (ELF_C_READ: never an
 * mmap that a concurrent truncate turns into SIGBUS). Everything in an ELF
 * file is untrusted: a malformed object yields "no segments/symbols". */
#ifndef VMATLAS_ELFINFO_H
#define VMATLAS_ELFINFO_H

#include "vmatlas/model.h"

struct elf_segment {
	uint64_t vaddr, memsz, offset, filesz;
	unsigned flags; /* PF_R | PF_W | PF_X */
};

struct elf_object {
	char *path;               /* owned */
	uint64_t dev, inode;      /* identity of the file read */
	int64_t mtime_ns;
	bool is_elf;
	unsigned e_type;          /* ET_EXEC, ET_DYN */
	struct elf_segment *loads; /* PT_LOAD segments, owned */
	size_t nloads;
};

/* Open PATH (as seen by process PID: through /proc/PID/map_files for the
 * mapping [start,end) or /proc/PID/root, checked against dev/inode) and read
 * its program headers. Returns NULL + errno; a non-ELF file returns an
 * object with is_elf false. */
struct elf_object *elf_object_load(pid_t pid, const struct vm_mapping *m);
void elf_object_free(struct elf_object *o);

/* Parse program headers from an in-memory image (for tests and fuzzing). */
struct elf_object *elf_object_from_memory(const void *image, size_t size);

/* Cache of objects keyed by (dev, inode, mtime), so a refresh does not
 * re-read them. Bounded (256 objects, least recently used evicted). Files
 * that cannot be opened are not cached (retried next time); non-ELF files
 * are cached as is_elf false. */
struct elf_cache;
struct elf_cache *elf_cache_new(void);
void elf_cache_free(struct elf_cache *c);
/* Borrowed pointer, valid until the next elf_cache_get on C (which may
 * evict it) or elf_cache_free; NULL + errno when the file cannot be opened
 * (EPERM, ENOENT, ESTALE: another file is at the path now, EINVAL: not a
 * regular file or not a file mapping). */
const struct elf_object *elf_cache_get(struct elf_cache *c, pid_t pid,
				       const struct vm_mapping *m);

#endif
