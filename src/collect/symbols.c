/* Addresses of a process in terms of its ELF objects (see symbols.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmatlas/symbols.h"

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

	memset(w, 0, sizeof(*w));
	if (i < 0 || (fm = object_mapping(p, (size_t)i, addr)) < 0)
		return 0;
	o = object_at(c, p, (size_t)fm, &w->bias);
	if (!o)
		return 0;
	vaddr = addr - w->bias;
	sec = elf_object_section_at(o, vaddr);
	sym = elf_object_symbol_at(o, vaddr);
	if (dup_into(&w->object, p->maps[fm].path) < 0 ||
	    dup_into(&w->section, sec ? sec->name : NULL) < 0 ||
	    dup_into(&w->symbol, sym ? sym->name : NULL) < 0) {
		sym_where_fini(w);
		return -ENOMEM;
	}
	if (sym)
		w->offset = vaddr - sym->addr;
	return 0;
}

/* Look NAME up in the objects of P; with EXE_ONLY only in the
 * executable's, else in the others. */
static bool resolve_in(struct elf_cache *c, const struct vm_process *p,
		       const char *name, bool exe_only, uint64_t *addr)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];
		const struct elf_object *o;
		const struct elf_symbol *sym;
		bool exe;
		uint64_t bias;

		if (!is_file(m) && !is_vdso(m))
			continue;
		if (i > 0 && same_file(&p->maps[i - 1], m))
			continue; /* one look per object instance */
		exe = p->exe && is_file(m) && strcmp(m->path, p->exe) == 0;
		if (exe != exe_only)
			continue;
		o = object_at(c, p, i, &bias);
		if (!o || !(sym = elf_object_symbol_named(o, name)))
			continue;
		*addr = sym->addr + bias;
		return true;
	}
	return false;
}

int symbols_resolve(struct elf_cache *c, const struct vm_process *p,
		    const char *name, uint64_t *addr)
{
	errno = 0;
	if (resolve_in(c, p, name, true, addr) ||
	    resolve_in(c, p, name, false, addr))
		return 0;
	return errno == ENOMEM ? -ENOMEM : -ENOENT;
}
