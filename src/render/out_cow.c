/* Copy-on-write comparisons of a snapshot as a text table with page strips
 * (the JSON "cow" member is written by out_json.c). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/cow.h"
#include "vmatlas/render.h"
#include "vmatlas/util.h"

/* One character per state in the page strip and the COW view. */
static const char cow_state_chars[COW__COUNT] = {
	[COW_NEITHER] = '.',
	[COW_SHARED] = '=',
	[COW_DIVERGED] = '#',
	[COW_PARENT_ONLY] = 'P',
	[COW_CHILD_ONLY] = 'C',
};

/* Each state gets cells in proportion to its pages, as a bar does, placed
 * where its pages are: a cell shows, of the states its own pages are in,
 * the one furthest behind its share of the cells so far. A mapping with one
 * page in eight diverged shows one cell in eight diverged, where the most
 * common state of each cell would show none. */
size_t cow_strip(const struct vm_cow_mapping *m, uint8_t *cells, size_t width)
{
	uint64_t total = vm_cow_counts_total(&m->counts), pos = 0, off = 0;
	uint64_t seen[COW__COUNT] = { 0 }, drawn[COW__COUNT] = { 0 };
	size_t ri = 0;

	if (total == 0 || width == 0)
		return 0;
	if (width > total)
		width = (size_t)total;
	for (size_t k = 0; k < width; k++) {
		uint64_t end = total * (k + 1) / width, n[COW__COUNT] = { 0 };
		int best = -1;
		__int128 best_debt = 0;

		/* Pages [pos, end) from the runs, resuming inside a run. */
		while (pos < end && ri < m->nruns) {
			uint64_t left = m->runs[ri].count - off, take = end - pos;

			if (take > left)
				take = left;
			if (m->runs[ri].flags < COW__COUNT)
				n[m->runs[ri].flags] += take;
			pos += take;
			off += take;
			if (off == m->runs[ri].count) {
				ri++;
				off = 0;
			}
		}
		pos = end;
		for (int st = 0; st < COW__COUNT; st++) {
			/* Cells owed to ST minus cells drawn, times TOTAL. */
			__int128 debt;

			seen[st] += n[st];
			if (!n[st])
				continue;
			debt = (__int128)seen[st] * width - (__int128)drawn[st] * total;
			if (best < 0 || debt > best_debt || (debt == best_debt && n[st] > n[best])) {
				best = st;
				best_debt = debt;
			}
		}
		if (best < 0)
			best = COW_NEITHER; /* runs shorter than the counts */
		drawn[best]++;
		cells[k] = (uint8_t)best;
	}
	return width;
}

const char *cow_state_label(unsigned state)
{
	static const char *const label[COW__COUNT] = {
		[COW_NEITHER] = "neither", [COW_SHARED] = "shared",
		[COW_DIVERGED] = "diverged", [COW_PARENT_ONLY] = "parent only",
		[COW_CHILD_ONLY] = "child only",
	};

	return state < COW__COUNT ? label[state] : "?";
}

char cow_state_char(unsigned state)
{
	return state < COW__COUNT ? cow_state_chars[state] : '?';
}

static void pct(char *b, size_t len, uint64_t part, uint64_t total)
{
	snprintf(b, len, "%5.1f%%", total ? 100.0 * (double)part / (double)total : 0.0);
}

static void cow_counts_row(FILE *f, const struct vm_cow_counts *c)
{
	uint64_t t = vm_cow_counts_total(c);
	char ps[16], pd[16];

	pct(ps, sizeof(ps), c->shared, t);
	pct(pd, sizeof(pd), c->diverged, t);
	fprintf(f, "%8" PRIu64 " %9" PRIu64 " %s %9" PRIu64 " %s %11" PRIu64 " %10" PRIu64
		" %8" PRIu64, t, c->shared, ps, c->diverged, pd, c->parent_only,
		c->child_only, c->neither);
}

