/* Text output: a pmap -X like table, totals by kind, and the address space
 * drawn from high to low addresses in the textbook order. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "areas.h"
#include "vmatlas/render.h"
#include "vmatlas/stacks.h"
#include "vmatlas/util.h"

const char *fmt_kb(char *buf, size_t len, uint64_t kb)
{
	static const char units[] = "KMGTPE";
	double v = (double)kb;
	int u = 0;

	if (kb < 1024) {
		snprintf(buf, len, "%" PRIu64 "K", kb);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

const char *fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", bytes);
		return buf;
	}
	return fmt_kb(buf, len, (bytes + 512) / 1024);
}

/* Pages to kB with the snapshot's page size. */
static uint64_t pkb(const struct vm_snapshot *s, uint64_t pages)
{
	return pages * (uint64_t)s->host.page_size / 1024;
}

static void print_header(FILE *f, const struct vm_snapshot *s,
			 const struct vm_process *p)
{
	char *comm = escape_untrusted(p->comm), *exe = escape_untrusted(p->exe ? p->exe : "?");
	char when[64], swap[16], atomic[64] = "";
	struct tm tm;

	if (s->live)
		snprintf(atomic, sizeof(atomic), "  (live: not atomic)");
	else if (s->frozen_ms >= 0)
		snprintf(atomic, sizeof(atomic), "  (frozen: target stopped for %.1f ms)", s->frozen_ms);
	gmtime_r(&s->taken_at.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "pid %d (%s)  %s\n", (int)p->pid, comm ? comm : "?", exe ? exe : "?");
	fprintf(f, "cmdline:");
	for (size_t i = 0; i < p->ncmdline; i++) {
		char *a = escape_untrusted(p->cmdline[i]);
		fprintf(f, " %s", a ? a : "?");
		free(a);
	}
	fprintf(f, "\ntaken %s  kernel %s  page %ldK  PFNs %s  host swap %s%s\n\n", when,
		s->host.kernel, s->host.page_size / 1024,
		s->host.pfn_visible ? "visible" : "hidden (not root)",
		s->host.swap_total_known ? fmt_kb(swap, sizeof(swap), s->host.swap_total_kb) : "?",
		atomic);
	free(comm);
	free(exe);
}

/* Indented lines under a mapping's row: its ELF sections (--sections) and
 * the threads whose stack pointer is in it (--stacks). The row's columns
 * stay as they are. */
static void print_row_notes(FILE *f, const struct vm_process *p,
			    const struct vm_mapping *m, unsigned flags)
{
	for (size_t i = 0; (flags & OUT_SECTIONS) && i < m->nsections; i++) {
		char *name = escape_untrusted(m->sections[i].name);

		fprintf(f, "    section %016" PRIx64 " %016" PRIx64 " %s\n",
			m->sections[i].start, m->sections[i].end, name ? name : "?");
		free(name);
	}
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct vm_thread *t = &p->threads[i];

		if (t->sp >= m->start && t->sp < m->end)
			fprintf(f, "    %s of thread %d (sp %" PRIx64 ")\n",
				vm_sp_place_phrase(vm_process_sp_place(p, t->sp, NULL)),
				(int)t->tid, t->sp);
	}
}

static void print_table(FILE *f, const struct vm_snapshot *s,
			const struct vm_process *p, unsigned flags)
{
	char a[16], b[16], c[16], d[16];

	fprintf(f, "%-16s %-16s %-4s %-8s %7s %7s %7s %7s  %s\n", "START", "END",
		"PERM", "KIND", "SIZE", "RSS", "SWAP", "NOTPRES", "PATH");
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];
		char *path = escape_mapping_path(m->path, m->deleted);

		fprintf(f, "%016" PRIx64 " %016" PRIx64 " %-4s %-8s %7s %7s %7s %7s  %s\n",
			m->start, m->end, m->perms, vm_kind_name(m->kind),
			fmt_kb(a, sizeof(a), (m->end - m->start) / 1024),
			fmt_kb(b, sizeof(b), pkb(s, m->pages.resident - m->pages.zero)),
			fmt_kb(c, sizeof(c), pkb(s, m->pages.swapped)),
			fmt_kb(d, sizeof(d), pkb(s, m->pages.not_present)),
			path ? path : "?");
		free(path);
		print_row_notes(f, p, m, flags);
	}
}

