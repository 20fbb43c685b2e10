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

/* An allocated section (SHF_ALLOC, non-empty, not TLS bss), link-time
 * addresses. */
struct elf_section {
	const char *name;    /* into the object's string pool */
	uint64_t addr, size;
};

/* A function, object or untyped symbol with a defined address. Names are
 * kept as in the table: demangling is done only for names shown
 * (elf_demangle). */
struct elf_symbol {
	uint64_t addr, size;   /* link-time address; size 0: unknown */
	const char *raw;       /* as in the symbol table */
	unsigned char bind, type;
};

struct elf_strpool;

struct elf_object {
	char *path;               /* owned */
	uint64_t dev, inode;      /* identity of the file read */
	int64_t mtime_ns;
	bool is_elf;
	unsigned e_type;          /* ET_EXEC, ET_DYN */
	unsigned elf_class;       /* ELFCLASS32, ELFCLASS64 */
	bool has_dynamic;         /* PT_DYNAMIC, at link-time address: */
	uint64_t dynamic_vaddr, dynamic_size;
	struct elf_segment *loads; /* PT_LOAD segments, owned */
	size_t nloads;
	struct elf_section *sections; /* owned, sorted by addr */
	size_t nsections;
	uint8_t build_id[64];     /* NT_GNU_BUILD_ID, build_id_len bytes */
	size_t build_id_len;
	char *debuglink;          /* owned: .gnu_debuglink file name, or NULL */
	uint32_t debuglink_crc;
	bool symbols_read;        /* the tables below were read (maybe empty) */
	struct elf_symbol *syms;  /* owned, sorted by addr */
	size_t nsyms;
	size_t syms_dropped;      /* symbols not kept: past $VMATLAS_MAX_SYMBOLS
				   * (default 8388608) or the names' bound */
	char *debug_file;         /* owned: separate debug file used, or NULL */
	struct elf_strpool *pool; /* owned: names of sections and symbols */
};

/* Open PATH (as seen by process PID: through /proc/PID/map_files for the
 * mapping [start,end) or /proc/PID/root, checked against dev/inode) and read
 * its program headers. Returns NULL + errno; a non-ELF file returns an
 * object with is_elf false. */
struct elf_object *elf_object_load(pid_t pid, const struct vm_mapping *m);
void elf_object_free(struct elf_object *o);

/* Parse program headers, sections and symbols from an in-memory image
 * (the vdso, tests and fuzzing). */
struct elf_object *elf_object_from_memory(const void *image, size_t size);

/* Read O's symbol tables (.symtab, .dynsym, and the .symtab of a separate
 * debug file found by build-id or .gnu_debuglink) from FD, a regular file
 * of SIZE bytes. Malformed tables give no symbols. 0 or -ENOMEM. */
int elf_object_read_symbols(struct elf_object *o, int fd, uint64_t size);

/* The symbol whose extent covers link-time address VADDR, as gdb's "info
 * symbol" finds it; else, when a symbol without a size lies between VADDR
 * and the nearest sized symbol below it (in VADDR's section), that one,
 * with *NEAREST set (its extent is unknown). NULL when there is none:
 * padding between functions has no symbol. */
const struct elf_symbol *elf_object_symbol_at(const struct elf_object *o,
					      uint64_t vaddr, bool *nearest);
/* The symbol named NAME: as in the table, demangled, or demangled up to
 * its parameter list ("ns::f" for "ns::f(int)"); with GLOBAL only global,
 * weak and unique ones (what the dynamic linker binds to). Functions and
 * objects before untyped ones. NULL when there is none (errno 0), or when
 * the walk passed DEADLINE_NS (vm_now_ns; 0: none, errno ETIMEDOUT) or a
 * quit signal came (EINTR). */
const struct elf_symbol *elf_object_symbol_named(const struct elf_object *o,
						 const char *name, bool global,
						 uint64_t deadline_ns);

/* The demangled form of C++ name RAW (malloc'd), or NULL: errno EINVAL
 * when RAW is not a C++ name, is longer than 4096 bytes, or demangles to
 * more than 64 KiB (a "demangler bomb": show RAW), ENOMEM. Each call is
 * bounded in time and memory by those limits. */
char *elf_demangle(const char *raw);
/* Whether RAW demangles to NAME, or to NAME and a parameter list; the
 * demangling stops at the first difference. */
