/* Program headers of the ELF objects a process maps, read with libelf.
 *
 * Files are read with ELF_C_READ (pread on demand: the ELF header, then the
 * program header table) or from a private copy with elf_memory(); never with
 * ELF_C_READ_MMAP, whose mapping a concurrent truncate would turn into
 * SIGBUS. Every field is checked against the file size before use. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "remotefs.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/util.h"

/* Files larger than this are not parsed (treated as non-ELF). */
#define ELF_MAX_SIZE (1ull << 30)
/* More program headers than this is not a loadable object (PN_XNUM can
 * claim up to 2^32 through section 0). */
#define ELF_MAX_PHNUM 65535u
#define ELF_CACHE_MAX 256
/* Bounds for what an untrusted object may make us allocate. */
#define ELF_MAX_SHNUM 65535u
#define ELF_MAX_POOL (256u << 20)
/* Symbols kept from one object at most, unless $VMATLAS_MAX_SYMBOLS says
 * otherwise (each costs 32 bytes and its name): the others are counted in
 * syms_dropped, never dropped silently. */
#define ELF_MAX_SYMS_DEFAULT (8u << 20)
#define ELF_MAX_SYMS_CEILING (256u << 20)
/* The vdso is a page or two; more is not a vdso. */
#define VDSO_MAX (1u << 20)

/* Names live in chunks that never move, so pointers into them stay valid. */
struct pool_chunk {
	struct pool_chunk *next;
	size_t used, cap;
	char data[];
};

struct elf_strpool {
	struct pool_chunk *head;
	size_t total;
};

static void pool_free(struct elf_strpool *p)
{
	if (!p)
		return;
	while (p->head) {
		struct pool_chunk *c = p->head;
		p->head = c->next;
		free(c);
	}
	free(p);
}

/* Copy S (LEN bytes) into *PP's pool. NULL + ENOMEM when memory is
 * exhausted, NULL + E2BIG when the pool's bound is. */
static const char *pool_add(struct elf_strpool **pp, const char *s, size_t len)
{
	struct elf_strpool *p = *pp;
	struct pool_chunk *c;
	char *d;

	if (!p && !(p = *pp = calloc(1, sizeof(*p))))
		return NULL;
	if (len >= ELF_MAX_POOL || p->total + len + 1 > ELF_MAX_POOL) {
		errno = E2BIG;
		return NULL;
	}
	c = p->head;
	if (!c || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > 65536 ? len + 1 : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = p->head;
		p->head = c;
	}
	d = c->data + c->used;
	memcpy(d, s, len);
	d[len] = '\0';
	c->used += len + 1;
	p->total += len + 1;
	return d;
}

void elf_object_free(struct elf_object *o)
{
	if (!o)
		return;
	free(o->path);
	free(o->loads);
	free(o->sections);
	free(o->debuglink);
	free(o->syms);
	free(o->debug_file);
	pool_free(o->pool);
	free(o);
}

static bool range_fits(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Keep a PT_LOAD only if it is self-consistent and does not overlap the
 * previous one (the ELF spec requires ascending p_vaddr; the kernel's
 * MAP_FIXED would let a later segment replace an earlier one). */
static bool load_is_sane(const GElf_Phdr *ph, uint64_t size,
			 const struct elf_segment *prev)
{
	if (ph->p_memsz == 0 || ph->p_filesz > ph->p_memsz)
		return false;
	if (ph->p_vaddr + ph->p_memsz < ph->p_vaddr)
		return false;
	if (!range_fits(ph->p_offset, ph->p_filesz, size))
		return false;
	if (prev && ph->p_vaddr < prev->vaddr + prev->memsz)
		return false;
	return true;
}

/* PT_LOAD segments of E into O. 0 or -ENOMEM. */
static int loads_read(struct elf_object *o, Elf *e, const GElf_Ehdr *eh,
		      size_t entsize, uint64_t size)
{
	size_t phnum;

	if (eh->e_phoff == 0 || elf_getphdrnum(e, &phnum) != 0 || phnum == 0)
		return 0;
	if (eh->e_phentsize != entsize || phnum > ELF_MAX_PHNUM ||
	    !range_fits(eh->e_phoff, (uint64_t)phnum * entsize, size))
		return 0;

	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		struct elf_segment *s, *prev;

		if (!gelf_getphdr(e, (int)i, &ph))
			break; /* short read: keep what was read */
		if (ph.p_type == PT_DYNAMIC && !o->has_dynamic) {
			o->has_dynamic = true;
			o->dynamic_vaddr = ph.p_vaddr;
			o->dynamic_size = ph.p_memsz;
		}
		prev = o->nloads ? &o->loads[o->nloads - 1] : NULL;
		if (ph.p_type != PT_LOAD || !load_is_sane(&ph, size, prev))
			continue;
		if (!o->loads) {
			/* At most phnum entries, bounded by the file size. */
			o->loads = calloc(phnum, sizeof(*o->loads));
			if (!o->loads)
				return -ENOMEM;
		}
		s = &o->loads[o->nloads++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->flags = ph.p_flags & (PF_R | PF_W | PF_X);
	}
	return 0;
}

/* NT_GNU_BUILD_ID of a note section; gelf_getnote checks every note's
 * sizes against the section (a truncated note ends the walk). */
static void build_id_read(Elf_Scn *scn, uint8_t *id, size_t *len)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0, next, noff, doff;
	GElf_Nhdr nh;

	if (!d || !d->d_buf)
		return;
	while ((next = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp((const char *)d->d_buf + noff, "GNU", 4) == 0 &&
		    nh.n_descsz > 0 && nh.n_descsz <= 64) {
			memcpy(id, (const char *)d->d_buf + doff, nh.n_descsz);
			*len = nh.n_descsz;
			return;
		}
		off = next;
	}
}

/* .gnu_debuglink: a file name, NUL, padding to 4, a CRC-32 of the file. */
static int debuglink_read(struct elf_object *o, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	const char *buf;
	size_t n, crc_off;
	uint32_t crc;

	if (!d || !d->d_buf || d->d_size < 8)
		return 0;
	buf = d->d_buf;
	n = strnlen(buf, d->d_size);
	crc_off = (n + 4) & ~(size_t)3;
	if (n == 0 || n > 255 || crc_off + 4 > d->d_size || memchr(buf, '/', n))
		return 0;
	memcpy(&crc, buf + crc_off, 4);
	o->debuglink = strndup(buf, n);
	if (!o->debuglink)
		return -ENOMEM;
	o->debuglink_crc = crc;
	return 0;
}

