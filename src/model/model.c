/* The snapshot model: names of kinds and states, lifetime, totals. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/model.h"

#define VM_STR_(x) #x
#define VM_STR(x) VM_STR_(x)

static const char *const kind_names[VK__COUNT] = {
	[VK_TEXT] = "text",         [VK_RODATA] = "rodata", [VK_DATA] = "data",
	[VK_BSS] = "bss",           [VK_HEAP] = "heap",     [VK_STACK] = "stack",
	[VK_ANON] = "anon",         [VK_FILE] = "file",     [VK_SHM] = "shm",
	[VK_VDSO] = "vdso",         [VK_VVAR] = "vvar",     [VK_VSYSCALL] = "vsyscall",
	[VK_GUARD] = "guard",       [VK_OTHER] = "other",
};

static const char *const state_names[PS__COUNT] = {
	[PS_NOT_PRESENT] = "not_present", [PS_RESIDENT] = "resident",
	[PS_FILE] = "file",               [PS_ZERO] = "zero",
	[PS_THP] = "thp",                 [PS_SWAPPED] = "swapped",
};

static const struct {
	const char *name, *note;
} unwind_ends[] = {
	[UNWIND_END_OUTERMOST] = { NULL, NULL },
	[UNWIND_END_DEPTH] = { "depth", "unwinding stops at " VM_STR(STACKS_MAX_DEPTH) " frames" },
	[UNWIND_END_NO_INFO] = { "no_unwind_info",
				 "unwinding stops: no unwind information here "
				 "(no .eh_frame_hdr: a static binary, or JIT code)" },
	[UNWIND_END_NO_PROGRESS] = { "no_progress",
				     "unwinding stops: a frame made no progress (a loop or a corrupt stack)" },
};

const char *vm_unwind_end_name(enum vm_unwind_end e)
{
	return (unsigned)e < sizeof(unwind_ends) / sizeof(unwind_ends[0]) ? unwind_ends[e].name : NULL;
}

int vm_unwind_end_from_name(const char *name)
{
	for (size_t i = 1; i < sizeof(unwind_ends) / sizeof(unwind_ends[0]); i++)
		if (strcmp(unwind_ends[i].name, name) == 0)
			return (int)i;
	errno = EINVAL;
	return -1;
}

const char *vm_unwind_end_note(enum vm_unwind_end e)
{
	return (unsigned)e < sizeof(unwind_ends) / sizeof(unwind_ends[0]) ? unwind_ends[e].note : NULL;
}

const char *vm_kind_name(enum vm_kind k)
{
	return (unsigned)k < VK__COUNT ? kind_names[k] : "other";
}

static int name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	errno = EINVAL;
	return -1;
}

int vm_kind_from_name(const char *name)
{
	return name_index(kind_names, VK__COUNT, name);
}

const char *vm_page_state_name(enum vm_page_state s)
{
	return (unsigned)s < PS__COUNT ? state_names[s] : "not_present";
}

int vm_page_state_from_name(const char *name)
{
	return name_index(state_names, PS__COUNT, name);
}

enum vm_page_state vm_page_state_of(unsigned flags)
{
	if (flags & PG_SWAPPED)
		return PS_SWAPPED;
	if (!(flags & PG_PRESENT))
		return PS_NOT_PRESENT;
	if (flags & PG_ZERO)
		return PS_ZERO;
	if (flags & PG_THP)
		return PS_THP;
	if (flags & PG_FILE)
		return PS_FILE;
	return PS_RESIDENT;
}

int vm_runs_append(struct vm_page_run **runs, size_t *nruns, size_t *cap,
		   uint8_t flags, uint64_t count)
{
	if (count == 0)
		return 0;
	if (*nruns > 0 && (*runs)[*nruns - 1].flags == flags) {
		(*runs)[*nruns - 1].count += count;
		return 0;
	}
	if (*nruns == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct vm_page_run *n = realloc(*runs, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		*runs = n;
		*cap = ncap;
	}
	(*runs)[*nruns].count = count;
	(*runs)[*nruns].flags = flags;
	(*nruns)++;
	return 0;
}

void vm_mapping_fini(struct vm_mapping *m)
{
	if (!m)
		return;
	free(m->path);
	free(m->runs);
	for (size_t i = 0; i < m->nsections; i++)
		free(m->sections[i].name);
	free(m->sections);
	free(m->extra);
	memset(m, 0, sizeof(*m));
}

static void thread_fini(struct vm_thread *t)
{
	free(t->name);
	for (size_t i = 0; i < t->nframes; i++) {
		free(t->frames[i].symbol);
		free(t->frames[i].object);
	}
	free(t->frames);
}

void vm_process_fini(struct vm_process *p)
{
	if (!p)
		return;
	free(p->comm);
	free(p->exe);
	for (size_t i = 0; i < p->ncmdline; i++)
		free(p->cmdline[i]);
	free(p->cmdline);
	for (size_t i = 0; i < p->nmaps; i++)
		vm_mapping_fini(&p->maps[i]);
	free(p->maps);
	for (size_t i = 0; i < p->nthreads; i++)
		thread_fini(&p->threads[i]);
	free(p->threads);
	free(p->extra);
	memset(p, 0, sizeof(*p));
}

void vm_cow_pair_fini(struct vm_cow_pair *c)
{
	for (size_t i = 0; i < c->nmaps; i++) {
		free(c->maps[i].path);
		free(c->maps[i].runs);
	}
	free(c->maps);
	memset(c, 0, sizeof(*c));
}

void vm_snapshot_free(struct vm_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nprocs; i++)
		vm_process_fini(&s->procs[i]);
	free(s->procs);
	for (size_t i = 0; i < s->ncows; i++)
		vm_cow_pair_fini(&s->cows[i]);
	free(s->cows);
	free(s->trigger);
	free(s->generator);
	free(s->extra);
	free(s);
}

void vm_process_compute_totals(struct vm_process *p, long page_size)
{
	uint64_t pkb = (uint64_t)page_size / 1024;

	memset(&p->totals, 0, sizeof(p->totals));
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];
		struct vm_kind_totals *k = &p->totals.by_kind[m->kind < VK__COUNT ? m->kind : VK_OTHER];
		uint64_t v = (m->end - m->start) / 1024;
		/* Rss as smaps counts it: the zero page is not charged. */
		uint64_t r = (m->pages.resident - m->pages.zero) * pkb;
		uint64_t sw = m->pages.swapped * pkb;

		k->virtual_kb += v;
		k->resident_kb += r;
		k->swapped_kb += sw;
		p->totals.virtual_kb += v;
		p->totals.resident_kb += r;
		p->totals.swapped_kb += sw;
	}
}

ssize_t vm_process_find(const struct vm_process *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < p->maps[mid].start)
			hi = mid;
		else if (addr >= p->maps[mid].end)
			lo = mid + 1;
		else
			return (ssize_t)mid;
	}
	return -1;
}

const char *vm_process_sp_place(const struct vm_process *p, uint64_t sp,
			    ssize_t *map)
{
	ssize_t i = vm_process_find(p, sp);

	if (map)
		*map = i;
	if (i < 0)
		return NULL;
	return p->maps[i].kind == VK_STACK ? "main" : "thread";
}

uint64_t vm_cow_counts_total(const struct vm_cow_counts *c)
{
	return c->shared + c->diverged + c->parent_only + c->child_only + c->neither;
}

const char *vm_cow_pair_precision(const struct vm_cow_pair *c)
{
	return c->pfn ? "pfn" : "exclusive-bit";
}