bool elf_demangled_is(const char *raw, const char *name);
/* The allocated section holding link-time address VADDR, or NULL. */
const struct elf_section *elf_object_section_at(const struct elf_object *o,
						uint64_t vaddr);

/* The PT_LOAD of O that mapping M maps, and the load bias (target address
 * minus link-time address) it implies. With KNOWN_BIAS (may be NULL) a
 * candidate agreeing with it is preferred (a RELRO page and .rodata can
 * share a file offset). NULL when M maps no segment. */
const struct elf_segment *elf_segment_for_mapping(const struct elf_object *o,
						  const struct vm_mapping *m,
						  uint64_t page_size,
						  const uint64_t *known_bias,
						  uint64_t *bias);

/* Directory searched for separate debug files (".build-id/xx/yyyy.debug"
 * and the .gnu_debuglink names): $VMATLAS_DEBUG_DIR, else /usr/lib/debug. */
const char *elf_debug_dir(void);

struct stat;
/* Open the file mapping M of process PID maps, with the rules of
 * elf_object_load (map_files, or the path without following symlinks; a
 * regular file with M's identity): 0 with a readable *FD described by
 * *ST, or -errno. */
int elf_mapped_file_open(pid_t pid, const struct vm_mapping *m, int *fd,
			 struct stat *st);
/* The separate debug file of O, found and opened as for its symbols
 * (build-id, then .gnu_debuglink with its CRC; only regular files): a
 * readable descriptor (its path in *PATH, owned, when PATH is not NULL),
 * or -ENOENT. */
int elf_debug_file_fd(const struct elf_object *o, char **path);

/* Cache of objects keyed by (dev, inode, mtime), so a refresh does not
 * re-read them. Bounded (256 objects, least recently used evicted). Files
 * that cannot be opened are not cached (retried next time); non-ELF files
 * are cached as is_elf false. */
struct elf_cache;
struct elf_cache *elf_cache_new(void);
/* Files on file systems that can block without end (FUSE, NFS, CIFS,
 * ...: their mount type in /proc/PID/mountinfo) are not opened: the cache
 * gives NULL + EREMOTE and the mapping is typed from its permissions.
 * elf_allow_remote(true) reads them anyway (asked for on the command
 * line). */
void elf_allow_remote(bool on);
/* How many mapped files were left unread so far for that reason. */
size_t elf_remote_skipped(void);
/* Every open and read of a mapped file (the headers, the symbols) runs on
 * a worker thread and is given up after a deadline, 2 s unless
 * elf_read_timeout(MS) says otherwise: the cache then gives NULL +
 * ETIMEDOUT and the mapping is typed from its permissions; the device's
 * other files are not tried until the read given up returns. */
#define ELF_READ_TIMEOUT_MS 2000u
void elf_read_timeout(unsigned ms);
/* How many mapped files were left unread so far for that reason. */
size_t elf_timeout_skipped(void);
void elf_cache_free(struct elf_cache *c);
/* Begin a pass over one process's mappings (classify_process): an object
 * is then opened and checked once for all the mappings of it in the pass,
 * not once per mapping. A new pass opens each file again (cheap: the
 * headers are read again only when the file changed). */
void elf_cache_pass(struct elf_cache *c);
/* Open and check (and read, where new) the files of the N mappings MAPS of
 * PID for this pass in one job on the worker, rather than one job each:
 * the elf_cache_get calls that follow find them current. Files that fail
 * or time out here are left to those calls. */
void elf_cache_prefetch(struct elf_cache *c, pid_t pid, const struct vm_mapping *const *maps,
			size_t n);
/* Borrowed pointer, valid until the next elf_cache_get on C (which may
 * evict it) or elf_cache_free; NULL + errno when the file cannot be opened
 * (EPERM, ENOENT, ESTALE: another file is at the path now, EINVAL: not a
 * regular file or not a file mapping). */
const struct elf_object *elf_cache_get(struct elf_cache *c, pid_t pid,
				       const struct vm_mapping *m);
/* Same, with the symbol tables read (once per cached object). A [vdso]
 * mapping is read from the target's memory (bounded, 1 MiB) and cached by
 * its contents. */
const struct elf_object *elf_cache_get_symbols(struct elf_cache *c, pid_t pid,
					       const struct vm_mapping *m);

#endif