static int section_cmp(const void *a, const void *b)
{
	const struct elf_section *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

/* Allocated sections, the build-id and the debug link. A missing or
 * malformed section table leaves them empty. 0 or -ENOMEM. */
static int sections_read(struct elf_object *o, Elf *e)
{
	size_t shnum, shstrndx;
	Elf_Scn *scn = NULL;
	int ret = 0;

	if (elf_getshdrnum(e, &shnum) != 0 || shnum < 2 || shnum > ELF_MAX_SHNUM)
		return 0;
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return 0;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		struct elf_section *sec;
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (sh.sh_type == SHT_NOTE && o->build_id_len == 0)
			build_id_read(scn, o->build_id, &o->build_id_len);
		if (sh.sh_type == SHT_PROGBITS && !o->debuglink &&
		    strcmp(name, ".gnu_debuglink") == 0 &&
		    (ret = debuglink_read(o, scn)) < 0)
			return ret;
		if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_size == 0 || name[0] == '\0')
			continue;
		/* .tbss takes no room in the image: each thread gets a copy. */
		if (sh.sh_type == SHT_NOBITS && (sh.sh_flags & SHF_TLS))
			continue;
		if (sh.sh_addr + sh.sh_size < sh.sh_addr)
			continue;
		if (!o->sections) {
			o->sections = calloc(shnum, sizeof(*o->sections));
			if (!o->sections)
				return -ENOMEM;
		}
		if (o->nsections >= shnum)
			break;
		sec = &o->sections[o->nsections];
		sec->name = pool_add(&o->pool, name, strlen(name));
		if (!sec->name)
			return -ENOMEM;
		sec->addr = sh.sh_addr;
		sec->size = sh.sh_size;
		o->nsections++;
	}
	if (o->nsections)
		qsort(o->sections, o->nsections, sizeof(*o->sections), section_cmp);
	return 0;
}

/* Fill O from E, a file of SIZE bytes. A malformed object leaves is_elf
 * false or drops the segments and sections that do not make sense; only
 * ENOMEM fails. */
static int elf_object_parse(struct elf_object *o, Elf *e, uint64_t size)
{
	GElf_Ehdr eh;
	size_t entsize;
	int cls, ret;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return 0;
	cls = gelf_getclass(e);
	if (cls == ELFCLASS32)
		entsize = sizeof(Elf32_Phdr);
	else if (cls == ELFCLASS64)
		entsize = sizeof(Elf64_Phdr);
	else
		return 0;
	o->is_elf = true;
	o->e_type = eh.e_type;
	o->elf_class = (unsigned)cls;
	ret = loads_read(o, e, &eh, entsize, size);
	if (ret == 0)
		ret = sections_read(o, e);
	return ret;
}

/* ---- symbols ---------------------------------------------------------- */

static char *path_unescape(const char *s);

struct symvec {
	struct elf_symbol *v;
	size_t n, cap;
};

static bool symbol_wanted(const GElf_Sym *sym, const char *name)
{
	unsigned type = GELF_ST_TYPE(sym->st_info);

	if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE &&
	    type != STT_GNU_IFUNC)
		return false; /* sections, files, TLS offsets */
	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx == SHN_ABS ||
	    sym->st_shndx == SHN_COMMON)
		return false;
	/* Assembler locals and ARM/AArch64 mapping symbols ($x, $d). */
	return name[0] != '\0' && name[0] != '$' && strncmp(name, ".L", 2) != 0;
}

/* The most symbols kept from one object: $VMATLAS_MAX_SYMBOLS, else the
 * default. */
static size_t max_symbols(void)
{
	const char *e = getenv("VMATLAS_MAX_SYMBOLS");
	uint64_t v;

	if (e && parse_u64(e, &v) == 0 && v > 0 && v <= ELF_MAX_SYMS_CEILING)
		return (size_t)v;
	return ELF_MAX_SYMS_DEFAULT;
}

/* Append the symbols of table SCN (SH its header) to SV. elf_getdata
 * bounds the table by the file, gelf_getsym each entry by the table, and
 * elf_strptr each name by its string table (which must be SHT_STRTAB and
 * NUL-terminated there). */
static int symtab_read(struct elf_object *o, Elf *e, Elf_Scn *scn,
		       const GElf_Shdr *sh, struct symvec *sv)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t symsz = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT), n;
	size_t max = max_symbols();

	if (!d || symsz == 0)
		return 0;
	n = d->d_size / symsz;
	for (size_t i = 1; i < n; i++) {
		struct elf_symbol *s;
		const char *raw;
		GElf_Sym sym;
		size_t len;

		if (!gelf_getsym(d, (int)i, &sym))
			break;
		raw = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!raw || !symbol_wanted(&sym, raw))
			continue;
		if (sv->n >= max) {
			o->syms_dropped++;
			continue;
		}
		if (sv->n == sv->cap) {
			size_t cap = sv->cap ? sv->cap * 2 : 256;
			struct elf_symbol *v = realloc(sv->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			sv->v = v;
			sv->cap = cap;
		}
		s = &sv->v[sv->n];
		len = strlen(raw);
		s->raw = pool_add(&o->pool, raw, len);
		if (!s->raw && errno == E2BIG) {
			o->syms_dropped++;
			continue;
		}
		if (!s->raw)
			return -ENOMEM;
		s->addr = sym.st_value;
		s->size = sym.st_size;
		s->bind = GELF_ST_BIND(sym.st_info);
		s->type = GELF_ST_TYPE(sym.st_info);
		sv->n++;
	}
	return 0;
}

/* Every .symtab (and unless SYMTAB_ONLY, .dynsym) of E into SV; *HAS_SYMTAB
 * (may be NULL) says whether E had a .symtab. */
static int symbols_from_elf(struct elf_object *o, Elf *e, bool symtab_only,
			    struct symvec *sv, bool *has_symtab)
{
	Elf_Scn *scn = NULL;
	size_t shnum;
	int ret;

	if (elf_kind(e) != ELF_K_ELF || elf_getshdrnum(e, &shnum) != 0 ||
	    shnum > ELF_MAX_SHNUM)
		return 0;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type != SHT_SYMTAB &&
		    (symtab_only || sh.sh_type != SHT_DYNSYM))
			continue;
		if (sh.sh_type == SHT_SYMTAB && has_symtab)
			*has_symtab = true;
		ret = symtab_read(o, e, scn, &sh, sv);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int symbol_cmp(const void *a, const void *b)
{
	const struct elf_symbol *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->raw, y->raw);
}

/* Sort SV by address, drop what .symtab and .dynsym both listed, and hand
 * it to O. */
