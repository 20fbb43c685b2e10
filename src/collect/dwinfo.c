/* DWARF handles of a process's objects (see dwinfo.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vmatlas/dwinfo.h"

#define DWINFO_MAX 64            /* objects kept open */
#define DWINFO_VDSO_MAX (1u << 20)
/* Compilation units and address ranges read for a table of where each
 * unit's code is, when there is no .debug_aranges (Go writes none). */
#define DWINFO_MAX_CUS 200000
#define DWINFO_MAX_RANGES 2000000

struct cu_range {
	uint64_t lo, hi;   /* [lo, hi) */
	Dwarf_Off die;     /* the unit's DIE */
};

/* Where each compilation unit of one Dwarf is, sorted by lo. */
struct cu_table {
	bool built;
	struct cu_range *v;
	size_t n;
};

struct dwinfo_obj {
	uint64_t dev, inode;       /* identity, as the elf_cache's object */
	int64_t mtime_ns;
	uint64_t last_use;
	int fd;                    /* the object, or -1 (the vdso) */
	void *image;               /* owned: the vdso's bytes */
	Elf *elf;
	Dwarf *dw;                 /* NULL without debug sections */
	Dwarf_CFI *eh, *dbg;       /* .eh_frame, .debug_frame; may be NULL */
	int dfd;                   /* the separate debug file, or -1 */
	Elf *delf;
	Dwarf *ddw;
	Dwarf_CFI *ddbg;
	struct cu_table cus, dcus; /* of dw, ddw */
};

struct dwinfo {
	struct dwinfo_obj *o[DWINFO_MAX];
	size_t n;
	uint64_t clock;
};

struct dwinfo *dwinfo_new(void)
{
	(void)elf_version(EV_CURRENT);
	return calloc(1, sizeof(struct dwinfo));
}

static void obj_free(struct dwinfo_obj *o)
{
	if (!o)
		return;
	/* dwarf_end frees the .debug_frame CFI it made; .eh_frame's is ours. */
	if (o->eh)
		dwarf_cfi_end(o->eh);
	if (o->dw)
		dwarf_end(o->dw);
	if (o->ddw)
		dwarf_end(o->ddw);
	if (o->elf)
		elf_end(o->elf);
	if (o->delf)
		elf_end(o->delf);
	if (o->fd >= 0)
		close(o->fd);
	if (o->dfd >= 0)
		close(o->dfd);
	free(o->cus.v);
	free(o->dcus.v);
	free(o->image);
	free(o);
}

void dwinfo_free(struct dwinfo *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		obj_free(d->o[i]);
	free(d);
}

/* The vdso's bytes, read from the target (it is no file). */
static void *vdso_image(pid_t pid, const struct vm_mapping *m, size_t *len)
{
	size_t n = m->end - m->start;
	struct iovec local, remote;
	void *buf;

	if (m->end <= m->start || n > DWINFO_VDSO_MAX || !(buf = malloc(n)))
		return NULL;
	local = (struct iovec){ buf, n };
	remote = (struct iovec){ (void *)(uintptr_t)m->start, n };
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)n) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* The separate debug file of an object without DWARF of its own. */
static void obj_debug_open(struct dwinfo_obj *o, const struct elf_object *eo)
{
	o->dfd = elf_debug_file_fd(eo, NULL);
	if (o->dfd < 0)
		return;
	o->delf = elf_begin(o->dfd, ELF_C_READ, NULL);
	if (o->delf)
		o->ddw = dwarf_begin_elf(o->delf, DWARF_C_READ, NULL);
	if (o->ddw)
		o->ddbg = dwarf_getcfi(o->ddw);
}

static struct dwinfo_obj *obj_open(pid_t pid, const struct vm_mapping *m,
				   const struct elf_object *eo)
{
	struct dwinfo_obj *o = calloc(1, sizeof(*o));
	struct stat st;
	size_t len;

	if (!o)
		return NULL;
	o->fd = o->dfd = -1;
	o->dev = eo->dev;
	o->inode = eo->inode;
	o->mtime_ns = eo->mtime_ns;
	if (m->path && strcmp(m->path, "[vdso]") == 0) {
		o->image = vdso_image(pid, m, &len);
		if (o->image)
			o->elf = elf_memory(o->image, len);
	} else if (elf_mapped_file_open(pid, m, &o->fd, &st) == 0 &&
		   (uint64_t)st.st_dev == eo->dev && (uint64_t)st.st_ino == eo->inode) {
		o->elf = elf_begin(o->fd, ELF_C_READ, NULL);
	}
	if (!o->elf || elf_kind(o->elf) != ELF_K_ELF) {
		obj_free(o);
		return NULL;
	}
	o->eh = dwarf_getcfi_elf(o->elf);
	o->dw = dwarf_begin_elf(o->elf, DWARF_C_READ, NULL);
	if (o->dw)
		o->dbg = dwarf_getcfi(o->dw);
	else
		obj_debug_open(o, eo);
	return o;
}

