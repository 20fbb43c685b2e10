/* Typing of mappings: by the kernel's name for special mappings, by the
 * PT_LOAD segment a file mapping comes from for ELF objects, by position for
 * the anonymous tail of a data segment (bss). */
#include "config.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmatlas/classify.h"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool perms_none(const struct vm_mapping *m)
{
	return m->perms[0] == '-' && m->perms[1] == '-' && m->perms[2] == '-';
}

static bool perms_shared(const struct vm_mapping *m)
{
	return m->perms[3] == 's';
}

/* fs/proc/task_mmu.c names: [heap], [stack], [vdso], [vvar] (and
 * [vvar_vclock] since 6.13), [vsyscall]; [stack:TID] before 4.5.
 * Returns VK__COUNT for a name that is not a kernel special. */
static enum vm_kind kind_of_special(const char *path)
{
	if (strcmp(path, "[heap]") == 0)
		return VK_HEAP;
	if (strcmp(path, "[stack]") == 0 || has_prefix(path, "[stack:"))
		return VK_STACK;
	if (strcmp(path, "[vdso]") == 0)
		return VK_VDSO;
	if (strcmp(path, "[vvar]") == 0 || strcmp(path, "[vvar_vclock]") == 0)
		return VK_VVAR;
	if (strcmp(path, "[vsyscall]") == 0)
		return VK_VSYSCALL;
	if (has_prefix(path, "[anon:") || has_prefix(path, "[anon_shmem:"))
		return VK__COUNT; /* names set with PR_SET_VMA_ANON_NAME */
	if (path[0] == '[')
		return VK_OTHER; /* a kind a newer kernel added */
	return VK__COUNT;
}

static bool is_sysv_shm(const char *path)
{
	/* ipc/shm.c: the file is named "SYSV%08x" (the key). */
	if (!has_prefix(path, "/SYSV") || strlen(path) != 13)
		return false;
	return strspn(path + 5, "0123456789abcdef") == 8;
}

enum vm_kind classify_by_name(const struct vm_mapping *m)
{
	const char *path = m->path ? m->path : "";
	enum vm_kind k = kind_of_special(path);

	if (k != VK__COUNT)
		return k;
	if (perms_none(m))
		return VK_GUARD;
	if (has_prefix(path, "[anon_shmem:"))
		return VK_SHM;
	if (path[0] == '\0' || has_prefix(path, "[anon:"))
		return VK_ANON;
	if (is_sysv_shm(path) || has_prefix(path, "/dev/shm/") ||
	    has_prefix(path, "/memfd:"))
		return VK_SHM;
	/* mm/shmem.c: MAP_SHARED|MAP_ANONYMOUS is a deleted "/dev/zero";
	 * hugetlb anonymous memory is a deleted "/anon_hugepage". */
	if ((strcmp(path, "/dev/zero") == 0 ||
	     strcmp(path, "/anon_hugepage") == 0) && m->deleted)
		return perms_shared(m) ? VK_SHM : VK_ANON;
	return VK_OTHER; /* a file: typed by classify_process */
}

static bool is_plain_file(const struct vm_mapping *m, enum vm_kind by_name)
{
	return by_name == VK_OTHER && m->path && m->path[0] == '/';
}

/* Identity of a mapped object, for the permission-only typing. */
struct obj_id {
	uint64_t dev, inode;
};

static int obj_id_cmp(const void *a, const void *b)
{
	const struct obj_id *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return 0;
}

static struct obj_id obj_id_of(const struct vm_mapping *m)
{
	struct obj_id id = {
		.dev = (uint64_t)m->dev_major << 32 | m->dev_minor,
		.inode = m->inode,
	};
	return id;
}

/* Sorted identities of the objects that have an executable file mapping:
 * their read-only mappings are rodata. NULL when there are none or memory
 * is short (then nothing is rodata by this rule). */
static struct obj_id *exec_objects(const struct vm_process *p, size_t *n)
{
	struct obj_id *ids = NULL;

	*n = 0;
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];

		if (m->perms[2] != 'x' || !is_plain_file(m, classify_by_name(m)))
			continue;
		if (!ids) {
			ids = malloc(p->nmaps * sizeof(*ids));
			if (!ids)
				return NULL;
		}
		ids[(*n)++] = obj_id_of(m);
	}
	if (ids)
		qsort(ids, *n, sizeof(*ids), obj_id_cmp);
	return ids;
}

/* Typing without ELF headers: by permissions. */
static bool has_code(const struct vm_mapping *m, const struct obj_id *exec,
		     size_t nexec)
{
	struct obj_id id = obj_id_of(m);

	return exec && bsearch(&id, exec, nexec, sizeof(*exec), obj_id_cmp);
}

static enum vm_kind kind_by_perms(const struct vm_mapping *m,
				  const struct obj_id *exec, size_t nexec)
{
	if (m->perms[2] == 'x')
		return VK_TEXT;
	/* ELF loaders map private copies of objects that have code; a shared
	 * or code-less file mapping is plain file data. */
	if (perms_shared(m) || !has_code(m, exec, nexec))
		return VK_FILE;
	return m->perms[1] == 'w' ? VK_DATA : VK_RODATA;
}

