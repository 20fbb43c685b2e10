/* Comparing two snapshots of a process (see include/vmatlas/diff.h for how
 * mappings are matched). Works on the model only: A and B may come from
 * files, from live processes, or one of each. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/diff.h"

enum key_type { KEY_FILE, KEY_NAMED, KEY_BSS, KEY_ANON };

struct key {
	enum key_type type;
	const char *path; /* borrowed */
	uint64_t num;     /* file offset, or address for KEY_ANON */
	int kind;         /* KEY_ANON only */
	size_t occ;       /* n-th mapping with this identity */
	size_t idx;       /* index into the process's maps */
};

static bool is_file_backed(const struct vm_mapping *m)
{
	return m->inode != 0 || (m->path && m->path[0] == '/');
}

static void key_of(const struct vm_process *p, size_t i, const char *last_file, struct key *k)
{
	const struct vm_mapping *m = &p->maps[i];
	const char *path = m->path ? m->path : "";

	memset(k, 0, sizeof(*k));
	k->idx = i;
	k->path = path;
	if (is_file_backed(m)) {
		k->type = KEY_FILE;
		k->num = m->offset;
	} else if (path[0] == '[' && strncmp(path, "[anon:", 6) != 0) {
		k->type = KEY_NAMED;
	} else if (m->kind == VK_BSS && !*path && last_file) {
		/* The anonymous tail of an object's data segment moves with
		 * the object. */
		k->type = KEY_BSS;
		k->path = last_file;
	} else {
		k->type = KEY_ANON;
		k->num = m->start;
		k->kind = (int)m->kind;
	}
}

static int key_cmp_id(const struct key *x, const struct key *y)
{
	int c;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if ((c = strcmp(x->path, y->path)) != 0)
		return c;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return 0;
}

