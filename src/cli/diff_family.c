/* vmatlas diff of two snapshots that hold a family (vmatlas family): how
 * its footprint and each member's memory and copies moved. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "vmatlas/render.h"
#include "vmatlas/util.h"

static const struct vm_family_proc *member(const struct vm_family *f, pid_t pid)
{
	for (size_t i = 0; i < f->nprocs; i++)
		if (f->procs[i].pid == pid)
			return &f->procs[i];
	return NULL;
}

/* "A -> B (+D)" of two sizes in kB. */
static const char *moved(char *buf, size_t len, uint64_t a, uint64_t b)
{
	char x[16], y[16], d[16];

	fmt_kb(x, sizeof(x), a);
	fmt_kb(y, sizeof(y), b);
	fmt_kb(d, sizeof(d), a > b ? a - b : b - a);
	snprintf(buf, len, "%s -> %s (%s%s)", x, y, b > a ? "+" : b < a ? "-" : "", d);
	return buf;
}

static void text_row(FILE *f, const struct vm_family_proc *a, const struct vm_family_proc *b)
{
	const struct vm_family_proc *p = b ? b : a;
	static const struct vm_family_proc none;
	char r[64], s[64], u[64], d[64];
	char *comm = escape_untrusted(p->comm ? p->comm : "");

	if (!a)
		a = &none;
	if (!b)
		b = &none;
	fprintf(f, "%8d %-16s %-24s %-24s %-24s %s%s\n", (int)p->pid, comm ? comm : "?",
		moved(r, sizeof(r), a->rss_kb, b->rss_kb), moved(s, sizeof(s), a->pss_kb, b->pss_kb),
		moved(u, sizeof(u), a->uss_kb, b->uss_kb),
		p->has_parent ? moved(d, sizeof(d), a->diverged_kb, b->diverged_kb) : "-",
		a == &none ? "  (new)" : b == &none ? "  (gone)" : "");
	free(comm);
}

static void text_family(FILE *f, const struct vm_family *a, const struct vm_family *b)
{
	char x[64], y[64];

	fprintf(f, "\nfamily of %d (B - A): footprint %s   sum of RSS %s\n", (int)b->root,
		moved(x, sizeof(x), a->footprint_kb, b->footprint_kb),
		moved(y, sizeof(y), a->rss_sum_kb, b->rss_sum_kb));
	if (a->pfn != b->pfn || !b->pfn)
		fprintf(f, "precision: %s then %s\n", a->pfn ? "pfn" : "estimate", b->pfn ? "pfn" : "estimate");
	fprintf(f, "%8s %-16s %-24s %-24s %-24s %s\n", "PID", "COMM", "RSS", "PSS", "USS",
		"DIVERGED FROM PARENT");
	for (size_t i = 0; i < b->nprocs; i++)
		text_row(f, member(a, b->procs[i].pid), &b->procs[i]);
	for (size_t i = 0; i < a->nprocs; i++)
		if (!member(b, a->procs[i].pid))
			text_row(f, &a->procs[i], NULL);
}

static json_t *pair(bool ha, uint64_t a, bool hb, uint64_t b)
{
	return json_pack("[oo]", ha ? json_integer((json_int_t)a) : json_null(),
			 hb ? json_integer((json_int_t)b) : json_null());
}

static json_t *json_row(const struct vm_family_proc *a, const struct vm_family_proc *b)
{
	const struct vm_family_proc *p = b ? b : a;

	return json_pack("{s:i,s:o,s:o,s:o,s:o}", "pid", (int)p->pid,
			 "rss_kb", pair(a, a ? a->rss_kb : 0, b, b ? b->rss_kb : 0),
			 "pss_kb", pair(a, a ? a->pss_kb : 0, b, b ? b->pss_kb : 0),
			 "uss_kb", pair(a, a ? a->uss_kb : 0, b, b ? b->uss_kb : 0),
			 "diverged_from_parent_kb",
			 pair(a && a->has_parent, a ? a->diverged_kb : 0, b && b->has_parent,
			      b ? b->diverged_kb : 0));
}

json_t *diff_family_json(const struct vm_family *a, const struct vm_family *b)
{
	json_t *procs = json_array();

	for (size_t i = 0; procs && i < b->nprocs; i++)
		json_array_append_new(procs, json_row(member(a, b->procs[i].pid), &b->procs[i]));
	for (size_t i = 0; procs && i < a->nprocs; i++)
		if (!member(b, a->procs[i].pid))
			json_array_append_new(procs, json_row(&a->procs[i], NULL));
	return json_pack("{s:{s:i,s:[ss],s:o,s:o,s:o}}", "family", "root", (int)b->root,
			 "precision", a->pfn ? "pfn" : "estimate", b->pfn ? "pfn" : "estimate",
			 "footprint_kb", pair(true, a->footprint_kb, true, b->footprint_kb),
			 "rss_sum_kb", pair(true, a->rss_sum_kb, true, b->rss_sum_kb),
			 "processes", procs);
}

void diff_family_write_text(FILE *f, const struct vm_family *a, const struct vm_family *b)
{
	text_family(f, a, b);
}