static void symbols_finish(struct elf_object *o, struct symvec *sv)
{
	size_t n = 0;

	if (sv->n)
		qsort(sv->v, sv->n, sizeof(*sv->v), symbol_cmp);
	for (size_t i = 0; i < sv->n; i++) {
		if (n && symbol_cmp(&sv->v[n - 1], &sv->v[i]) == 0)
			continue;
		sv->v[n++] = sv->v[i];
	}
	o->syms = sv->v;
	o->nsyms = n;
	o->symbols_read = true;
	sv->v = NULL;
}

/* The build-id of E (any SHT_NOTE section). */
static size_t elf_build_id(Elf *e, uint8_t *id)
{
	Elf_Scn *scn = NULL;
	size_t len = 0, shnum;

	if (elf_getshdrnum(e, &shnum) != 0 || shnum > ELF_MAX_SHNUM)
		return 0;
	while (len == 0 && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE)
			build_id_read(scn, id, &len);
	}
	return len;
}

const char *elf_debug_dir(void)
{
	const char *d = getenv("VMATLAS_DEBUG_DIR");

	return d && d[0] == '/' ? d : "/usr/lib/debug";
}

/* Open PATH as a candidate debug file of O: a regular file, not O itself,
 * reached through no symlink that anyone but root could have made (the
 * name and its directory are the target's to choose). */
static int debug_open(const char *path, const struct elf_object *o,
		      uint64_t *size)
{
	struct stat st;
	int fd = open_untrusted(path, OPEN_LINKS_ROOT, &st);

	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size > ELF_MAX_SIZE ||
	    (st.st_dev == o->dev && st.st_ino == o->inode)) {
		close(fd);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* The CRC-32 (zlib's, the one .gnu_debuglink uses) of FD's SIZE bytes. */
static bool crc_matches(int fd, uint64_t size, uint32_t want)
{
	static char buf[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	uint64_t off = 0;

	while (off < size) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);

		if (n <= 0)
			return false;
		crc = crc32(crc, (const Bytef *)buf, (uInt)n);
		off += (uint64_t)n;
	}
	return (uint32_t)crc == want;
}

/* Open O's separate debug file as gdb finds it: DEBUGDIR/.build-id/xx/
 * yyyy.debug (same build-id inside), else the .gnu_debuglink name beside
 * the object, in its .debug/ directory, or under DEBUGDIR plus the
 * object's directory (with a matching CRC). Returns an ELF_C_READ handle
 * (the descriptor in *FD) and the path in *PATH, or NULL. */
static Elf *debug_file_open(const struct elf_object *o, int *fd, char **path)
{
	const char *dir = elf_debug_dir();
	char buf[PATH_MAX], *objdir = NULL, *slash;
	uint64_t size;
	Elf *e;

	if (o->build_id_len >= 2) {
		int n = snprintf(buf, sizeof(buf), "%s/.build-id/%02x/", dir,
				 o->build_id[0]);

		for (size_t i = 1; i < o->build_id_len && n > 0 &&
		     (size_t)n + 3 < sizeof(buf); i++)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%02x",
				      o->build_id[i]);
		if (n > 0 && (size_t)n + 7 < sizeof(buf)) {
			uint8_t id[64];

			strcpy(buf + n, ".debug");
			*fd = debug_open(buf, o, &size);
			if (*fd >= 0) {
				e = elf_begin(*fd, ELF_C_READ, NULL);
				if (e && elf_build_id(e, id) == o->build_id_len &&
				    memcmp(id, o->build_id, o->build_id_len) == 0)
					goto found;
				if (e)
					elf_end(e);
				close(*fd);
			}
		}
	}
	if (!o->debuglink || o->path[0] != '/' || !(objdir = path_unescape(o->path)))
		return NULL;
	slash = strrchr(objdir, '/');
	*slash = '\0';
	for (int i = 0; i < 3; i++) {
		if (snprintf(buf, sizeof(buf), "%s%s/%s%s", i == 2 ? dir : "",
			     objdir, i == 1 ? ".debug/" : "",
			     o->debuglink) >= (int)sizeof(buf))
			continue;
		*fd = debug_open(buf, o, &size);
		if (*fd < 0)
			continue;
		if (crc_matches(*fd, size, o->debuglink_crc) &&
		    (e = elf_begin(*fd, ELF_C_READ, NULL)) != NULL)
			goto found;
		close(*fd);
	}
	free(objdir);
	return NULL;
found:
	free(objdir);
	*path = strdup(buf);
	return e;
}

int elf_object_read_symbols(struct elf_object *o, int fd, uint64_t size)
{
	struct symvec sv = { 0 };
	bool has_symtab = false;
	Elf *e = NULL, *de = NULL;
	int dfd = -1, ret = 0;

	if (o->symbols_read)
		return 0;
	o->symbols_read = true;
	if (!o->is_elf || size > ELF_MAX_SIZE)
		return 0;
	(void)elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return 0;
	ret = symbols_from_elf(o, e, false, &sv, &has_symtab);
	if (ret == 0 && !has_symtab &&
	    (de = debug_file_open(o, &dfd, &o->debug_file)) != NULL)
		ret = symbols_from_elf(o, de, true, &sv, NULL);
	if (ret == 0)
		symbols_finish(o, &sv);
	free(sv.v);
	if (de)
		elf_end(de);
	if (dfd >= 0)
		close(dfd);
	elf_end(e);
	return ret;
}

/* How much a symbol is preferred among those at one address: functions and
 * objects over labels, global over local, a plain name over a versioned
 * one (.symtab's "memcpy@GLIBC_2.2.5"), "getpid" over "__getpid". */
static int symbol_rank(const struct elf_symbol *s)
{
	int r = 0;

	if (s->type != STT_NOTYPE)
		r += 8;
	if (s->bind != STB_LOCAL)
		r += 4;
	if (!strchr(s->raw, '@'))
		r += 2;
	if (s->raw[0] != '_')
		r += 1;
	return r;
}

const struct elf_section *elf_object_section_at(const struct elf_object *o,
						uint64_t vaddr)
{
	for (size_t i = 0; i < o->nsections; i++)
		if (vaddr >= o->sections[i].addr &&
		    vaddr - o->sections[i].addr < o->sections[i].size)
			return &o->sections[i];
	return NULL;
}

/* As gdb's minimal symbols (lookup_minimal_symbol_by_pc_section): from
 * VADDR down, the first symbol with a size is the answer if it covers
 * VADDR (of several at its address, the best ranked that does); a symbol
 * without a size (a label, a stripped .dynsym's entry, a size nobody set)
 * is the answer only if it lies above that one, in VADDR's section, and it
 * is then only the nearest below. Bounded, and never below VADDR's
 * section. */
