/* Typing of mappings: by the kernel's name for special mappings, by the
 * PT_LOAD segment a file mapping comes from for ELF objects, by position for
 * the anonymous tail of a data segment (bss). */
#include "config.h"

#include <elf.h>
#include <errno.h>
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
	/* The object's sections in [bss_start, bss_end), target addresses. */
	struct vm_section *tail;
	size_t ntail;
};

static void sections_free(struct vm_section **secs, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*secs)[i].name);
	free(*secs);
	*secs = NULL;
	*n = 0;
}

/* Append to *OUT the sections of O (load bias BIAS) that overlap [START,
 * END), clipped to it. On ENOMEM what was appended stays (a partial list
 * of sections is still true). */
static void sections_clip(const struct elf_object *o, uint64_t bias,
			  uint64_t start, uint64_t end,
			  struct vm_section **out, size_t *nout)
{
	for (size_t i = 0; i < o->nsections; i++) {
		const struct elf_section *s = &o->sections[i];
		uint64_t lo = s->addr + bias, hi = lo + s->size;
		struct vm_section *n;

		if (hi < lo || hi <= start || lo >= end)
			continue;
		n = realloc(*out, (*nout + 1) * sizeof(*n));
		if (!n)
			return;
		*out = n;
		n = &n[*nout];
		n->name = strdup(s->name);
		if (!n->name)
			return;
		n->start = lo > start ? lo : start;
		n->end = hi < end ? hi : end;
		(*nout)++;
	}
}

/* The sections of a bss tail (TAIL, N) that overlap the bss mapping M. */
static void sections_of_tail(const struct vm_section *tail, size_t ntail,
			     struct vm_mapping *m)
{
	for (size_t i = 0; i < ntail; i++) {
		const struct vm_section *s = &tail[i];
		struct vm_section *n;

		if (s->end <= m->start || s->start >= m->end)
			continue;
		n = realloc(m->sections, (m->nsections + 1) * sizeof(*n));
		if (!n)
			return;
		m->sections = n;
		n = &n[m->nsections];
		n->name = strdup(s->name);
		if (!n->name)
			return;
		n->start = s->start > m->start ? s->start : m->start;
		n->end = s->end < m->end ? s->end : m->end;
		m->nsections++;
	}
}

/* Find the PT_LOAD of O that M maps; the one agreeing with the bias of the
 * object's earlier mappings wins, else the first. */
static const struct elf_segment *segment_find(const struct elf_object *o,
					      const struct vm_mapping *m,
					      struct classify_state *st,
					      uint64_t pg)
{
	const struct elf_segment *s;
	uint64_t bias;

	s = elf_segment_for_mapping(o, m, pg, st->have_bias ? &st->bias : NULL,
				    &bias);
	if (s && !(st->have_bias && bias == st->bias)) {
		st->bias = bias;
		st->have_bias = true;
	}
	return s;
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
	sections_clip(o, st->bias, m->start, m->end, &m->sections,
		      &m->nsections);
	if (s->flags & PF_W) {
		st->bss_start = m->end;
		st->bss_end = st->bias + page_up(s->vaddr + s->memsz, pg);
		sections_clip(o, st->bias, st->bss_start, st->bss_end,
			      &st->tail, &st->ntail);
	}
	return kind_of_segment(s);
}

/* The vdso's sections, read from the target's memory. */
static void vdso_sections(const struct vm_process *p, struct vm_mapping *m,
			  struct elf_cache *cache, uint64_t pg)
{
	const struct elf_object *o = elf_cache_get_symbols(cache, p->pid, m);
	uint64_t bias;

	if (o && elf_segment_for_mapping(o, m, pg, NULL, &bias))
		sections_clip(o, bias, m->start, m->end, &m->sections,
			      &m->nsections);
}