static uint64_t page_down(uint64_t v, uint64_t pg)
{
	return v & ~(pg - 1);
}

static uint64_t page_up(uint64_t v, uint64_t pg)
{
	return (v + pg - 1) & ~(pg - 1);
}

/* State carried from one mapping to the next. */
struct classify_state {
	/* The object instance being walked: its identity and load bias. */
	struct obj_id id;
	uint64_t bias;
	bool have_bias;
	/* After a data mapping: where bss may start and must end (0: none). */
	uint64_t bss_start, bss_end;
	bool bss_by_perms;
};

/* Find the PT_LOAD of O that M maps. A segment is a candidate when M's file
 * offset lies in its page-rounded file range; the address then gives the
 * load bias. Several candidates are normal (a RELRO page and .rodata can
 * share a file offset: both "r--p 00002000"); the one agreeing with the
 * bias of the object's earlier mappings wins, else the first. */
static const struct elf_segment *segment_find(const struct elf_object *o,
					      const struct vm_mapping *m,
					      struct classify_state *st,
					      uint64_t pg)
{
	const struct elf_segment *first = NULL;
	uint64_t first_bias = 0;

	for (size_t i = 0; i < o->nloads; i++) {
		const struct elf_segment *s = &o->loads[i];
		uint64_t foff = page_down(s->offset, pg);
		uint64_t fend = page_up(s->offset + s->filesz, pg);
		uint64_t vstart = page_down(s->vaddr, pg);
		uint64_t vend = page_up(s->vaddr + s->memsz, pg);
		uint64_t bias;

		if (m->offset < foff || m->offset >= fend)
			continue;
		bias = m->start - (vstart + (m->offset - foff));
		if (m->end - bias > vend)
			continue; /* longer than the segment */
		if (st->have_bias && bias == st->bias)
			return s;
		if (!first) {
			first = s;
			first_bias = bias;
		}
	}
	if (first) {
		st->bias = first_bias;
		st->have_bias = true;
	}
	return first;
}

static enum vm_kind kind_of_segment(const struct elf_segment *s)
{
	if (s->flags & PF_X)
		return VK_TEXT;
	if (s->flags & PF_W)
		return VK_DATA;
	return VK_RODATA;
}

/* Type the file mapping M of an ELF object through CACHE. Returns
 * VK__COUNT when the object could not be read (the caller falls back to
 * permissions). */
static enum vm_kind classify_elf(struct vm_process *p, struct vm_mapping *m,
				 struct elf_cache *cache,
				 struct classify_state *st, uint64_t pg)
{
	const struct elf_object *o;
	const struct elf_segment *s;
	struct obj_id id = obj_id_of(m);

	o = elf_cache_get(cache, p->pid, m);
	if (!o)
		return VK__COUNT;
	/* A second instance of the same object (dlmopen) shows up as a
	 * candidate that disagrees with the known bias: segment_find. */
	if (obj_id_cmp(&id, &st->id) != 0) {
		st->id = id;
		st->have_bias = false;
	}
	if (!o->is_elf)
		return VK_FILE;
	s = segment_find(o, m, st, pg);
	if (!s)
		return VK_FILE;
	if (s->flags & PF_W) {
		st->bss_start = m->end;
		st->bss_end = st->bias + page_up(s->vaddr + s->memsz, pg);
	}
	return kind_of_segment(s);
}

void classify_process(struct vm_process *p, struct elf_cache *cache)
{
	struct classify_state st = { 0 };
	struct obj_id *exec;
	size_t nexec;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	ssize_t heap = -1;

	exec = exec_objects(p, &nexec);
	for (size_t i = 0; i < p->nmaps; i++) {
		struct vm_mapping *m = &p->maps[i];
		enum vm_kind k = classify_by_name(m);
		uint64_t bss_start = st.bss_start, bss_end = st.bss_end;
		bool bss_by_perms = st.bss_by_perms;

		st.bss_start = st.bss_end = 0;
		st.bss_by_perms = false;
		if (is_plain_file(m, k)) {
			k = cache ? classify_elf(p, m, cache, &st, pg) : VK__COUNT;
			if (k == VK__COUNT) {
				k = kind_by_perms(m, exec, nexec);
				/* rw-p of an object with code: bss may follow */
				if (strcmp(m->perms, "rw-p") == 0 &&
				    has_code(m, exec, nexec)) {
					st.bss_start = m->end;
					st.bss_by_perms = true;
				}
			}
		} else if (k == VK_ANON && m->path && m->path[0] == '\0' &&
			   bss_start && m->start == bss_start) {
			if (bss_by_perms ? strcmp(m->perms, "rw-p") == 0
					 : m->end <= bss_end)
				k = VK_BSS;
		}
		if (k == VK_HEAP && heap < 0)
			heap = (ssize_t)i;
		m->kind = k;
	}
	free(exec);

	/* /proc/PID/stat exports start_brk but not brk (fs/proc/array.c);
	 * the [heap] mapping ends at brk rounded up to a page. Without a
	 * [heap] mapping the heap is empty: brk == start_brk. */
	if (p->mm.valid && p->mm.brk == 0) {
		if (heap >= 0)
			p->mm.brk = p->maps[heap].end;
		else
			p->mm.brk = p->mm.start_brk;
	}
}