const struct elf_symbol *elf_object_symbol_at(const struct elf_object *o,
					      uint64_t vaddr, bool *nearest)
{
	const struct elf_section *sec = elf_object_section_at(o, vaddr);
	const struct elf_symbol *best = NULL, *zero = NULL;
	uint64_t sized_at = 0;
	bool sized = false;
	size_t lo = 0, hi = o->nsyms, steps = 0;

	*nearest = false;
	/* The first symbol above VADDR. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0 && steps++ < 512) {
		const struct elf_symbol *s = &o->syms[lo];

		if (sized && s->addr != sized_at)
			break; /* every symbol at the first sized one's address seen */
		if (sec && s->addr < sec->addr)
			break;
		if (s->size == 0) {
			if (!sized && sec && (!zero || (s->addr == zero->addr &&
					      symbol_rank(s) > symbol_rank(zero))))
				zero = s;
			continue;
		}
		sized = true;
		sized_at = s->addr;
		if (vaddr - s->addr < s->size &&
		    (!best || symbol_rank(s) > symbol_rank(best)))
			best = s;
	}
	if (best)
		return best;
	if (zero && sized && zero->addr == sized_at)
		zero = NULL; /* a label at the start of what does not reach VADDR */
	*nearest = zero != NULL;
	return zero;
}

/* The identifier that NAME's mangled form must spell as "<length><id>":
 * the last one of its name before the parameter list ("push" for
 * "Ring<double, 16>::push(double)"), so that only a few symbols need
 * demangling to be compared. Empty when none can be told (an operator). */
static void name_key(const char *name, char *key, size_t keylen)
{
	size_t end = strlen(name), depth = 0, start;

	key[0] = '\0';
	/* The parameter list: the first "(" outside <> that follows a name
	 * ("(anonymous namespace)" starts one, it does not follow one). */
	for (size_t i = 0; name[i]; i++) {
		if (name[i] == '<')
			depth++;
		else if (name[i] == '>' && depth)
			depth--;
		else if (name[i] == '(' && depth == 0 && i > 0 &&
			 (isalnum((unsigned char)name[i - 1]) || name[i - 1] == '_' ||
			  name[i - 1] == '>')) {
			end = i;
			break;
		}
	}
	/* Template arguments at the end: "f<int>" is spelt "1fIiE". */
	if (end > 0 && name[end - 1] == '>') {
		depth = 0;
		while (end > 0) {
			end--;
			if (name[end] == '>')
				depth++;
			else if (name[end] == '<' && --depth == 0)
				break;
		}
	}
	start = end;
	while (start > 0 && (isalnum((unsigned char)name[start - 1]) || name[start - 1] == '_'))
		start--;
	if (start == end || isdigit((unsigned char)name[start]) ||
	    strstr(name, "operator") || end - start + 12 > keylen)
		return;
	snprintf(key, keylen, "%zu%.*s", end - start, (int)(end - start), name + start);
}

/* NAME is S's name as in the table, or its demangled name, or that up to
 * the parameter list ("ns::f" for "ns::f(int)"). KEY: name_key's. */
static bool symbol_name_is(const struct elf_symbol *s, const char *name,
			   const char *key)
{
	if (strcmp(s->raw, name) == 0)
		return true;
	if (s->raw[0] != '_' || s->raw[1] != 'Z' || (key[0] && !strstr(s->raw, key)))
		return false;
	return elf_demangled_is(s->raw, name);
}

const struct elf_symbol *elf_object_symbol_named(const struct elf_object *o,
						 const char *name, bool global,
						 uint64_t deadline_ns)
{
	const struct elf_symbol *best = NULL;
	char key[256];

	name_key(name, key, sizeof(key));
	for (size_t i = 0; i < o->nsyms; i++) {
		const struct elf_symbol *s = &o->syms[i];

		if ((i & 4095) == 0 &&
		    (vm_should_quit() || (deadline_ns && vm_now_ns() > deadline_ns))) {
			errno = vm_should_quit() ? EINTR : ETIMEDOUT;
			return NULL;
		}

		if (global && s->bind != STB_GLOBAL && s->bind != STB_WEAK &&
		    s->bind != STB_GNU_UNIQUE)
			continue;
		if ((!best || symbol_rank(s) > symbol_rank(best)) &&
		    symbol_name_is(s, name, key))
			best = s;
	}
	return best;
}

static struct elf_object *elf_object_new(const char *path)
{
	struct elf_object *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->path = strdup(path ? path : "");
	if (!o->path) {
		free(o);
		return NULL;
	}
	return o;
}

struct elf_object *elf_object_from_memory(const void *image, size_t size)
{
	struct elf_object *o;
	char *copy = NULL;
	Elf *e = NULL;
	int err = 0;

	o = elf_object_new("");
	if (!o)
		return NULL;
	if (!image || size == 0 || size > ELF_MAX_SIZE)
		return o;
	(void)elf_version(EV_CURRENT);
	/* libelf may convert the image in place; the caller's stays const. */
	copy = malloc(size);
	if (!copy) {
		err = ENOMEM;
		goto out;
	}
	memcpy(copy, image, size);
	e = elf_memory(copy, size);
	if (e && elf_object_parse(o, e, size) < 0)
		err = ENOMEM;
	if (e && !err && o->is_elf) {
		struct symvec sv = { 0 };

		if (symbols_from_elf(o, e, false, &sv, NULL) < 0)
			err = ENOMEM;
		else
			symbols_finish(o, &sv);
		free(sv.v);
	}
out:
	if (e)
		elf_end(e);
	free(copy);
	if (err) {
		elf_object_free(o);
		errno = err;
		return NULL;
	}
	return o;
}

/* Read the object open on FD (a regular file of SIZE bytes). */
static int elf_object_read_fd(struct elf_object *o, int fd, uint64_t size)
{
	Elf *e;
	int ret;

	if (size > ELF_MAX_SIZE)
		return 0;
	(void)elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return 0; /* not readable as ELF: a plain file */
	ret = elf_object_parse(o, e, size);
	elf_end(e);
	return ret;
}

/* The kernel prints a newline in a mapped file's name as "\012"
 * (fs/proc/task_mmu.c: seq_file_path(m, file, "\n")). */