/* A no-access mapping is a guard when it protects or separates what is
 * around it: part of a file's mapping (ld.so makes the gaps between an
 * object's segments PROT_NONE), between two mappings of one object, or at
 * most GUARD_MAX_BYTES (a thread stack's guard page, a JVM's stack zones;
 * by size alone, so that a guard stays one when its neighbour comes and
 * goes). Any other is address space set aside for later: a JVM heap's
 * uncommitted part, Go's arenas (512 KiB and more), malloc's arena
 * reserve, mmap(PROT_NONE). */
#define GUARD_MAX_BYTES (64ULL << 10)

static bool same_object(const struct vm_mapping *a, const struct vm_mapping *b)
{
	return a->inode && a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor;
}

static enum vm_kind kind_of_no_access(const struct vm_process *p, size_t i)
{
	const struct vm_mapping *m = &p->maps[i];
	const struct vm_mapping *prev = i > 0 && p->maps[i - 1].end == m->start ?
					&p->maps[i - 1] : NULL;
	const struct vm_mapping *next = i + 1 < p->nmaps && p->maps[i + 1].start == m->end ?
					&p->maps[i + 1] : NULL;

	if (m->inode != 0 || (prev && next && same_object(prev, next)) ||
	    m->end - m->start <= GUARD_MAX_BYTES)
		return VK_GUARD;
	return VK_RESERVED;
}

void classify_begin(struct vm_process *p, struct elf_cache *cache)
{
	elf_cache_pass(cache);
	/* The vDSO's headers are read from the process's memory, which
	 * faults its pages in: before the pagemap is read, not meanwhile. */
	for (size_t i = 0; cache && i < p->nmaps; i++)
		if (classify_by_name(&p->maps[i]) == VK_VDSO) {
			sections_free(&p->maps[i].sections, &p->maps[i].nsections);
			vdso_sections(p, &p->maps[i], cache, (uint64_t)sysconf(_SC_PAGESIZE));
		}
	if (cache) {
		const struct vm_mapping **files = malloc((p->nmaps ? p->nmaps : 1) * sizeof(*files));
		size_t nfiles = 0;

		for (size_t i = 0; files && i < p->nmaps; i++)
			if (is_plain_file(&p->maps[i], classify_by_name(&p->maps[i])))
				files[nfiles++] = &p->maps[i];
		if (files)
			elf_cache_prefetch(cache, p->pid, files, nfiles);
		free(files);
	}
}

void classify_process(struct vm_process *p, struct elf_cache *cache)
{
	classify_begin(p, cache);
	classify_finish(p, cache);
}

void classify_finish(struct vm_process *p, struct elf_cache *cache)
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
		struct vm_section *tail = st.tail;
		size_t ntail = st.ntail;

		st.bss_start = st.bss_end = 0;
		st.bss_by_perms = false;
		st.tail = NULL;
		st.ntail = 0;
		sections_free(&m->sections, &m->nsections);
		if (k == VK_VDSO && cache)
			vdso_sections(p, m, cache, pg);
		if (is_plain_file(m, k)) {
			errno = 0;
			k = cache ? classify_elf(p, m, cache, &st, pg) : VK__COUNT;
			m->unread = k != VK__COUNT ? VU_READ
				  : errno == EREMOTE ? VU_REMOTE
				  : errno == ETIMEDOUT ? VU_TIMEOUT : VU_READ;
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
			/* Sections lie by address whatever the mappings: a
			 * tail the kernel merged with anonymous memory after
			 * it stays anon and still holds the .bss; a tail split
			 * in pieces (mprotect) holds it in each. */
			sections_of_tail(tail, ntail, m);
			if (!bss_by_perms && m->end < bss_end) {
				st.bss_start = m->end;
				st.bss_end = bss_end;
				st.tail = tail;
				st.ntail = ntail;
				tail = NULL;
				ntail = 0;
			}
		}
		sections_free(&tail, &ntail);
		if (k == VK_HEAP && heap < 0)
			heap = (ssize_t)i;
		m->kind = k;
	}
	free(exec);
	sections_free(&st.tail, &st.ntail);
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].kind == VK_GUARD)
			p->maps[i].kind = kind_of_no_access(p, i);

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
