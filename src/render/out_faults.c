/* A page fault recording as text: per process, per type, per mapping, and
 * by the function of the faulting instruction (the JSON is files/). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/faults.h"
#include "vmatlas/render.h"
#include "vmatlas/util.h"

#define CODE_ROWS 40
#define MAP_ROWS 40

/* "symbol+0xoff (object)", or the address when no symbol covers it. */
static void name_of(char *buf, size_t len, const char *sym, uint64_t off,
		    const char *obj, uint64_t pc, bool with_off)
{
	char *s = sym ? escape_untrusted(sym) : NULL;
	char *o = obj ? escape_untrusted(obj) : NULL;
	const char *base = o ? strrchr(o, '/') : NULL;

	base = base ? base + 1 : o;
	if (s && with_off && off)
		snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", s, off, base ? base : "?");
	else if (s)
		snprintf(buf, len, "%s (%s)", s, base ? base : "?");
	else
		snprintf(buf, len, "0x%" PRIx64 " (%s)", pc, base ? base : "?");
	free(s);
	free(o);
}

/* Text rows are functions: the instructions of one function, object and
 * type add up (call chains set aside). */
struct fn_row {
	const struct fault_code *first;
	uint64_t count;
};

static bool same_fn(const struct fault_code *a, const struct fault_code *b)
{
	if (a->pid != b->pid || a->type != b->type)
		return false;
	if (!a->symbol || !b->symbol)
		return a->ip == b->ip && !a->symbol && !b->symbol;
	return strcmp(a->symbol, b->symbol) == 0 &&
	       strcmp(a->object ? a->object : "", b->object ? b->object : "") == 0;
}

static int fn_cmp(const void *x, const void *y)
{
	const struct fn_row *a = x, *b = y;

	return a->count != b->count ? (a->count > b->count ? -1 : 1) : 0;
}

size_t faults_functions(const struct fault_report *r, struct fault_code_sum *out, size_t max)
{
	struct fn_row *rows = calloc(r->ncode + 1, sizeof(*rows));
	size_t n = 0, k;

	if (!rows)
		return 0;
	for (size_t i = 0; i < r->ncode; i++) {
		size_t j;

		for (j = 0; j < n && !same_fn(rows[j].first, &r->code[i]); j++)
			;
		if (j == n)
			rows[n++] = (struct fn_row){ &r->code[i], 0 };
		rows[j].count += r->code[i].count;
	}
	qsort(rows, n, sizeof(*rows), fn_cmp);
	for (k = 0; k < n && k < max; k++)
		out[k] = (struct fault_code_sum){ rows[k].first, rows[k].count };
	free(rows);
	return k;
}

