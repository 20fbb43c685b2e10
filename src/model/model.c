/* The snapshot model: names of kinds and states, lifetime, totals. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
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
	[VK_GUARD] = "guard",       [VK_RESERVED] = "reserved",
	[VK_OTHER] = "other",
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
				 "and no frame pointer to follow (JIT code?)" },
	[UNWIND_END_NO_PROGRESS] = { "no_progress",
				     "unwinding stops: a frame made no progress (a loop or a corrupt stack)" },
	[UNWIND_END_BUDGET] = { "budget",
				"unwinding stops: its budget of steps or time is spent "
				"(a malformed or hostile unwind table?)" },
	[UNWIND_END_PENDING] = { "pending", "not unwound yet: its turn comes at a later refresh" },
	[UNWIND_END_NOT_STOPPED] = { "not_stopped",
				     "not unwound: the thread did not stop within "
				     VM_STR(STACKS_STOP_TIMEOUT_MS) " ms (uninterruptible sleep?)" },
	[UNWIND_END_GONE] = { "gone", "not unwound: the thread ended, or its registers "
				      "could not be read" },
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

const char *vm_cow_relation_name(enum vm_cow_relation r)
{
	static const char *const names[] = {
		[COW_REL_CHILD] = "child", [COW_REL_DESCENDANT] = "descendant",
		[COW_REL_ANCESTOR] = "ancestor", [COW_REL_KIN] = "kin",
		[COW_REL_UNRELATED] = "unrelated",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unrelated";
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

static const char *const unread_names[] = { "read", "remote", "timeout" };

const char *vm_unread_name(enum vm_unread u)
{
	return u > VU_READ && (unsigned)u < sizeof(unread_names) / sizeof(unread_names[0])
		       ? unread_names[u] : NULL;
}

int vm_unread_from_name(const char *name)
{
	int k = name_index(unread_names, (int)(sizeof(unread_names) / sizeof(unread_names[0])), name);

	return k > VU_READ ? k : -1; /* "read" is said by leaving it out */
}

const char *vm_page_state_name(enum vm_page_state s)
{
	return (unsigned)s < PS__COUNT ? state_names[s] : "not_present";
}

/* The letters of the runs strings (man/vmatlas-snapshot.5). */
static const char state_letters[PS__COUNT] = {
	[PS_NOT_PRESENT] = 'n', [PS_RESIDENT] = 'r', [PS_FILE] = 'f',
	[PS_ZERO] = 'z', [PS_THP] = 'h', [PS_SWAPPED] = 's',
};

char vm_page_state_letter(enum vm_page_state s)
{
	return (unsigned)s < PS__COUNT ? state_letters[s] : 'n';
}

int vm_page_state_from_letter(int c)
{
	for (int s = 0; s < PS__COUNT; s++)
		if (state_letters[s] == c)
			return s;
	errno = EINVAL;
	return -1;
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
	struct vm_page_run run = { 0 };

	while (count > 0) {
		uint64_t n;

		if (*nruns > 0 && (*runs)[*nruns - 1].flags == flags &&
		    (*runs)[*nruns - 1].count < VM_RUN_MAX) {
			n = VM_RUN_MAX - (*runs)[*nruns - 1].count;
			n = count < n ? count : n;
			(*runs)[*nruns - 1].count += n;
			count -= n;
			continue;
		}
		if (*nruns == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			struct vm_page_run *nr = realloc(*runs, ncap * sizeof(*nr));
			if (!nr)
				return -ENOMEM;
			*runs = nr;
			*cap = ncap;
		}
		n = count < VM_RUN_MAX ? count : VM_RUN_MAX;
		/* Built aside and copied whole: bit-fields set in place are
		 * read first, and on a page the array just grew into that read
		 * maps the zero page, which the write then replaces (a COW
		 * fault and a TLB flush, an IPI to every CPU the process runs
		 * on). */
		run.count = n;
		run.flags = flags;
		memcpy(&(*runs)[(*nruns)++], &run, sizeof(run));
		count -= n;
	}
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

void vm_thread_fini(struct vm_thread *t)
{
	free(t->name);
	for (size_t i = 0; i < t->nframes; i++) {
		free(t->frames[i].symbol);
		free(t->frames[i].object);
		free(t->frames[i].source_file);
	}
	free(t->frames);
	memset(t, 0, sizeof(*t));
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
		vm_thread_fini(&p->threads[i]);
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

void vm_family_fini(struct vm_family *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nprocs; i++) {
		free(f->procs[i].comm);
		free(f->procs[i].title);
	}
	for (size_t i = 0; i < f->nmaps; i++) {
		free(f->maps[i].path);
		free(f->maps[i].procs);
	}
	free(f->procs);
	free(f->maps);
	free(f->sharing_kb);
	memset(f, 0, sizeof(*f));
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
	vm_family_fini(s->family);
	free(s->family);
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

void vm_process_title(const struct vm_process *p, char *out, size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < p->ncmdline && n + 1 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " " : "", p->cmdline[i]);
	if (!out[0])
		snprintf(out, len, "[%s]", p->comm ? p->comm : "?");
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

/* A Go program: its executable has the Go linker's sections. */
static bool process_is_go(const struct vm_process *p)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];

		if (!p->exe || !m->path || strcmp(m->path, p->exe) != 0)
			continue;
		for (size_t j = 0; j < m->nsections; j++)
			if (strcmp(m->sections[j].name, ".go.buildinfo") == 0 ||
			    strcmp(m->sections[j].name, ".gopclntab") == 0)
				return true;
	}
	return false;
}

const char *vm_process_sp_place(const struct vm_process *p, uint64_t sp,
			    ssize_t *map)
{
	ssize_t i = vm_process_find(p, sp);

	const struct vm_mapping *m;

	if (map)
		*map = i;
	if (i < 0)
		return NULL;
	m = &p->maps[i];
	if (m->kind == VK_STACK)
		return "main";
	/* Go's goroutine stacks, and its threads' own (g0) stacks without
	 * cgo, are allocated in its heap arenas (runtime/stack.go). */
	if (process_is_go(p) && m->kind == VK_ANON)
		return "goroutine";
	/* A thread library's stack has its guard right below it. */
	if (i > 0 && p->maps[i - 1].end == m->start &&
	    (p->maps[i - 1].kind == VK_GUARD || p->maps[i - 1].kind == VK_RESERVED))
		return "thread";
	return m->kind == VK_HEAP ? "heap" : "anon";
}

const char *vm_sp_place_phrase(const char *place)
{
	static const char *const phrase[][2] = {
		{ "main", "main stack" },
		{ "thread", "thread stack" },
		{ "goroutine", "goroutine stack (Go heap)" },
		{ "heap", "stack in the heap" },
		{ "anon", "stack in anonymous memory" },
	};

	for (size_t i = 0; place && i < sizeof(phrase) / sizeof(phrase[0]); i++)
		if (strcmp(place, phrase[i][0]) == 0)
			return phrase[i][1];
	return "stack";
}

uint64_t vm_cow_counts_total(const struct vm_cow_counts *c)
{
	return c->shared + c->diverged + c->parent_only + c->child_only + c->neither;
}

const char *vm_cow_pair_precision(const struct vm_cow_pair *c)
{
	return c->pfn ? "pfn" : "exclusive-bit";
}