static char *path_unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *d = out;

	if (!out)
		return NULL;
	while (*s) {
		if (strncmp(s, "\\012", 4) == 0) {
			*d++ = '\n';
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
	return out;
}

/* Open REL (relative to DIRFD, or absolute) as an O_PATH descriptor without
 * following symlinks: the kernel's name for a mapped file is a resolved path,
 * so a symlink on it means the tree changed under us. */
static int open_path_nofollow(int dirfd, const char *rel, bool in_root)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS |
			   (in_root ? RESOLVE_IN_ROOT : 0),
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS && !in_root)
		fd = openat(dirfd, rel, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : (int)fd;
}

/* Turn an O_PATH descriptor of the mapped file into a readable one, after
 * checking it is the regular file with M's identity: nothing but a regular
 * file is ever opened for reading (no FIFO, no device side effects). */
static int reopen_checked(int pathfd, const struct vm_mapping *m,
			  struct stat *st)
{
	char buf[64];
	int fd;

	if (fstat(pathfd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_dev != makedev(m->dev_major, m->dev_minor) ||
	    st->st_ino != m->inode)
		return -ESTALE;
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", pathfd);
	fd = open(buf, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	return fd;
}

void elf_allow_remote(bool on)
{
	remotefs_allow(on);
}

size_t elf_remote_skipped(void)
{
	return remotefs_skipped();
}

/* Open the file M maps, as process PID sees it, on the caller's thread
 * (mapped_file_open bounds it). 0 or -errno; on success *FD is readable
 * and *ST describes it. */
static int mapped_file_open_now(pid_t pid, const struct vm_mapping *m, int *fd,
				struct stat *st)
{
	char buf[PATH_MAX];
	char *path = NULL;
	int pfd, rootfd = -1, ret;
	/* fs/proc/base.c: map_files/ names are "%lx-%lx"; following them
	 * needs CAP_SYS_ADMIN in the initial user namespace. They work for
	 * deleted and renamed files too. */
	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)pid, m->start, m->end);
	pfd = open(buf, O_PATH | O_CLOEXEC);
	if (pfd >= 0)
		goto check;
	ret = -errno;
	if (m->deleted || m->path[0] != '/')
		return ret;

	path = path_unescape(m->path);
	if (!path)
		return -ENOMEM;
	/* The maps path is d_path() relative to the READER's root (ours), so
	 * try it as is first; a target in another mount namespace may only
	 * be reachable through its root. The identity check decides. */
	pfd = open_path_nofollow(AT_FDCWD, path, false);
	if (pfd < 0) {
		snprintf(buf, sizeof(buf), "/proc/%d/root", (int)pid);
		rootfd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			ret = -errno;
			goto out;
		}
		pfd = open_path_nofollow(rootfd, path + 1, true);
		if (pfd < 0) {
			ret = pfd;
			goto out;
		}
	}
check:
	ret = reopen_checked(pfd, m, st);
	if (ret >= 0 || ret != -ESTALE || rootfd >= 0 || !path)
		goto done;
	/* Our view of the path is another file: try the target's root. */
	close(pfd);
	snprintf(buf, sizeof(buf), "/proc/%d/root", (int)pid);
	rootfd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		goto out;
	pfd = open_path_nofollow(rootfd, path + 1, true);
	if (pfd < 0)
		goto out;
	ret = reopen_checked(pfd, m, st);
done:
	close(pfd);
	if (ret >= 0) {
		*fd = ret;
		ret = 0;
	}
out:
	if (rootfd >= 0)
		close(rootfd);
	free(path);
	return ret;
}

/* ---- reads bounded in time ------------------------------------------ */

/* Every open and read of a target's mapped file runs on a worker thread
 * and is waited for READ_TIMEOUT_MS at most (bounded_run): a file system
 * that never answers (a FUSE daemon stopped, an NFS server gone, a disk
 * that hangs) costs the deadline once. The device it is on is then hung
 * until that read returns: its other files are not tried meanwhile. */
static unsigned read_timeout_ms = ELF_READ_TIMEOUT_MS;
static size_t timeouts;

struct hung_dev {
	unsigned major, minor;
	int stuck; /* reads given up and not returned yet */
};
static struct hung_dev hung[64];
static size_t nhung;
static pthread_mutex_t hung_mu = PTHREAD_MUTEX_INITIALIZER;

void elf_read_timeout(unsigned ms)
{
	read_timeout_ms = ms ? ms : 1;
}

size_t elf_timeout_skipped(void)
{
	size_t n;

	pthread_mutex_lock(&hung_mu);
	n = timeouts;
	pthread_mutex_unlock(&hung_mu);
	return n;
}

/* Count a read on MAJOR:MINOR given up (D 1) or returned after that
 * (D -1, from the worker: it may come first). */
static void hung_count(unsigned major, unsigned minor, int d)
{
	size_t i;

	pthread_mutex_lock(&hung_mu);
	for (i = 0; i < nhung; i++)
		if (hung[i].major == major && hung[i].minor == minor)
			break;
	if (i == nhung && nhung < sizeof(hung) / sizeof(hung[0]))
		hung[nhung++] = (struct hung_dev){ major, minor, 0 };
	if (i < nhung)
		hung[i].stuck += d;
	if (d > 0)
		timeouts++;
	pthread_mutex_unlock(&hung_mu);
}

/* Is MAJOR:MINOR hung (counted as one more file left unread when
 * COUNT)? */
static bool hung_now(unsigned major, unsigned minor, bool count)
{
	bool r = false;

	pthread_mutex_lock(&hung_mu);
	for (size_t i = 0; i < nhung; i++)
		if (hung[i].major == major && hung[i].minor == minor)
			r = hung[i].stuck > 0;
	timeouts += r && count;
	pthread_mutex_unlock(&hung_mu);
	return r;
}

static int64_t st_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static struct elf_object *elf_object_from_fd(int fd, const struct stat *st,
					     const char *path)
{
	struct elf_object *o = elf_object_new(path);

	if (!o)
		return NULL;
	o->dev = st->st_dev;
	o->inode = st->st_ino;
	o->mtime_ns = st_mtime_ns(st);
	if (elf_object_read_fd(o, fd, (uint64_t)st->st_size) < 0) {
		elf_object_free(o);
		errno = ENOMEM;
		return NULL;
	}
	return o;
}

/* One mapped file, opened (and read when the cache does not hold it as it
 * is now) on a worker thread. KNOWN describes the cache's object of the
 * same device and inode, if any: the worker compares, never touches the
 * cache (it may outlive the caller's wait). */
