/* The family picture (vmatlas family --format=svg): the process tree, one
 * row a member indented by its depth, each with a bar of its RSS split into
 * what it still shares with its parent (green), what it copied on write
 * since (red) and the rest (grey), its PSS and USS; then how much of the
 * family's memory is mapped by exactly k of its processes. Bars are to one
 * scale, the largest RSS of the family. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "svg_priv.h"
#include "vmatlas/render.h"

enum {
	FX = 10,
	FBAR_X = 420,  /* the bars */
	FBAR_W = 400,
	FNOTE_X = FBAR_X + FBAR_W + 12,
	FPAGE_W = FNOTE_X + 330,
	FROW_H = 30,
	FTOP = 86,
	INDENT = 18,
};

#define F_SHARED "#2e9e3e"
#define F_DIVERGED "#d62728"
#define F_REST "#c8c8c8"

static int width_of(uint64_t kb, uint64_t max)
{
	int w = max ? (int)((uint64_t)FBAR_W * kb / max) : 0;

	return kb && w == 0 ? 1 : w;
}

static void family_row(FILE *f, const struct vm_family_proc *p, int y, uint64_t max)
{
	int x = FX + (int)(p->depth < 12 ? p->depth : 12) * INDENT;
	int ws = p->has_parent ? width_of(p->shared_kb, max) : 0;
	int wd = p->has_parent ? width_of(p->diverged_kb, max) : 0;
	int wr = width_of(p->rss_kb, max) - ws - wd;
	char a[16], b[16], c[16], d[16], e[16];

	if (wr < 0)
		wr = 0;
	fprintf(f, "<g class=\"member\"><title>pid %d ", (int)p->pid);
	svg_text(f, p->title && *p->title ? p->title : p->comm, 0);
	fputs("</title>\n", f);
	if (p->depth)
		fprintf(f, "<path d=\"M%d %d V%d H%d\" fill=\"none\" stroke=\"#888888\"/>\n",
			x - INDENT + 6, y - 8, y + 10, x - 2);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%d ", x, y + 8, (int)p->pid);
	svg_text(f, p->comm, 16);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#444444\">", x, y + 19);
	svg_text(f, p->title, 40);
	fputs("</text>\n", f);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"#f4f4f4\" stroke=\"#999999\"/>\n",
		FBAR_X, y, FBAR_W);
	if (ws)
		fprintf(f, "<rect class=\"shared\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"%s\"/>\n",
			FBAR_X, y, ws, F_SHARED);
	if (wd)
		fprintf(f, "<rect class=\"diverged\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"%s\"/>\n",
			FBAR_X + ws, y, wd, F_DIVERGED);
	if (wr)
		fprintf(f, "<rect class=\"rest\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"%s\"/>\n",
			FBAR_X + ws + wd, y, wr, F_REST);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">rss %s  pss %s  uss %s", FNOTE_X, y + 8,
		fmt_kb(a, sizeof(a), p->rss_kb), fmt_kb(b, sizeof(b), p->pss_kb),
		fmt_kb(c, sizeof(c), p->uss_kb));
	if (p->has_parent)
		fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"10\">shared with parent %s  diverged %s",
			FNOTE_X, y + 19, fmt_kb(d, sizeof(d), p->shared_kb), fmt_kb(e, sizeof(e), p->diverged_kb));
	fputs("</text></g>\n", f);
}

static int family_block(FILE *f, const struct vm_family *fam, int y)
{
	uint64_t max = 1, smax = 1;
	char a[16], b[16];

	for (size_t i = 0; i < fam->nprocs; i++)
		if (fam->procs[i].rss_kb > max)
			max = fam->procs[i].rss_kb;
	fprintf(f, "<g class=\"family\"><text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\">"
		"family of %d: %zu process%s</text>\n", FX, y, (int)fam->root, fam->nprocs,
		fam->nprocs == 1 ? "" : "es");
	fprintf(f, "<text x=\"%d\" y=\"%d\"%s>footprint %s (every physical page once), the members' RSS "
		"added up %s; %s</text>\n", FX, y + 18, fam->pfn ? "" : " fill=\"#b00000\"",
		fmt_kb(a, sizeof(a), fam->footprint_kb), fmt_kb(b, sizeof(b), fam->rss_sum_kb),
		fam->pfn ? "exact (physical frames compared)" : "an ESTIMATE (physical frames need root)");
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">RSS (to one scale)</text>\n", FBAR_X, y + 38);
	y += 50;
	for (size_t i = 0; i < fam->nprocs; i++, y += FROW_H)
		family_row(f, &fam->procs[i], y, max);
	/* Memory mapped by exactly k members. */
	y += 16;
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">resident memory mapped by exactly k of "
		"the family's processes</text>\n", FX, y);
	y += 10;
	for (size_t k = 0; k < fam->nsharing; k++)
		if (fam->sharing_kb[k] > smax)
			smax = fam->sharing_kb[k];
	for (size_t k = 0; k < fam->nsharing; k++, y += 18) {
		fprintf(f, "<g class=\"sharing\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\">k = %zu</text>"
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"12\" fill=\"#93b5f2\" stroke=\"#555555\"/>"
			"<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text></g>\n", FBAR_X - 8, y + 10, k + 1,
			FBAR_X, y, width_of(fam->sharing_kb[k], smax), FBAR_X + width_of(fam->sharing_kb[k], smax) + 6,
			y + 10, fmt_kb(a, sizeof(a), fam->sharing_kb[k]));
	}
	fputs("</g>\n", f);
	return y + 24;
}

static int block_height(const struct vm_family *fam)
{
	return 50 + (int)fam->nprocs * FROW_H + 26 + (int)fam->nsharing * 18 + 24;
}

int family_write_svg(FILE *f, const struct vm_snapshot *s)
{
	int h = FTOP + 60, y = FTOP;

	if (!s->family)
		return -EINVAL;
	h += block_height(s->family);
	svg_begin(f, FPAGE_W, h, "vmatlas family");
	fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"13\">vmatlas family, kernel ", FX);
	svg_text(f, s->host.kernel, 64);
	fputs("</text>\n", f);
	fprintf(f, "<rect x=\"%d\" y=\"34\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"44\" "
		"font-size=\"11\">shared with its parent</text>\n<rect x=\"%d\" y=\"34\" width=\"12\" "
		"height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"44\" font-size=\"11\">diverged: copied on "
		"write</text>\n<rect x=\"%d\" y=\"34\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" "
		"y=\"44\" font-size=\"11\">the rest of its RSS</text>\n", FX, F_SHARED, FX + 16, FX + 200,
		F_DIVERGED, FX + 216, FX + 430, F_REST, FX + 446);
	y = family_block(f, s->family, y);
	(void)y;
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