static int key_qsort(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = key_cmp_id(x, y);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int key_cmp_full(const struct key *x, const struct key *y)
{
	int c = key_cmp_id(x, y);

	if (c)
		return c;
	return x->occ < y->occ ? -1 : x->occ > y->occ;
}

/* Identity keys of P's mappings, sorted, with occurrence numbers. */
static struct key *keys_build(const struct vm_process *p)
{
	struct key *k = calloc(p->nmaps ? p->nmaps : 1, sizeof(*k));
	const char *last_file = NULL;

	if (!k)
		return NULL;
	for (size_t i = 0; i < p->nmaps; i++) {
		key_of(p, i, last_file, &k[i]);
		if (is_file_backed(&p->maps[i]))
			last_file = p->maps[i].path ? p->maps[i].path : "";
		else if (p->maps[i].path && *p->maps[i].path)
			last_file = NULL;
	}
	qsort(k, p->nmaps, sizeof(*k), key_qsort);
	for (size_t i = 1; i < p->nmaps; i++)
		if (key_cmp_id(&k[i - 1], &k[i]) == 0)
			k[i].occ = k[i - 1].occ + 1;
	return k;
}

/* The state of every page of M, expanded lazily from its runs. */
struct run_iter {
	const struct vm_mapping *m;
	size_t run;
	uint64_t left; /* pages left in the current run */
};

static int run_next(struct run_iter *it, uint64_t *n)
{
	while (it->m && it->left == 0 && it->run < it->m->nruns)
		it->left = it->m->runs[it->run++].count;
	if (!it->m || it->left == 0) {
		*n = UINT64_MAX;
		return DIFF_UNMAPPED;
	}
	*n = it->left;
	return (int)vm_page_state_of(it->m->runs[it->run - 1].flags);
}

static int ranges_add(struct diff_entry *e, size_t *cap, uint64_t start, uint64_t end,
		      int from, int to)
{
	struct diff_range *r;

	if (e->nranges && e->ranges[e->nranges - 1].end == start &&
	    e->ranges[e->nranges - 1].from == from && e->ranges[e->nranges - 1].to == to) {
		e->ranges[e->nranges - 1].end = end;
		return 0;
	}
	if (e->nranges == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		r = realloc(e->ranges, ncap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		e->ranges = r;
		*cap = ncap;
	}
	e->ranges[e->nranges++] = (struct diff_range){ start, end, from, to };
	return 0;
}

static bool overlap(const struct vm_mapping *a, const struct vm_mapping *b)
{
	return a->start < b->end && b->start < a->end;
}

/* Page ranges whose state differs. Mappings that overlap (one grew or
 * shrank at either end) are compared address by address; a moved one
 * page i of A against page i of B. Addresses are B's, or A's shifted to
 * B's start for pages only a moved A has. */
static int ranges_build(struct diff_entry *e, long ps)
{
	struct run_iter ia = { e->a, 0, 0 }, ib = { e->b, 0, 0 };
	uint64_t ups = (uint64_t)ps;
	/* Where A's first page is, in B's addresses. */
	uint64_t a0 = overlap(e->a, e->b) ? e->a->start : e->b->start;
	uint64_t a1 = a0 + e->a->pages.total * ups, b0 = e->b->start, b1 = e->b->end;
	uint64_t pos = a0 < b0 ? a0 : b0, end = a1 > b1 ? a1 : b1;
	size_t cap = 0;

	while (pos < end) {
		bool ina = pos >= a0 && pos < a1, inb = pos >= b0 && pos < b1;
		uint64_t ca = UINT64_MAX, cb = UINT64_MAX, n;
		int sa = ina ? run_next(&ia, &ca) : DIFF_UNMAPPED;
		int sb = inb ? run_next(&ib, &cb) : DIFF_UNMAPPED;

		/* Runs shorter than their mapping: not from the reader or the
		 * collectors, which both check the sum. */
		if ((ina && sa == DIFF_UNMAPPED) || (inb && sb == DIFF_UNMAPPED))
			return -EINVAL;
		n = ca < cb ? ca : cb;
		/* Do not run past where either side begins or ends. */
		if (ina && n > (a1 - pos) / ups)
			n = (a1 - pos) / ups;
		if (!ina && pos < a0 && n > (a0 - pos) / ups)
			n = (a0 - pos) / ups;
		if (inb && n > (b1 - pos) / ups)
			n = (b1 - pos) / ups;
		if (!inb && pos < b0 && n > (b0 - pos) / ups)
			n = (b0 - pos) / ups;
		if (sa != sb && ranges_add(e, &cap, pos, pos + n * ups, sa, sb) < 0)
			return -ENOMEM;
		if (ina)
			ia.left -= n;
		if (inb)
			ib.left -= n;
		pos += n * ups;
	}
	return 0;
}

static int64_t rss_kb(const struct vm_mapping *m, long ps)
{
	return m ? (int64_t)((m->pages.resident - m->pages.zero) * (uint64_t)ps / 1024) : 0;
}

static void entry_fill(struct diff_entry *e, long psa, long psb)
{
	const struct vm_mapping *a = e->a, *b = e->b;

#define PG(m, f) ((m) ? (int64_t)(m)->pages.f : 0)
	e->d_pages_resident = PG(b, resident) - PG(a, resident);
	e->d_pages_swapped = PG(b, swapped) - PG(a, swapped);
	e->d_pages_not_present = PG(b, not_present) - PG(a, not_present);
	e->d_virtual_kb = (b ? (int64_t)((b->end - b->start) / 1024) : 0) -
			  (a ? (int64_t)((a->end - a->start) / 1024) : 0);
	e->d_resident_kb = rss_kb(b, psb) - rss_kb(a, psa);
	e->d_swapped_kb = PG(b, swapped) * psb / 1024 - PG(a, swapped) * psa / 1024;
#undef PG
	if (!a) {
		e->what = DIFF_ADDED;
		return;
	}
	if (!b) {
		e->what = DIFF_REMOVED;
		return;
	}
	/* Growth at the low end (a stack, a region merged with the one
	 * below) keeps the mapping where it was: only a jump is a move. */
	if (a->start != b->start && !overlap(a, b))
		e->what |= DIFF_MOVED;
	if (b->end - b->start > a->end - a->start)
		e->what |= DIFF_GROWN;
	if (b->end - b->start < a->end - a->start)
		e->what |= DIFF_SHRUNK;
	if (strcmp(a->perms, b->perms) != 0)
		e->what |= DIFF_PERMS;
	if (a->kind != b->kind)
		e->what |= DIFF_KIND;
	if (e->d_pages_resident || e->d_pages_swapped || e->d_pages_not_present ||
	    e->d_resident_kb || e->d_swapped_kb || a->pages.zero != b->pages.zero)
		e->what |= DIFF_PAGES;
}

static uint64_t entry_addr(const struct diff_entry *e)
{
	return e->b ? e->b->start : e->a->start;
}

static int entry_cmp(const void *x, const void *y)
{
	uint64_t a = entry_addr(x), b = entry_addr(y);

	if (a != b)
		return a < b ? -1 : 1;
	/* At one address, what went away is listed before what came. */
	return ((const struct diff_entry *)x)->b == NULL ? -1 : 1;
}

/* Anonymous memory is keyed by its start, which growth downwards changes:
 * a removed and an added anonymous mapping of one kind that overlap are
 * one mapping that grew or shrank (the largest overlap wins). */
static void pair_by_overlap(struct vm_diff *d, long psa, long psb)
{
	size_t n = d->nentries, out = 0;

	for (size_t i = 0; i < n; i++) {
		struct diff_entry *r = &d->entries[i];
		size_t best = n;
		uint64_t best_len = 0;

		if (!(r->what & DIFF_REMOVED) || is_file_backed(r->a))
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct diff_entry *a = &d->entries[j];
			uint64_t lo, hi;

			if (!(a->what & DIFF_ADDED) || is_file_backed(a->b) ||
			    a->b->kind != r->a->kind || !overlap(a->b, r->a) ||
			    strcmp(a->b->path ? a->b->path : "", r->a->path ? r->a->path : "") != 0)
				continue;
			lo = a->b->start > r->a->start ? a->b->start : r->a->start;
			hi = a->b->end < r->a->end ? a->b->end : r->a->end;
			if (hi - lo > best_len) {
				best_len = hi - lo;
				best = j;
			}
		}
		if (best == n)
			continue;
		r->b = d->entries[best].b;
		d->entries[best].what = 0; /* consumed */
		r->what = 0;
		r->d_pages_resident = r->d_pages_swapped = r->d_pages_not_present = 0;
		entry_fill(r, psa, psb);
		if (!r->what)
			d->nunchanged++;
	}
	for (size_t i = 0; i < n; i++)
		if (d->entries[i].what)
			d->entries[out++] = d->entries[i];
	d->nentries = out;
}

void diff_free(struct vm_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nentries; i++)
		free(d->entries[i].ranges);
	free(d->entries);
	free(d);
}

