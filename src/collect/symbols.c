/* Addresses of a process in terms of its ELF objects (see symbols.h). */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vmatlas/symbols.h"
#include "vmatlas/util.h"

void sym_where_fini(struct sym_where *w)
{
	free(w->object);
	free(w->section);
	free(w->symbol);
	memset(w, 0, sizeof(*w));
}

static bool is_vdso(const struct vm_mapping *m)
{
	return m->path && strcmp(m->path, "[vdso]") == 0;
}

static bool is_file(const struct vm_mapping *m)
{
	return m->path && m->path[0] == '/' && m->inode != 0;
}

static bool same_file(const struct vm_mapping *a, const struct vm_mapping *b)
{
	return is_file(a) && is_file(b) && a->inode == b->inode &&
	       a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

/* Whether ADDR lies in one of M's sections. */
static bool in_sections(const struct vm_mapping *m, uint64_t addr)
{
	for (size_t i = 0; i < m->nsections; i++)
		if (addr >= m->sections[i].start && addr < m->sections[i].end)
			return true;
	return false;
}

/* The mapping of P's object that ADDR in mapping I belongs to (I itself
 * for a file mapping or the vdso, the data mapping before a bss tail, also
 * one the kernel merged with anonymous memory after it), or -1. */
static ssize_t object_mapping(const struct vm_process *p, size_t i, uint64_t addr)
{
	const struct vm_mapping *m = &p->maps[i];

	if (is_file(m) || is_vdso(m))
		return (ssize_t)i;
	if ((m->kind == VK_BSS || (m->kind == VK_ANON && in_sections(m, addr))) && i > 0 &&
	    is_file(&p->maps[i - 1]))
		return (ssize_t)i - 1;
	return -1;
}

/* The object mapped at mapping FM of P with its symbols, and its load
 * bias, taken from the instance's first mapping (the first PT_LOAD, not
 * ambiguous) and confirmed with FM. NULL when it is not a readable ELF
 * object. The object is borrowed from C until its next use. */
static const struct elf_object *object_at(struct elf_cache *c,
					  const struct vm_process *p,
					  size_t fm, uint64_t *bias)
{
	const struct elf_object *o;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), b = 0;
	size_t first = fm;

	o = elf_cache_get_symbols(c, p->pid, &p->maps[fm]);
	if (!o || !o->is_elf)
		return NULL;
	while (first > 0 && same_file(&p->maps[first - 1], &p->maps[fm]))
		first--;
	if (!elf_segment_for_mapping(o, &p->maps[first], pg, NULL, &b) &&
	    first != fm)
		return NULL;
	if (!elf_segment_for_mapping(o, &p->maps[fm], pg, &b, bias))
		return NULL;
	return o;
}

static int dup_into(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

int symbols_describe(struct elf_cache *c, const struct vm_process *p,
		     uint64_t addr, struct sym_where *w)
{
	const struct elf_object *o;
	const struct elf_section *sec;
	const struct elf_symbol *sym;
	ssize_t i = vm_process_find(p, addr), fm;
	uint64_t vaddr;
	bool nearest;

	memset(w, 0, sizeof(*w));
	if (i < 0 || (fm = object_mapping(p, (size_t)i, addr)) < 0)
		return 0;
	o = object_at(c, p, (size_t)fm, &w->bias);
	if (!o)
		return 0;
	vaddr = addr - w->bias;
	sec = elf_object_section_at(o, vaddr);
	sym = elf_object_symbol_at(o, vaddr, &nearest);
	w->syms_dropped = o->syms_dropped;
	if (dup_into(&w->object, p->maps[fm].path) < 0 ||
	    dup_into(&w->section, sec ? sec->name : NULL) < 0)
		goto nomem;
	if (sym) {
		/* Demangled here, for the one name shown. */
		w->symbol = elf_demangle(sym->raw);
		if (!w->symbol && (errno == ENOMEM || dup_into(&w->symbol, sym->raw) < 0))
			goto nomem;
		w->offset = vaddr - sym->addr;
		w->size = sym->size;
		w->nearest = nearest;
	}
	return 0;
nomem:
	sym_where_fini(w);
	return -ENOMEM;
}

/* ---- lookup order ----------------------------------------------------- */

/* Bounds on what the target's memory may make us walk. */
#define LINK_MAP_MAX 4096 /* objects in one link map */
#define DYN_MAX 4096      /* entries of the executable's dynamic section */
/* Time one name lookup may take over every object's symbols. */
#define SYMBOLS_LOOKUP_NS (10ull * 1000000000ull)

/* LEN bytes of PID's memory at ADDR, read while it runs. 0 or -errno. */
static int mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	char path[64];
	ssize_t got = -1;
	int fd;

#ifdef HAVE_PROCESS_VM_READV
	{
		struct iovec local = { buf, len };
		struct iovec remote = { (void *)(uintptr_t)addr, len };

		got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (got == (ssize_t)len)
			return 0;
	}
#endif
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = pread(fd, buf, len, (off_t)addr);
	close(fd);
	return got == (ssize_t)len ? 0 : -EIO;
}

/* The first mapping of the object instance that ADDR in mapping I belongs
 * to, or -1 when it belongs to none. */
static ssize_t instance_of(const struct vm_process *p, ssize_t i, uint64_t addr)
{
	if (i < 0 || (i = object_mapping(p, (size_t)i, addr)) < 0)
		return -1;
	while (i > 0 && same_file(&p->maps[i - 1], &p->maps[i]))
		i--;
	return i;
}