struct file_job {
	pid_t pid;
	struct vm_mapping m;  /* a copy: path owned */
	enum { FJ_OPEN, FJ_READ } mode; /* open only, or read what is needed */
	bool symbols;         /* with the symbols */
	bool known;
	uint64_t known_dev, known_inode;
	int64_t known_mtime;
	bool known_symbols;
	/* results */
	int ret;              /* 0 or -errno of the open */
	int fd;               /* FJ_OPEN: open, owned */
	struct stat st;
	enum { FJ_HIT, FJ_NEW, FJ_SYMBOLS } got; /* FJ_READ: KNOWN is current;
					  * O is the file anew; O holds
					  * the symbols KNOWN lacks */
	struct elf_object *o; /* owned */
};

static void file_job_run(void *arg)
{
	struct file_job *j = arg;
	bool same;
	int fd;

	j->ret = mapped_file_open_now(j->pid, &j->m, &fd, &j->st);
	if (j->ret < 0)
		return;
	if (j->mode == FJ_OPEN) {
		j->fd = fd;
		return;
	}
	same = j->known && j->known_dev == j->st.st_dev && j->known_inode == j->st.st_ino &&
	       j->known_mtime == st_mtime_ns(&j->st);
	if (same && (!j->symbols || j->known_symbols)) {
		j->got = FJ_HIT;
	} else {
		/* Symbols for the known object come in a copy of it. */
		j->got = same ? FJ_SYMBOLS : FJ_NEW;
		j->o = elf_object_from_fd(fd, &j->st, j->m.path);
		if (j->o && j->symbols &&
		    elf_object_read_symbols(j->o, fd, (uint64_t)j->st.st_size) < 0) {
			elf_object_free(j->o);
			j->o = NULL;
		}
		if (!j->o)
			j->ret = -ENOMEM;
	}
	close(fd);
}

static void file_job_free(struct file_job *j)
{
	elf_object_free(j->o);
	free(j->m.path);
	free(j);
}

static void file_job_drop(void *arg)
{
	struct file_job *j = arg;

	if (j->mode == FJ_OPEN && j->ret == 0)
		close(j->fd);
	hung_count(j->m.dev_major, j->m.dev_minor, -1);
	file_job_free(j);
}

/* Run J (made by file_job_new) within the deadline: 0 or -errno
 * (-ETIMEDOUT: given up, J is the worker's now). Files on FUSE, NFS and
 * CIFS mounts are not even tried (-EREMOTE) unless asked. */
static int file_job_do(struct file_job *j)
{
	int r;

	/* Even fstat() waits for a hung FUSE daemon or NFS server. */
	if (remotefs_dev(j->pid, j->m.dev_major, j->m.dev_minor))
		r = -EREMOTE;
	else if (hung_now(j->m.dev_major, j->m.dev_minor, true))
		r = -ETIMEDOUT;
	else if ((r = bounded_run(file_job_run, file_job_drop, j, read_timeout_ms)) == -ETIMEDOUT ||
		 r == -EINTR) {
		if (r == -ETIMEDOUT)
			hung_count(j->m.dev_major, j->m.dev_minor, 1);
		return r;
	} else if (r == 0) {
		r = j->ret;
	}
	if (r < 0)
		file_job_free(j);
	return r;
}

static struct file_job *file_job_new(pid_t pid, const struct vm_mapping *m)
{
	struct file_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->pid = pid;
	j->m = *m;
	j->m.runs = NULL;
	j->m.sections = NULL;
	j->m.extra = NULL;
	j->fd = -1;
	j->m.path = strdup(m->path);
	if (!j->m.path) {
		free(j);
		return NULL;
	}
	return j;
}

/* mapped_file_open_now on the worker, within the deadline. */
static int mapped_file_open(pid_t pid, const struct vm_mapping *m, int *fd,
			    struct stat *st)
{
	struct file_job *j;
	int r;

	if (!m->path || m->path[0] == '\0' || m->path[0] == '[')
		return -EINVAL; /* not a file mapping */
	if (!(j = file_job_new(pid, m)))
		return -ENOMEM;
	j->mode = FJ_OPEN;
	if ((r = file_job_do(j)) < 0)
		return r;
	*fd = j->fd;
	*st = j->st;
	file_job_free(j);
	return 0;
}

/* Give O, whose symbols were not read, those of T (the same file read
 * again with them), and free T. */
static void symbols_take(struct elf_object *o, struct elf_object *t)
{
	o->symbols_read = true;
	o->syms = t->syms;
	o->nsyms = t->nsyms;
	o->syms_dropped = t->syms_dropped;
	o->debug_file = t->debug_file;
	t->syms = NULL;
	t->debug_file = NULL;
	/* T's names, its symbols' among them, join O's pool. */
	if (t->pool && t->pool->head) {
		if (!o->pool) {
			o->pool = t->pool;
			t->pool = NULL;
		} else {
			struct pool_chunk *tail = t->pool->head;

			while (tail->next)
				tail = tail->next;
			tail->next = o->pool->head;
			o->pool->head = t->pool->head;
			o->pool->total += t->pool->total;
			t->pool->head = NULL;
		}
	}
	elf_object_free(t);
}

struct elf_object *elf_object_load(pid_t pid, const struct vm_mapping *m)
{
	struct elf_object *o;
	struct file_job *j;
	int r;

	if (!m->path || m->path[0] == '\0' || m->path[0] == '[') {
		errno = EINVAL;
		return NULL;
	}
	if (!(j = file_job_new(pid, m))) {
		errno = ENOMEM;
		return NULL;
	}
	j->mode = FJ_READ;
	if ((r = file_job_do(j)) < 0) {
		errno = -r;
		return NULL;
	}
	o = j->o;
	j->o = NULL;
	file_job_free(j);
	return o;
}

static uint64_t page_down(uint64_t v, uint64_t pg)
{
	return v & ~(pg - 1);
}

static uint64_t page_up(uint64_t v, uint64_t pg)
{
	return (v + pg - 1) & ~(pg - 1);
}

/* A segment is a candidate when M's file offset lies in its page-rounded
 * file range; the address then gives the load bias. The vdso is mapped
 * from its first byte. */
const struct elf_segment *elf_segment_for_mapping(const struct elf_object *o,
						  const struct vm_mapping *m,
						  uint64_t pg,
						  const uint64_t *known_bias,
						  uint64_t *bias)
{
	const struct elf_segment *first = NULL;
	uint64_t first_bias = 0;
	uint64_t moff = m->path && strcmp(m->path, "[vdso]") == 0 ? 0 : m->offset;

	for (size_t i = 0; i < o->nloads; i++) {
		const struct elf_segment *s = &o->loads[i];
		uint64_t foff = page_down(s->offset, pg);
		uint64_t fend = page_up(s->offset + s->filesz, pg);
		uint64_t vstart = page_down(s->vaddr, pg);
		uint64_t vend = page_up(s->vaddr + s->memsz, pg);
		uint64_t b;

		if (moff < foff || moff >= fend)
			continue;
		b = m->start - (vstart + (moff - foff));
		if (m->end - b > vend)
			continue; /* longer than the segment */
		if (known_bias && b == *known_bias) {
			*bias = b;
			return s;
		}
		if (!first) {
			first = s;
			first_bias = b;
		}
	}
	if (first)
		*bias = first_bias;
	return first;
}

