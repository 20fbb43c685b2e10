/* A family as text (a table like `ps f` with the kernel's PSS and USS, the
 * sharing with each parent, the footprint and histogram, the root's most
 * eroded mappings) and as Prometheus text exposition. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/render.h"
#include "vmatlas/util.h"

double family_eroded_pct(uint64_t shared_kb, uint64_t diverged_kb)
{
	uint64_t t = shared_kb + diverged_kb;

	return t ? 100.0 * (double)diverged_kb / (double)t : 0.0;
}

const char *family_precision_name(const struct vm_family *f)
{
	return f->pfn ? "pfn" : "estimate";
}

/* Most mappings the text lists. */
#define FAMILY_TEXT_MAPS 10

struct map_rank {
	size_t i;
	uint64_t shared, diverged;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct map_rank *x = a, *y = b;

	if (x->diverged != y->diverged)
		return x->diverged < y->diverged ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

static void write_mappings(FILE *f, const struct vm_family *fam)
{
	struct map_rank *rk = calloc(fam->nmaps ? fam->nmaps : 1, sizeof(*rk));
	size_t n = 0;

	if (!rk)
		return;
	for (size_t i = 0; i < fam->nmaps; i++) {
		const struct vm_family_mapping *m = &fam->maps[i];

		rk[n] = (struct map_rank){ i, 0, 0 };
		for (size_t k = 0; k < m->nprocs; k++) {
			rk[n].shared += m->procs[k].shared_kb;
			rk[n].diverged += m->procs[k].diverged_kb;
		}
		if (rk[n].diverged)
			n++;
	}
	qsort(rk, n, sizeof(*rk), rank_cmp);
	fprintf(f, "\nthe root's mappings with the most erosion (%zu of %zu eroded%s):\n", n,
		fam->nmaps, n > FAMILY_TEXT_MAPS ? "; the first 10" : "");
	if (n == 0) {
		fprintf(f, "  none: every member still shares all it inherited\n");
		free(rk);
		return;
	}
	fprintf(f, "%-18s %-18s %-6s %10s %10s %7s %7s  %-22s %s\n", "START", "END", "KIND",
		"DIVERGED", "SHARED", "ERODED", "MEMBERS", "MOST ERODED", "PATH");
	for (size_t j = 0; j < n && j < FAMILY_TEXT_MAPS; j++) {
		const struct vm_family_mapping *m = &fam->maps[rk[j].i];
		const struct vm_family_share *worst = NULL;
		char *path = escape_untrusted(m->path ? m->path : "");
		char w[48] = "-";

		for (size_t k = 0; k < m->nprocs; k++)
			if (!worst || family_eroded_pct(m->procs[k].shared_kb, m->procs[k].diverged_kb) >
					      family_eroded_pct(worst->shared_kb, worst->diverged_kb))
				worst = &m->procs[k];
		if (worst)
			snprintf(w, sizeof(w), "%d %.1f%%", (int)worst->pid,
				 family_eroded_pct(worst->shared_kb, worst->diverged_kb));
		fprintf(f, "0x%016" PRIx64 " 0x%016" PRIx64 " %-6s %7" PRIu64 " kB %7" PRIu64
			" kB %6.1f%% %7zu  %-22s %s\n", m->start, m->end, vm_kind_name(m->kind),
			rk[j].diverged, rk[j].shared, family_eroded_pct(rk[j].shared, rk[j].diverged),
			m->nprocs, w, path ? path : "?");
		free(path);
	}
	free(rk);
}

int family_write_text(FILE *f, const struct vm_family *fam)
{
	const struct vm_family_proc *root = fam->nprocs ? &fam->procs[0] : NULL;
	char *comm = escape_untrusted(root && root->comm ? root->comm : "?");
	uint64_t saved = fam->rss_sum_kb > fam->footprint_kb ? fam->rss_sum_kb - fam->footprint_kb : 0;

	size_t roots = 0;

	for (size_t i = 0; i < fam->nprocs; i++)
		roots += fam->procs[i].depth == 0;
	fprintf(f, "family of %d (%s)", (int)fam->root, comm ? comm : "?");
	if (roots > 1)
		fprintf(f, " and %zu more root%s", roots - 1, roots == 2 ? "" : "s");
	fprintf(f, ": %zu process%s\n", fam->nprocs, fam->nprocs == 1 ? "" : "es");
	free(comm);
	if (fam->pfn)
		fprintf(f, "precision: pfn (physical frames compared: exact)\n\n");
	else
		fprintf(f, "precision: estimate (PFNs need root, CAP_SYS_ADMIN: shared, diverged, footprint"
			" and sharing are derived from the exclusive-mapping bit; RSS, PSS, USS and swap"
			" are the kernel's)\n\n");
	fprintf(f, "%8s %9s %9s %9s %9s %9s %9s %9s %7s  %s\n", "PID", "RSS kB", "PSS kB",
		"USS kB", "SWAP kB", "SWAPPSS", "SHARED", "DIVERGED", "ERODED", "TITLE");
	for (size_t i = 0; i < fam->nprocs; i++) {
		const struct vm_family_proc *p = &fam->procs[i];
		char *title = escape_untrusted(p->title ? p->title : "");
		char sh[24] = "-", dv[24] = "-", er[24] = "-";
		unsigned d = p->depth < 16 ? p->depth : 16;

		if (p->has_parent) {
			snprintf(sh, sizeof(sh), "%" PRIu64, p->shared_kb);
			snprintf(dv, sizeof(dv), "%" PRIu64, p->diverged_kb);
			snprintf(er, sizeof(er), "%.1f%%", family_eroded_pct(p->shared_kb, p->diverged_kb));
		}
		fprintf(f, "%8d %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
			" %9s %9s %7s  %*s%s%s\n", (int)p->pid, p->rss_kb, p->pss_kb, p->uss_kb,
			p->swap_kb, p->swap_pss_kb, sh, dv, er, (int)(d ? 4 * (d - 1) + 1 : 0), "",
			d ? "\\_ " : "", title ? title : "?");
		free(title);
	}
	fprintf(f, "\nfootprint %" PRIu64 " kB (every resident physical page once)   sum of RSS %"
		PRIu64 " kB   sharing saves %" PRIu64 " kB\n", fam->footprint_kb, fam->rss_sum_kb,
		saved);
	fprintf(f, "\nsharing: resident memory mapped by exactly k of the %zu processes\n",
		fam->nprocs);
	for (size_t k = 0; k < fam->nsharing; k++)
		if (fam->sharing_kb[k])
			fprintf(f, "  k=%-4zu %10" PRIu64 " kB\n", k + 1, fam->sharing_kb[k]);
	write_mappings(f, fam);
	fprintf(f, "\nRSS, PSS, USS, SWAP, SWAPPSS: /proc/PID/smaps_rollup (USS = Private_Clean +"
		" Private_Dirty).\nSHARED / DIVERGED: pages at the same address as in the parent,"
		" the same / a copied physical page;\nERODED: DIVERGED / (SHARED + DIVERGED).\n");
	return ferror(f) ? -EIO : 0;
}

/* ---- Prometheus text exposition format ------------------------------------ */

/* A label value: escaped for a terminal first (valid UTF-8, no control
 * characters), then backslash and double quote as the format wants. */
static void prom_label(FILE *f, const char *s)
{
	char *e = escape_untrusted(s ? s : "");

	for (const char *c = e ? e : "?"; *c; c++) {
		if (*c == '\\' || *c == '"')
			fputc('\\', f);
		fputc(*c, f);
	}
	free(e);
}

static void prom_head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

enum prom_field { PF_RSS, PF_PSS, PF_USS, PF_SWAP, PF_SWAP_PSS, PF_SHARED, PF_DIVERGED };

static const struct {
	const char *name, *help;
} prom_fields[] = {
	[PF_RSS] = { "vmatlas_family_process_rss_bytes", "Resident memory of the process (smaps_rollup Rss)." },
	[PF_PSS] = { "vmatlas_family_process_pss_bytes",
		     "Proportional set size: each page divided among the processes mapping it (smaps_rollup Pss)." },
	[PF_USS] = { "vmatlas_family_process_uss_bytes",
		     "Unique set size: what exiting would free (smaps_rollup Private_Clean + Private_Dirty)." },
	[PF_SWAP] = { "vmatlas_family_process_swap_bytes", "Swapped-out memory of the process (smaps_rollup Swap)." },
	[PF_SWAP_PSS] = { "vmatlas_family_process_swap_pss_bytes",
			  "Proportional share of the swapped-out memory (smaps_rollup SwapPss)." },
	[PF_SHARED] = { "vmatlas_family_process_shared_with_parent_bytes",
			"Memory mapped at the same address to the same physical page as in the parent." },
	[PF_DIVERGED] = { "vmatlas_family_process_diverged_from_parent_bytes",
			  "Memory at the same address as in the parent copied on write (its own physical page)." },
};

static uint64_t prom_value(const struct vm_family_proc *p, enum prom_field k)
{
	switch (k) {
	case PF_RSS: return p->rss_kb;
	case PF_PSS: return p->pss_kb;
	case PF_USS: return p->uss_kb;
	case PF_SWAP: return p->swap_kb;
	case PF_SWAP_PSS: return p->swap_pss_kb;
	case PF_SHARED: return p->shared_kb;
	case PF_DIVERGED: return p->diverged_kb;
	}
	return 0;
}

int family_write_prom(FILE *f, const struct vm_family *fam)
{
	for (size_t k = 0; k < sizeof(prom_fields) / sizeof(prom_fields[0]); k++) {
		prom_head(f, prom_fields[k].name, prom_fields[k].help);
		for (size_t i = 0; i < fam->nprocs; i++) {
			const struct vm_family_proc *p = &fam->procs[i];

			if ((k == PF_SHARED || k == PF_DIVERGED) && !p->has_parent)
				continue;
			fprintf(f, "%s{root=\"%d\",pid=\"%d\",comm=\"", prom_fields[k].name,
				(int)fam->root, (int)p->pid);
			prom_label(f, p->comm);
			fprintf(f, "\"} %" PRIu64 "\n", prom_value(p, (enum prom_field)k) * 1024);
		}
	}
	prom_head(f, "vmatlas_family_footprint_bytes",
		  "Resident memory of the whole family, every physical page counted once.");
	fprintf(f, "vmatlas_family_footprint_bytes{root=\"%d\"} %" PRIu64 "\n", (int)fam->root,
		fam->footprint_kb * 1024);
	prom_head(f, "vmatlas_family_rss_sum_bytes", "The members' resident memory added up.");
	fprintf(f, "vmatlas_family_rss_sum_bytes{root=\"%d\"} %" PRIu64 "\n", (int)fam->root,
		fam->rss_sum_kb * 1024);
	prom_head(f, "vmatlas_family_sharing_bytes",
		  "Resident memory mapped by exactly mapped_by of the family's processes.");
	for (size_t k = 0; k < fam->nsharing; k++)
		fprintf(f, "vmatlas_family_sharing_bytes{root=\"%d\",mapped_by=\"%zu\"} %" PRIu64 "\n",
			(int)fam->root, k + 1, fam->sharing_kb[k] * 1024);
	prom_head(f, "vmatlas_family_exact",
		  "1 when physical frames were compared (root), 0 for the estimate from the exclusive bit.");
	fprintf(f, "vmatlas_family_exact{root=\"%d\"} %d\n", (int)fam->root, fam->pfn ? 1 : 0);
	return ferror(f) ? -EIO : 0;
}