static bool is_exe(const struct vm_process *p, const struct vm_mapping *m)
{
	return p->exe && is_file(m) && strcmp(m->path, p->exe) == 0;
}

/* The address of the dynamic linker's struct r_debug in P: the executable's
 * DT_DEBUG entry, which ld.so fills in at start (glibc elf/rtld.c), read
 * from the target's memory. 0 when there is none (a static program). */
static uint64_t r_debug_addr(struct elf_cache *c, const struct vm_process *p)
{
	const struct elf_object *o = NULL;
	uint64_t bias = 0, dyn, r = 0;
	Elf64_Dyn d[64];
	size_t n = 0;

	for (size_t i = 0; i < p->nmaps && !o; i++)
		if (is_exe(p, &p->maps[i]) && instance_of(p, (ssize_t)i, p->maps[i].start) == (ssize_t)i)
			o = object_at(c, p, i, &bias);
	if (!o || !o->has_dynamic || o->elf_class != ELFCLASS64)
		return 0;
	dyn = bias + o->dynamic_vaddr;
	while (n < DYN_MAX && n < o->dynamic_size / sizeof(d[0])) {
		size_t k = o->dynamic_size / sizeof(d[0]) - n;

		if (k > 64)
			k = 64;
		if (mem_read(p->pid, dyn + n * sizeof(d[0]), d, k * sizeof(d[0])) < 0)
			return 0;
		for (size_t j = 0; j < k; j++) {
			if (d[j].d_tag == DT_NULL)
				return r;
			if (d[j].d_tag == DT_DEBUG)
				r = d[j].d_un.d_ptr;
		}
		n += k;
	}
	return r;
}

/* The object instances of P (their first mappings) in the dynamic linker's
 * order, from the link map, into ORDER (room for P->nmaps); then every
 * other object instance in address order. The link map is read from the
 * running target: its l_ld (the object's dynamic section) says which
 * mapping an entry is, so l_name need not be trusted. */
static size_t lookup_order(struct elf_cache *c, const struct vm_process *p,
			   size_t *order, enum sym_order *how)
{
	uint64_t rd = r_debug_addr(c, p), lm = 0;
	bool *seen = calloc(p->nmaps ? p->nmaps : 1, sizeof(*seen));
	size_t n = 0;

	*how = SYM_ORDER_MAPPINGS;
	if (!seen)
		return 0;
	/* struct r_debug (link.h): int r_version; struct link_map *r_map. */
	if (rd && mem_read(p->pid, rd + 8, &lm, sizeof(lm)) == 0) {
		for (size_t steps = 0; lm && steps < LINK_MAP_MAX; steps++) {
			/* struct link_map: l_addr, l_name, l_ld, l_next, l_prev. */
			uint64_t node[5];
			ssize_t i;

			if (mem_read(p->pid, lm, node, sizeof(node)) < 0)
				break;
			i = instance_of(p, vm_process_find(p, node[2]), node[2]);
			if (i >= 0 && !seen[i]) {
				seen[i] = true;
				order[n++] = (size_t)i;
				*how = SYM_ORDER_LINK_MAP;
			}
			lm = node[3];
		}
	}
	/* The fallback, and what the link map does not list: the executable
	 * first, then the others by address. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->nmaps; i++) {
			const struct vm_mapping *m = &p->maps[i];

			if ((!is_file(m) && !is_vdso(m)) || seen[i] ||
			    instance_of(p, (ssize_t)i, p->maps[i].start) != (ssize_t)i ||
			    is_exe(p, m) != (pass == 0))
				continue;
			seen[i] = true;
			order[n++] = i;
		}
	free(seen);
	return n;
}

int symbols_resolve(struct elf_cache *c, const struct vm_process *p,
		    const char *name, uint64_t *addr, enum sym_order *order)
{
	size_t *inst = malloc((p->nmaps ? p->nmaps : 1) * sizeof(*inst)), n;
	uint64_t deadline = vm_now_ns() + SYMBOLS_LOOKUP_NS;
	enum sym_order how;
	int ret = -ENOENT;

	if (!inst)
		return -ENOMEM;
	errno = 0;
	n = lookup_order(c, p, inst, &how);
	if (order)
		*order = how;
	/* What the dynamic linker would bind first; a local symbol only when
	 * nothing exports NAME. */
	for (int global = 1; global >= 0 && ret == -ENOENT; global--)
		for (size_t k = 0; k < n && ret == -ENOENT; k++) {
			const struct elf_object *o;
			const struct elf_symbol *sym;
			uint64_t bias;

			o = object_at(c, p, inst[k], &bias);
			if (!o)
				continue;
			errno = 0;
			sym = elf_object_symbol_named(o, name, global, deadline);
			if (sym) {
				*addr = sym->addr + bias;
				ret = 0;
			} else if (errno == ETIMEDOUT || errno == EINTR) {
				ret = -errno;
			}
		}
	free(inst);
	if (ret == -ENOENT && errno == ENOMEM)
		ret = -ENOMEM;
	return ret;
}

const char *symbols_incomplete(struct elf_cache *c, const struct vm_process *p,
			       size_t *dropped)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct elf_object *o;
		uint64_t bias;

		if ((!is_file(&p->maps[i]) && !is_vdso(&p->maps[i])) ||
		    instance_of(p, (ssize_t)i, p->maps[i].start) != (ssize_t)i)
			continue;
		o = object_at(c, p, i, &bias);
		if (o && o->syms_dropped) {
			*dropped = o->syms_dropped;
			return p->maps[i].path;
		}
	}
	return NULL;
}