static struct dwinfo_obj *cache_get(struct dwinfo *d, pid_t pid,
				    const struct vm_mapping *m,
				    const struct elf_object *eo)
{
	struct dwinfo_obj *o;
	size_t slot;

	d->clock++;
	for (size_t i = 0; i < d->n; i++) {
		o = d->o[i];
		if (o->dev == eo->dev && o->inode == eo->inode &&
		    o->mtime_ns == eo->mtime_ns) {
			o->last_use = d->clock;
			return o;
		}
	}
	o = obj_open(pid, m, eo);
	if (!o)
		return NULL;
	if (d->n < DWINFO_MAX) {
		slot = d->n++;
	} else {
		slot = 0;
		for (size_t i = 1; i < d->n; i++)
			if (d->o[i]->last_use < d->o[slot]->last_use)
				slot = i;
		obj_free(d->o[slot]);
	}
	o->last_use = d->clock;
	d->o[slot] = o;
	return o;
}

struct dwinfo_obj *dwinfo_at(struct dwinfo *d, struct elf_cache *c,
			     const struct vm_process *p, uint64_t addr,
			     uint64_t *bias)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	const struct elf_object *eo;
	const struct vm_mapping *m;
	ssize_t i = vm_process_find(p, addr);

	if (i < 0)
		return NULL;
	m = &p->maps[i];
	if (!m->path || (m->path[0] != '/' && strcmp(m->path, "[vdso]") != 0))
		return NULL;
	eo = elf_cache_get_symbols(c, p->pid, m);
	if (!eo || !eo->is_elf ||
	    !elf_segment_for_mapping(eo, m, pg, NULL, bias))
		return NULL;
	return cache_get(d, p->pid, m, eo);
}

int dwinfo_cfi_frame(struct dwinfo_obj *o, uint64_t vaddr, Dwarf_Frame **frame)
{
	if (o->eh && dwarf_cfi_addrframe(o->eh, vaddr, frame) == 0)
		return 0;
	if (o->dbg && dwarf_cfi_addrframe(o->dbg, vaddr, frame) == 0)
		return 0;
	if (o->ddbg && dwarf_cfi_addrframe(o->ddbg, vaddr, frame) == 0)
		return 0;
	return -ENOENT;
}

static int range_cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The ranges of every compilation unit of DW, bounded in units and
 * ranges (a hostile file gets a partial table, never a long walk). */
static void cu_table_build(Dwarf *dw, struct cu_table *t)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0, ncu = 0;

	t->built = true;
	while (ncu++ < DWINFO_MAX_CUS &&
	       dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		Dwarf_Addr base, lo, hi;
		ptrdiff_t ro = 0;

		if (dwarf_offdie(dw, off + hsize, &cu)) {
			while (t->n < DWINFO_MAX_RANGES &&
			       (ro = dwarf_ranges(&cu, ro, &base, &lo, &hi)) > 0) {
				if (hi <= lo)
					continue;
				if (t->n == cap) {
					size_t nc = cap ? cap * 2 : 64;
					struct cu_range *v = realloc(t->v, nc * sizeof(*v));

					if (!v)
						goto out;
					t->v = v;
					cap = nc;
				}
				t->v[t->n++] = (struct cu_range){ lo, hi, off + hsize };
			}
		}
		off = next;
	}
out:
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), range_cmp);
}

/* The compilation unit of DW holding VADDR: from .debug_aranges, else
 * from the table of unit ranges. */
static bool cu_at(Dwarf *dw, struct cu_table *t, uint64_t vaddr, Dwarf_Die *cu)
{
	size_t lo = 0, hi;

	if (dwarf_addrdie(dw, vaddr, cu))
		return true;
	if (!t->built)
		cu_table_build(dw, t);
	hi = t->n;
	while (lo < hi) { /* the last range starting at or below vaddr */
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Ranges of different units do not overlap in a sane file; a few
	 * steps back cover nested ones. */
	for (size_t i = lo, k = 0; i > 0 && k < 16; i--, k++)
		if (vaddr < t->v[i - 1].hi)
			return dwarf_offdie(dw, t->v[i - 1].die, cu) != NULL;
	return false;
}

static int source_in(Dwarf *dw, struct cu_table *t, uint64_t vaddr,
		     const char **file, unsigned *line)
{
	Dwarf_Die cu;
	Dwarf_Line *l;
	int n;

	if (!dw || !cu_at(dw, t, vaddr, &cu) ||
	    !(l = dwarf_getsrc_die(&cu, vaddr)) ||
	    !(*file = dwarf_linesrc(l, NULL, NULL)) ||
	    dwarf_lineno(l, &n) != 0 || n <= 0)
		return -ENOENT;
	*line = (unsigned)n;
	return 0;
}

int dwinfo_source(struct dwinfo_obj *o, uint64_t vaddr, const char **file,
		  unsigned *line)
{
	if (source_in(o->dw, &o->cus, vaddr, file, line) == 0)
		return 0;
	return source_in(o->ddw, &o->dcus, vaddr, file, line);
}

int dwinfo_source_at(struct dwinfo *d, struct elf_cache *c,
		     const struct vm_process *p, uint64_t addr, char **file,
		     unsigned *line)
{
	struct dwinfo_obj *o;
	const char *f;
	uint64_t bias;

	o = dwinfo_at(d, c, p, addr, &bias);
	if (!o || dwinfo_source(o, addr - bias, &f, line) < 0)
		return -ENOENT;
	*file = strdup(f);
	return *file ? 0 : -ENOMEM;
}