/* ---- cache ---------------------------------------------------------- */

struct elf_cache_entry {
	struct elf_object *obj; /* owned */
	uint64_t last_use;
	uint64_t pass;    /* the pass in which the file was last opened */
};

struct file_batch;

struct elf_cache {
	struct elf_cache_entry e[ELF_CACHE_MAX];
	size_t n;
	uint64_t clock;
	uint64_t pass;
	/* Files read on the worker ahead of their use (elf_cache_prefetch),
	 * taken in at the next use of the cache. */
	struct file_batch *batch;
	struct bounded *pending;
	struct elf_cache_entry **batch_slots;
};

struct elf_cache *elf_cache_new(void)
{
	/* The worker that reads the files starts while /proc is read. */
	bounded_warm();
	return calloc(1, sizeof(struct elf_cache));
}

static void cache_settle(struct elf_cache *c);

void elf_cache_pass(struct elf_cache *c)
{
	if (!c)
		return;
	cache_settle(c);
	c->pass++;
}

void elf_cache_free(struct elf_cache *c)
{
	if (!c)
		return;
	if (c->batch) {
		bounded_abandon(c->pending);
		free(c->batch_slots);
	}
	for (size_t i = 0; i < c->n; i++)
		elf_object_free(c->e[i].obj);
	free(c);
}

/* Read the [vdso] mapping M of PID into a new buffer (*LEN bytes). */
static void *vdso_read(pid_t pid, const struct vm_mapping *m, size_t *len)
{
	size_t n = m->end - m->start;
	ssize_t got = -1;
	char *buf;

	if (m->end <= m->start || n > VDSO_MAX)
		return NULL;
	buf = malloc(n);
	if (!buf)
		return NULL;
#ifdef HAVE_PROCESS_VM_READV
	{
		struct iovec local = { buf, n };
		struct iovec remote = { (void *)(uintptr_t)m->start, n };

		got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	}
#endif
	if (got != (ssize_t)n) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		got = fd < 0 ? -1 : pread(fd, buf, n, (off_t)m->start);
		if (fd >= 0)
			close(fd);
	}
	if (got != (ssize_t)n) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Put O in a free or the least recently used slot (SLOT when given). */
static const struct elf_object *cache_insert(struct elf_cache *c,
					     struct elf_cache_entry *slot,
					     struct elf_object *o)
{
	if (!slot && c->n < ELF_CACHE_MAX)
		slot = &c->e[c->n++];
	if (!slot) {
		slot = &c->e[0];
		for (size_t i = 1; i < c->n; i++)
			if (c->e[i].last_use < slot->last_use)
				slot = &c->e[i];
	}
	elf_object_free(slot->obj);
	slot->obj = o;
	slot->last_use = c->clock;
	slot->pass = c->pass;
	return o;
}

/* The vdso is not a file: it is read from the target and cached by its
 * contents (dev ~0, inode = CRC-32, mtime = size), which are the same for
 * every process of one boot. */
static const struct elf_object *cache_get_vdso(struct elf_cache *c, pid_t pid,
					       const struct vm_mapping *m)
{
	struct elf_object *o;
	size_t len;
	uint32_t crc;
	void *img = vdso_read(pid, m, &len);

	if (!img) {
		errno = EIO;
		return NULL;
	}
	crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), img, (uInt)len);
	c->clock++;
	for (size_t i = 0; i < c->n; i++) {
		o = c->e[i].obj;
		if (o->dev == UINT64_MAX && o->inode == crc &&
		    o->mtime_ns == (int64_t)len) {
			c->e[i].last_use = c->clock;
			free(img);
			return o;
		}
	}
	o = elf_object_from_memory(img, len);
	free(img);
	if (!o)
		return NULL;
	free(o->path);
	o->path = strdup("[vdso]");
	if (!o->path) {
		elf_object_free(o);
		errno = ENOMEM;
		return NULL;
	}
	o->dev = UINT64_MAX;
	o->inode = crc;
	o->mtime_ns = (int64_t)len;
	return cache_insert(c, NULL, o);
}

/* The job that reads M for C: with what C holds of M's device and inode,
 * if anything (*SLOT, else NULL), for the worker to compare. */
static struct file_job *cache_job(struct elf_cache *c, pid_t pid, const struct vm_mapping *m,
				  bool symbols, struct elf_cache_entry **slot)
{
	struct file_job *j = file_job_new(pid, m);

	*slot = NULL;
	for (size_t i = 0; i < c->n; i++) {
		const struct elf_object *o = c->e[i].obj;

		if (o->dev == makedev(m->dev_major, m->dev_minor) && o->inode == m->inode) {
			*slot = &c->e[i];
			break;
		}
	}
	if (!j)
		return NULL;
	j->mode = FJ_READ;
	j->symbols = symbols;
	if (*slot) {
		j->known = true;
		j->known_dev = (*slot)->obj->dev;
		j->known_inode = (*slot)->obj->inode;
		j->known_mtime = (*slot)->obj->mtime_ns;
		j->known_symbols = (*slot)->obj->symbols_read;
	}
	return j;
}

/* What the finished job J (made by cache_job, SLOT its *SLOT) found, into
 * C; J is freed. The object, current for this pass. */
static const struct elf_object *cache_take(struct elf_cache *c, struct elf_cache_entry *slot,
					   struct file_job *j)
{
	struct elf_object *t = j->o;
	int got = j->got;

	j->o = NULL;
	file_job_free(j);
	if (got == FJ_NEW)
		return cache_insert(c, slot, t); /* new, or rewritten: replaced */
	slot->last_use = c->clock;
	slot->pass = c->pass;
	/* Symbols are read once, the first time they are asked, into a copy
	 * of the object on the worker; the cache's object takes them. */
	if (got == FJ_SYMBOLS)
		symbols_take(slot->obj, t);
	return slot->obj;
}