int diff_processes(const struct vm_process *a, long psa, const struct vm_process *b,
		   long psb, unsigned opts, struct vm_diff **out)
{
	struct vm_diff *d = calloc(1, sizeof(*d));
	struct key *ka = keys_build(a), *kb = keys_build(b);
	size_t i = 0, j = 0, cap = a->nmaps + b->nmaps;
	int r = 0;

	*out = NULL;
	if (!d || !ka || !kb || !(d->entries = calloc(cap ? cap : 1, sizeof(*d->entries)))) {
		r = -ENOMEM;
		goto out;
	}
	d->a = a;
	d->b = b;
	d->page_size_a = psa;
	d->page_size_b = psb;
	if ((opts & DIFF_OPT_RANGES) && psa != psb) {
		r = -EINVAL;
		goto out;
	}
	/* Merge the two sorted key lists. */
	while (i < a->nmaps || j < b->nmaps) {
		struct diff_entry *e = &d->entries[d->nentries];
		int c = i >= a->nmaps ? 1 : j >= b->nmaps ? -1 : key_cmp_full(&ka[i], &kb[j]);

		memset(e, 0, sizeof(*e));
		if (c < 0) {
			e->a = &a->maps[ka[i++].idx];
		} else if (c > 0) {
			e->b = &b->maps[kb[j++].idx];
		} else {
			e->a = &a->maps[ka[i++].idx];
			e->b = &b->maps[kb[j++].idx];
		}
		entry_fill(e, psa, psb);
		if (!e->what) {
			d->nunchanged++;
			continue;
		}
		d->nentries++;
	}
	pair_by_overlap(d, psa, psb);
	for (size_t k = 0; (opts & DIFF_OPT_RANGES) && k < d->nentries; k++) {
		struct diff_entry *e = &d->entries[k];

		if (!e->a || !e->b)
			continue;
		if (!e->a->runs || !e->b->runs) {
			r = -EINVAL;
			goto out;
		}
		if ((e->what & (DIFF_PAGES | DIFF_GROWN | DIFF_SHRUNK)) &&
		    (r = ranges_build(e, psb)) < 0)
			goto out;
	}
	qsort(d->entries, d->nentries, sizeof(*d->entries), entry_cmp);
out:
	free(ka);
	free(kb);
	if (r < 0) {
		diff_free(d);
		return r;
	}
	*out = d;
	return 0;
}