static void print_totals(FILE *f, const struct vm_process *p)
{
	char a[16], b[16], c[16];

	fprintf(f, "\n%-8s %9s %9s %9s\n", "KIND", "VIRTUAL", "RESIDENT", "SWAPPED");
	for (int k = 0; k < VK__COUNT; k++) {
		const struct vm_kind_totals *t = &p->totals.by_kind[k];
		if (!t->virtual_kb)
			continue;
		fprintf(f, "%-8s %9s %9s %9s\n", vm_kind_name(k),
			fmt_kb(a, sizeof(a), t->virtual_kb),
			fmt_kb(b, sizeof(b), t->resident_kb),
			fmt_kb(c, sizeof(c), t->swapped_kb));
	}
	fprintf(f, "%-8s %9s %9s %9s\n", "total",
		fmt_kb(a, sizeof(a), p->totals.virtual_kb),
		fmt_kb(b, sizeof(b), p->totals.resident_kb),
		fmt_kb(c, sizeof(c), p->totals.swapped_kb));
}

static const char *const area_names[AREA__COUNT] = {
	"kernel space", "stack", "mmap area (shared libraries, mmap, thread stacks)",
	"heap", "program image (bss, data, rodata, text)",
};

static void marker(FILE *f, const char *name, uint64_t v, uint64_t lo, uint64_t hi,
		   bool *first)
{
	if (v && v >= lo && v < hi) {
		fprintf(f, "%s%s=%" PRIx64, *first ? "  <- " : ", ", name, v);
		*first = false;
	}
}

static void print_picture(FILE *f, const struct vm_snapshot *s,
			  const struct vm_process *p)
{
	struct area_ctx ac;
	uint64_t user_top, prev_start = UINT64_MAX;
	int prev_area = -1;
	char a[16];

	area_ctx_init(&ac, p);
	user_top = ac.user_top;

	fprintf(f, "\nAddress space, high to low addresses\n");
	if (!p->nmaps || p->maps[p->nmaps - 1].kind != VK_VSYSCALL)
		fprintf(f, "  %016" PRIx64 "  == kernel space ==\n", UINT64_MAX);
	for (size_t n = p->nmaps; n-- > 0;) {
		const struct vm_mapping *m = &p->maps[n];
		enum area ar = area_of(&ac, m);
		char *path = escape_mapping_path(m->path, m->deleted);
		bool first = true;

		if (ar != AREA_KERNEL && prev_area == AREA_KERNEL) {
			fprintf(f, "  %016" PRIx64 "  -- top of user space --\n", user_top - 1);
			prev_start = user_top;
		} else if (prev_area == -1 && ar != AREA_KERNEL) {
			fprintf(f, "  %016" PRIx64 "  -- top of user space --\n", user_top - 1);
			prev_start = user_top;
		}
		if (prev_start != UINT64_MAX && m->end < prev_start)
			fprintf(f, "  %16s  :   (unmapped %s)\n", "",
				fmt_kb(a, sizeof(a), (prev_start - m->end) / 1024));
		if ((int)ar != prev_area)
			fprintf(f, "  %16s  == %s ==\n", "", area_names[ar]);
		fprintf(f, "  %016" PRIx64 "  | %-8s %7s %s %s", m->start,
			vm_kind_name(m->kind), fmt_kb(a, sizeof(a), (m->end - m->start) / 1024),
			m->perms, path ? path : "?");
		if (p->mm.valid) {
			marker(f, "start_stack", p->mm.start_stack, m->start, m->end, &first);
			marker(f, "brk", p->mm.brk, m->start, m->end + 1, &first);
			marker(f, "start_brk", p->mm.start_brk, m->start, m->end + 1, &first);
			marker(f, "end_data", p->mm.end_data, m->start, m->end + 1, &first);
			marker(f, "start_data", p->mm.start_data, m->start, m->end, &first);
			marker(f, "end_code", p->mm.end_code, m->start, m->end + 1, &first);
			marker(f, "start_code", p->mm.start_code, m->start, m->end, &first);
		}
		fputc('\n', f);
		free(path);
		prev_start = m->start;
		prev_area = ar;
	}
	if (prev_start != UINT64_MAX && prev_start > 0)
		fprintf(f, "  %16s  :   (unmapped %s: the low reserve; address 0 is never mapped)\n",
			"", fmt_kb(a, sizeof(a), prev_start / 1024));
	fprintf(f, "  %016x  == address 0 ==\n", 0);
}

