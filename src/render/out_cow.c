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

size_t cow_strip(const struct vm_cow_mapping *m, uint8_t *cells, size_t width)
{
	uint64_t total = vm_cow_counts_total(&m->counts), pos = 0, off = 0;
	size_t ri = 0;

	if (total == 0 || width == 0)
		return 0;
	if (width > total)
		width = (size_t)total;
	for (size_t k = 0; k < width; k++) {
		uint64_t end = total * (k + 1) / width, n[COW__COUNT] = { 0 };
		uint8_t best = COW_NEITHER;

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
		for (uint8_t st = 0; st < COW__COUNT; st++)
			if (n[st] > n[best])
				best = st;
		cells[k] = best;
	}
	return width;
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
	fprintf(f, "%8" PRIu64 " %9" PRIu64 " %s %9" PRIu64 " %s %8" PRIu64 " %8" PRIu64
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
		if (c->pfn)
			fprintf(f, "\nprecision: pfn (physical frames compared: exact)\n\n");
		else
			fprintf(f, "\nprecision: exclusive-bit (an ESTIMATE: PFNs need root, CAP_SYS_ADMIN;"
				" a page either maps alone counts as diverged)\n\n");
		fprintf(f, "%-18s %-18s %-8s %8s %16s %16s %8s %8s %8s  %s\n", "START", "END",
			"KIND", "PAGES", "SHARED", "DIVERGED", "P-ONLY", "C-ONLY", "NEITHER", "PATH");
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
			"  '.' neither\n       (each cell is the most common state of its pages)\n");
	return ferror(f) ? -EIO : 0;
}