static const struct vm_process *find_proc(const struct vm_snapshot *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

static void print_who(FILE *f, const char *role, const struct vm_snapshot *s, pid_t pid)
{
	const struct vm_process *p = find_proc(s, pid);
	char *comm = escape_untrusted(p && p->comm ? p->comm : "?");

	fprintf(f, "%s %d (%s)", role, (int)pid, comm ? comm : "?");
	free(comm);
}

#define STRIP_WIDTH 64

/* What the comparison means when CHILD is not PARENT's child. */
static void cow_write_relation(FILE *f, const struct vm_cow_pair *c)
{
	switch (c->relation) {
	case COW_REL_CHILD:
		return;
	case COW_REL_DESCENDANT:
		fprintf(f, "\nrelation: %d descends from %d (not its child)", (int)c->child,
			(int)c->parent);
		return;
	case COW_REL_ANCESTOR:
		fprintf(f, "\nrelation: reversed: %d is an ancestor of %d", (int)c->child,
			(int)c->parent);
		return;
	case COW_REL_KIN:
		fprintf(f, "\nrelation: not parent and child: both descend from %d; they share "
			"copy-on-write pages only if neither has exec'd since", (int)c->ancestor);
		return;
	case COW_REL_UNRELATED:
		fprintf(f, "\nrelation: NOT RELATED: neither descends from the other, so no page is "
			"copy-on-write between them; \"shared\" counts the frames both map anyway "
			"(libraries, files, shared memory, the zero page)");
		return;
	}
}

int cow_write_text(FILE *f, const struct vm_snapshot *s, unsigned flags)
{
	uint8_t cells[STRIP_WIDTH];
	char line[STRIP_WIDTH + 1];

	(void)flags;
	for (size_t i = 0; i < s->ncows; i++) {
		const struct vm_cow_pair *c = &s->cows[i];

		fprintf(f, "%scopy-on-write: ", i ? "\n" : "");
		print_who(f, "parent", s, c->parent);
		fprintf(f, " -> ");
		print_who(f, "child", s, c->child);
		cow_write_relation(f, c);
		if (c->pfn)
			fprintf(f, "\nprecision: pfn (physical frames compared: exact)\n\n");
		else
			fprintf(f, "\nprecision: exclusive-bit (an ESTIMATE: PFNs need root, CAP_SYS_ADMIN;"
				" a page either maps alone counts as diverged)\n\n");
		fprintf(f, "%-18s %-18s %-8s %8s %16s %16s %11s %10s %8s  %s\n", "START", "END",
			"KIND", "PAGES", "SHARED", "DIVERGED", "PARENT ONLY", "CHILD ONLY", "NEITHER", "PATH");
		for (size_t j = 0; j < c->nmaps; j++) {
			const struct vm_cow_mapping *m = &c->maps[j];
			char *path = escape_untrusted(m->path);
			size_t w;

			fprintf(f, "0x%016" PRIx64 " 0x%016" PRIx64 " %-8s ", m->start, m->end,
				vm_kind_name(m->kind));
			cow_counts_row(f, &m->counts);
			fprintf(f, "  %s\n", path ? path : "?");
			free(path);
			/* A strip only where either process has pages. */
			if (m->counts.neither == vm_cow_counts_total(&m->counts))
				continue;
			w = cow_strip(m, cells, STRIP_WIDTH);
			for (size_t k = 0; k < w; k++)
				line[k] = cow_state_char(cells[k]);
			line[w] = '\0';
			if (w)
				fprintf(f, "%-18s [%s]\n", "", line);
		}
		fprintf(f, "%-18s %-18s %-8s ", "total", "", "");
		cow_counts_row(f, &c->totals);
		fprintf(f, "\n");
	}
	if (s->ncows)
		fprintf(f, "\nstrip: '=' shared  '#' diverged (copied)  'P' parent only  'C' child only"
			"  '.' neither\n       (each state has cells in proportion to its pages, where its"
			" pages are)\n");
	return ferror(f) ? -EIO : 0;
}