int snapshot_write_text(FILE *f, const struct vm_snapshot *s, unsigned flags)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct vm_process *p = &s->procs[i];

		if (i)
			fputc('\n', f);
		print_header(f, s, p);
		print_table(f, s, p, flags);
		print_totals(f, p);
		print_picture(f, s, p);
		if (p->threads) {
			fprintf(f, "\nThreads\n");
			stacks_write_text(f, p);
		}
	}
	if (s->ncows) {
		fputc('\n', f);
		cow_write_text(f, s, flags);
	}
	return ferror(f) ? -EIO : 0;
}

int stacks_write_text(FILE *f, const struct vm_process *p)
{
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct vm_thread *t = &p->threads[i];
		char *name = escape_untrusted(t->name ? t->name : "?");
		const char *place;
		ssize_t m;

		place = vm_process_sp_place(p, t->sp, &m);
		fprintf(f, "thread %d (%s) state %c  sp 0x%" PRIx64, (int)t->tid,
			name ? name : "?", t->state ? t->state : '?', t->sp);
		if (place)
			fprintf(f, " in %s %" PRIx64 "-%" PRIx64 "\n",
				vm_sp_place_phrase(place), p->maps[m].start, p->maps[m].end);
		else
			fprintf(f, "%s\n", t->nframes ? " (in no mapping)" : "");
		free(name);
		if (t->nframes == 0)
			fprintf(f, "  (no frames: %s)\n", vm_unwind_end_note(t->end) ?
				vm_unwind_end_note(t->end) : "the thread could not be unwound");
		for (size_t j = 0; j < t->nframes; j++) {
			const struct vm_frame *fr = &t->frames[j];
			char *sym = fr->symbol ? escape_untrusted(fr->symbol) : NULL;
			char *obj = fr->object ? escape_untrusted(fr->object) : NULL;
			char *src = fr->source_file ? escape_untrusted(fr->source_file) : NULL;

			fprintf(f, "  #%-3zu 0x%016" PRIx64 " ", j, fr->pc);
			if (sym)
				fprintf(f, "%s+0x%" PRIx64, sym, fr->offset);
			else
				fprintf(f, "??");
			fprintf(f, " (%s)", obj ? obj : "?");
			if (src)
				fprintf(f, " at %s:%u", src, fr->source_line);
			fprintf(f, "%s\n", fr->guessed ? " [guessed]" : "");
			free(sym);
			free(obj);
			free(src);
		}
		/* gdb says "(More stack frames follow...)": a cut list is not a whole one. */
		if (t->nframes && vm_unwind_end_note(t->end))
			fprintf(f, "  ... (%s)\n", vm_unwind_end_note(t->end));
		if (t->nframes && t->frames[t->nframes - 1].guessed)
			fprintf(f, "  ([guessed]: found by frame pointers below a frame without unwind information)\n");
		if (i + 1 < p->nthreads)
			fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}