int faults_write_text(FILE *f, const struct fault_report *r)
{
	struct fault_code_sum *fns = calloc(CODE_ROWS, sizeof(*fns));
	size_t nfn;
	char name[1024];

	if (!fns)
		return -ENOMEM;
	fprintf(f, "page faults of %zu process%s over %.2f s (%s)\n", r->nprocs,
		r->nprocs == 1 ? "" : "es", r->duration_s,
		r->sample > 1 ? "sampled: counts are samples x N, estimates" : "every fault recorded");
	if (r->sample > 1)
		fprintf(f, "sampling: 1 fault in %u recorded\n", r->sample);
	if (r->lost)
		fprintf(f, "LOST: %" PRIu64 " events dropped by the kernel (ring buffer full): counts below are short\n",
			r->lost);
	else
		fprintf(f, "lost: 0 events\n");
	if (r->unclassified)
		fprintf(f, "unclassified: %" PRIu64 " counted faults whose trap was not seen (counted as other)\n",
			r->unclassified);
	if (r->uncounted)
		fprintf(f, "uncounted: %" PRIu64 " traps the kernel retried or refused (not in the counts)\n",
			r->uncounted);

	fprintf(f, "\n%-8s %-16s %9s %9s %9s %9s %11s %9s %9s %9s %9s\n", "PID", "COMM", "FAULTS",
		"MINOR", "MAJOR", "KERNEL", "FIRST_TOUCH", "FILE", "SWAP_IN", "COW", "OTHER");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct fault_proc *p = &r->procs[i];
		char *comm = escape_untrusted(p->comm ? p->comm : "");
		char kd[32];

		if (p->kernel_known)
			snprintf(kd, sizeof(kd), "%" PRIu64, p->kernel_delta);
		else
			snprintf(kd, sizeof(kd), "%s", p->exited ? "exited" : "?");
		fprintf(f, "%-8d %-16.16s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9s %11" PRIu64
			" %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
			(int)p->pid, comm ? comm : "?", p->faults, p->minor, p->major, kd,
			p->by_type[FT_FIRST_TOUCH], p->by_type[FT_FILE], p->by_type[FT_SWAP_IN],
			p->by_type[FT_COW], p->by_type[FT_OTHER]);
		free(comm);
	}
	fprintf(f, "(KERNEL: the change of minflt + majflt in /proc/PID/stat over the window)\n");

	fprintf(f, "\nby type: ");
	for (int t = 0; t < FT__COUNT; t++)
		fprintf(f, "%s%s %" PRIu64, t ? "  " : "", fault_type_name((enum fault_type)t),
			r->by_type[t]);
	fprintf(f, "  (minor %" PRIu64 ", major %" PRIu64 ")\n", r->minor, r->major);

	fprintf(f, "\nmappings, most faults first\n%-8s %-16s %-16s %-8s %9s %11s %9s %9s %9s %9s  %s\n",
		"PID", "START", "END", "KIND", "FAULTS", "FIRST_TOUCH", "FILE", "SWAP_IN", "COW",
		"OTHER", "PATH");
	for (size_t i = 0; i < r->nmaps && i < MAP_ROWS; i++) {
		const struct fault_mapping *m = &r->maps[i];
		char *path = escape_mapping_path(m->path, m->deleted);

		fprintf(f, "%-8d %016" PRIx64 " %016" PRIx64 " %-8s %9" PRIu64 " %11" PRIu64 " %9" PRIu64
			" %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "  %s\n",
			(int)m->pid, m->start, m->end, vm_kind_name(m->kind), m->faults,
			m->by_type[FT_FIRST_TOUCH], m->by_type[FT_FILE], m->by_type[FT_SWAP_IN],
			m->by_type[FT_COW], m->by_type[FT_OTHER], path ? path : "?");
		free(path);
	}
	if (r->nmaps > MAP_ROWS)
		fprintf(f, "(%zu more mappings in the JSON output)\n", r->nmaps - MAP_ROWS);

	nfn = faults_functions(r, fns, CODE_ROWS);
	fprintf(f, "\ncode: the function of the faulting instruction\n%-8s %9s %-11s  %s\n", "PID",
		"FAULTS", "TYPE", "FUNCTION (OBJECT)");
	for (size_t i = 0; i < nfn; i++) {
		const struct fault_code *c = fns[i].first;

		name_of(name, sizeof(name), c->symbol, c->offset, c->object, c->ip, false);
		fprintf(f, "%-8d %9" PRIu64 " %-11s  %s\n", (int)c->pid, fns[i].count,
			fault_type_name(c->type), name);
		if (c->ncallers || c->chain_cut) {
			fprintf(f, "%31s", "called from:");
			for (size_t k = 0; k < c->ncallers; k++) {
				const struct fault_frame *fr = &c->callers[k];

				name_of(name, sizeof(name), fr->symbol, fr->offset, fr->object, fr->pc, false);
				fprintf(f, "%s %s", k ? " <-" : "", name);
			}
			if (c->chain_cut)
				fprintf(f, "%s(cut: no frame pointers here)", c->ncallers ? " <- " : " ");
			fputc('\n', f);
		}
	}
	free(fns);
	return ferror(f) ? -EIO : 0;
}