/* Is M's object current in C for this pass (opened and checked)? */
static const struct elf_object *cache_current(struct elf_cache *c, const struct vm_mapping *m,
					      bool symbols)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct elf_object *o = c->e[i].obj;

		if (c->e[i].pass == c->pass && o->dev != UINT64_MAX &&
		    o->dev == makedev(m->dev_major, m->dev_minor) &&
		    o->inode == m->inode && o->path && m->path &&
		    strcmp(o->path, m->path) == 0 && (!symbols || o->symbols_read)) {
			c->e[i].last_use = c->clock;
			return o;
		}
	}
	return NULL;
}

/* Several files read in one job on the worker: their jobs in turn. */
struct file_batch {
	size_t n, done;
	struct file_job *jobs[];
};

static void batch_run(void *arg)
{
	struct file_batch *b = arg;

	for (size_t i = 0; i < b->n; i++) {
		file_job_run(b->jobs[i]);
		__atomic_store_n(&b->done, i + 1, __ATOMIC_RELEASE);
	}
}

static void batch_drop(void *arg)
{
	struct file_batch *b = arg;

	for (size_t i = 0; i < b->n; i++)
		if (b->jobs[i])
			file_job_free(b->jobs[i]);
	free(b);
}

/* The batch out (elf_cache_prefetch), waited for and taken into C. */
static void cache_settle(struct elf_cache *c)
{
	struct file_batch *b = c->batch;
	size_t k;

	if (!b)
		return;
	c->batch = NULL;
	if (bounded_wait(c->pending, read_timeout_ms, &b->done) < 0) {
		/* The worker has it; each file is tried alone (the one that
		 * hangs then marks its device). */
		free(c->batch_slots);
		c->batch_slots = NULL;
		return;
	}
	k = b->n;
	for (size_t i = 0; i < k; i++) {
		struct file_job *j = b->jobs[i];
		struct elf_cache_entry *slot = c->batch_slots[i];

		b->jobs[i] = NULL;
		if (j->ret < 0) {
			file_job_free(j); /* tried again alone, and said */
			continue;
		}
		/* The cache's object this job compared with may have made room
		 * for an earlier file of the batch: a file read anew goes in
		 * as new, a mere check is lost (cache_get does it again). */
		if (slot && (slot->obj->dev != j->known_dev || slot->obj->inode != j->known_inode)) {
			slot = NULL;
			if (!j->o) {
				file_job_free(j);
				continue;
			}
			j->got = FJ_NEW;
		}
		cache_take(c, slot, j);
	}
	batch_drop(b);
	free(c->batch_slots);
	c->batch_slots = NULL;
}

void elf_cache_prefetch(struct elf_cache *c, pid_t pid, const struct vm_mapping *const *maps,
			size_t n)
{
	struct file_batch *b;
	struct elf_cache_entry **slots;
	size_t k = 0;

	if (!c || n < 2)
		return;
	cache_settle(c);
	b = calloc(1, sizeof(*b) + n * sizeof(b->jobs[0]));
	slots = calloc(n, sizeof(*slots));
	if (!b || !slots)
		goto fail;
	c->clock++;
	/* No more files than the cache holds: more would only evict each
	 * other (and the duplicate check stays short). */
	for (size_t i = 0; i < n && k < ELF_CACHE_MAX; i++) {
		const struct vm_mapping *m = maps[i];
		bool dup = false;

		if (!m->path || m->path[0] != '/' || cache_current(c, m, false) ||
		    remotefs_dev(pid, m->dev_major, m->dev_minor) ||
		    hung_now(m->dev_major, m->dev_minor, false))
			continue;
		/* The mappings of one object come together: newest first. */
		for (size_t q = k; q-- > 0 && !dup;)
			dup = b->jobs[q]->m.dev_major == m->dev_major &&
			      b->jobs[q]->m.dev_minor == m->dev_minor && b->jobs[q]->m.inode == m->inode &&
			      strcmp(b->jobs[q]->m.path, m->path) == 0;
		if (dup)
			continue;
		if (!(b->jobs[k] = cache_job(c, pid, m, false, &slots[k])))
			break;
		b->n = ++k;
	}
	if (k < 2)
		goto fail; /* one file costs as much alone */
	c->pending = bounded_start(batch_run, batch_drop, b);
	if (!c->pending)
		goto fail;
	c->batch = b;
	c->batch_slots = slots;
	return;
fail:
	if (b)
		batch_drop(b);
	free(slots);
}

/* The file is opened and fstat'ed on every call (cheap), on the worker
 * (file_job), within the deadline; its headers are read only when (dev,
 * inode, mtime) is new. Failures to open are not
 * cached: they are cheap to retry and may go away (a process that gains
 * permission, a file put back). Non-ELF files are cached as is_elf false. */
static const struct elf_object *cache_get(struct elf_cache *c, pid_t pid,
					  const struct vm_mapping *m,
					  bool symbols)
{
	struct elf_cache_entry *slot;
	const struct elf_object *o;
	struct file_job *j;
	int ret;

	cache_settle(c);
	if (symbols && m->path && strcmp(m->path, "[vdso]") == 0)
		return cache_get_vdso(c, pid, m);
	/* The several mappings of one object (text, rodata, data...): within
	 * a pass the file opened and checked for the first of them is the one
	 * the others of the same path map, since the device and inode of one
	 * maps listing, which mapped_file_open checks, name one live inode. */
	c->clock++;
	if ((o = cache_current(c, m, symbols)))
		return o;
	if (!m->path || m->path[0] == '\0' || m->path[0] == '[') {
		errno = EINVAL;
		return NULL;
	}
	if (!(j = cache_job(c, pid, m, symbols, &slot))) {
		errno = ENOMEM;
		return NULL;
	}
	if ((ret = file_job_do(j)) < 0) {
		errno = -ret;
		return NULL;
	}
	return cache_take(c, slot, j);
}

const struct elf_object *elf_cache_get(struct elf_cache *c, pid_t pid,
				       const struct vm_mapping *m)
{
	return cache_get(c, pid, m, false);
}

const struct elf_object *elf_cache_get_symbols(struct elf_cache *c, pid_t pid,
					       const struct vm_mapping *m)
{
	return cache_get(c, pid, m, true);
}

int elf_mapped_file_open(pid_t pid, const struct vm_mapping *m, int *fd,
			 struct stat *st)
{
	return mapped_file_open(pid, m, fd, st);
}

int elf_debug_file_fd(const struct elf_object *o, char **path)
{
	char *p = NULL;
	int fd;
	Elf *e = debug_file_open(o, &fd, &p);

	if (!e)
		return -ENOENT;
	elf_end(e);
	if (path)
		*path = p;
	else
		free(p);
	return fd;
}
