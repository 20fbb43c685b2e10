/* Views 4 and 5: the ELF sections of the selected mapping's object, and the
 * threads' stacks. Both draw what the model holds (vm_mapping.sections,
 * vm_process.threads); stacks are asked for only while view 5 is shown. */
#include "config.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_priv.h"
#include "vmatlas/render.h"

enum { VIEW_SECTIONS = 3, VIEW_STACKS = 4 };

static bool same_object(const struct vm_mapping *a, const struct vm_mapping *b)
{
	return a->inode && a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor;
}

static bool scroll_key(struct tui *t, size_t view, int ch)
{
	int *s = &t->scroll[view], page = t->rows - 6 > 1 ? t->rows - 6 : 1;

	switch (ch) {
	case KEY_UP:
	case 'k':
		(*s)--;
		break;
	case KEY_DOWN:
	case 'j':
		(*s)++;
		break;
	case KEY_PPAGE:
		*s -= page;
		break;
	case KEY_NPAGE:
		*s += page;
		break;
	case KEY_HOME:
		*s = 0;
		break;
	case KEY_END:
		*s = 1 << 20;
		break;
	default:
		return false;
	}
	if (*s < 0)
		*s = 0;
	return true;
}

/* The sections of SEL's object over all its mappings that pass the
 * Sections filter, in address order, into *OUT (to free): how many. */
struct sec_line {
	const struct vm_mapping *m;
	const struct vm_section *s;
};

static size_t section_lines(const struct tui *t, const struct vm_mapping *sel,
			    struct sec_line **out)
{
	const struct vm_process *p = t->proc;
	const char *filter = tui_filter(t, VIEW_SECTIONS);
	size_t n = 0, total = 0;

	*out = NULL;
	for (size_t i = 0; i < p->nmaps; i++)
		if (same_object(&p->maps[i], sel))
			total += p->maps[i].nsections;
	if (!total || !(*out = calloc(total, sizeof(**out))))
		return 0;
	for (size_t i = 0; i < p->nmaps; i++) {
		if (!same_object(&p->maps[i], sel))
			continue;
		for (size_t k = 0; k < p->maps[i].nsections; k++)
			if (!filter[0] || tui_text_matches(p->maps[i].sections[k].name, filter))
				(*out)[n++] = (struct sec_line){ &p->maps[i], &p->maps[i].sections[k] };
	}
	return n;
}

static bool section_match(const void *ctx, size_t i, const char *pat)
{
	const struct sec_line *v = ctx;

	return tui_text_matches(v[i].s->name, pat);
}

/* The next matching section becomes the first line shown. */
bool tui_sections_find(struct tui *t, const char *pat, int dir, bool self)
{
	const struct vm_mapping *sel = tui_selected(t);
	struct sec_line *v;
	size_t n;
	ssize_t i;

	if (!sel || !sel->inode)
		return false;
	n = section_lines(t, sel, &v);
	i = tui_find_index(n, t->found[VIEW_SECTIONS] ? t->found[VIEW_SECTIONS] - 1 :
			   t->scroll[VIEW_SECTIONS], dir, self, section_match, v, pat);
	if (i >= 0) {
		t->scroll[VIEW_SECTIONS] = (int)i;
		t->found[VIEW_SECTIONS] = (int)i + 1;
	}
	free(v);
	return i >= 0;
}

void tui_sections_draw(struct tui *t, int top, int height)
{
	const struct vm_mapping *sel = tui_selected(t);
	const char *filter = tui_filter(t, VIEW_SECTIONS);
	int *scroll = &t->scroll[VIEW_SECTIONS], y, rows = height - 2;
	char buf[200], sz[16];
	struct sec_line *v;
	size_t n;

	if (!sel)
		return;
	snprintf(buf, sizeof(buf), "%" PRIx64 "-%" PRIx64 " %s %s ", sel->start, sel->end,
		 sel->perms, vm_kind_name(sel->kind));
	tui_put(top, 0, buf, t->cols);
	tui_put_mapping_path(t, top, (int)strlen(buf), sel, t->cols - (int)strlen(buf));
	if (!sel->inode) {
		tui_put(top + 2, 2, "not a file mapping: no sections (n / N: next / previous mapping)", t->cols - 2);
		return;
	}
	/* Every section of the object, over all its mappings; the selected
	 * mapping's in the selection colour, search matches in theirs. */
	n = section_lines(t, sel, &v);
	if (filter[0]) {
		attron(tui_attr(t, TC_STATUS));
		snprintf(buf, sizeof(buf), "filter: %s  (%zu %s; \\ changes it, Esc clears)", filter, n,
			 tui_plural(n, "section", "sections"));
		tui_put(top + height - 1, 0, buf, t->cols);
		attroff(tui_attr(t, TC_STATUS));
		rows--;
	}
	if (!n) {
		tui_put(top + 2, 2, filter[0] ? "no section matches the filter" :
			sel->unread == VU_REMOTE ? "file not read: on a FUSE, NFS or CIFS mount (--read-remote reads it); typed by permissions" :
			sel->unread == VU_TIMEOUT ? "file not read: it did not answer in time (--read-timeout); typed by permissions" :
			"no sections known for this object", t->cols - 2);
		free(v);
		return;
	}
	if (*scroll > (int)n - rows)
		*scroll = (int)n - rows > 0 ? (int)n - rows : 0;
	attron(tui_attr(t, TC_TITLE));
	tui_clear_to_eol(top + 1, 0);
	snprintf(buf, sizeof(buf), "  %16s %16s %8s %-4s %s", "START", "END", "SIZE", "PERM", "SECTION");
	tui_put(top + 1, 0, buf, t->cols);
	attroff(tui_attr(t, TC_TITLE));
	y = top + 2;
	for (size_t k = (size_t)*scroll; k < n && y < top + 2 + rows; k++, y++) {
		const struct vm_section *s = v[k].s;
		int a = tui_is_match(t, s->name) ? tui_attr(t, TC_MATCH) :
			v[k].m == sel ? tui_attr(t, TC_SEL) : 0;

		attron(a);
		snprintf(buf, sizeof(buf), "  %16" PRIx64 " %16" PRIx64 " %8s %-4s ", s->start,
			 s->end, fmt_bytes(sz, sizeof(sz), s->end - s->start), v[k].m->perms);
		tui_put(y, 0, buf, t->cols);
		tui_put_untrusted(t, y, (int)strlen(buf), s->name, t->cols - (int)strlen(buf));
		attroff(a);
	}
	free(v);
}

bool tui_sections_key(struct tui *t, int ch)
{
	if (ch == 'n' || ch == 'N') {
		tui_search_step(t, ch == 'n' ? 1 : -1);
		t->scroll[VIEW_SECTIONS] = 0;
		return true;
	}
	return scroll_key(t, VIEW_SECTIONS, ch);
}

/* The words a search or filter finds in a thread's header and frames. */
static void thread_text(const struct vm_thread *th, char *buf, size_t len)
{
	snprintf(buf, len, "thread %d %s", (int)th->tid, th->name ? th->name : "");
}

static void frame_text(const struct vm_frame *f, char *buf, size_t len)
{
	snprintf(buf, len, "0x%016" PRIx64 " %s %s:%u %s", f->pc, f->symbol ? f->symbol : "??",
		 f->source_file ? f->source_file : "", f->source_file ? f->source_line : 0,
		 f->object ? f->object : "");
}

/* Lines a thread takes: its header, its frames (or one line saying there
 * are none), and the note on why its backtrace ends. */
static int thread_lines(const struct vm_thread *th)
{
	return 1 + (int)(th->nframes ? th->nframes : 1) +
	       (th->nframes && vm_unwind_end_note(th->end) ? 1 : 0);
}

/* Does the Stacks filter keep TH: its header or one of its frames? */
static bool thread_kept(const struct vm_thread *th, const char *filter)
{
	char buf[512];

	if (!filter[0])
		return true;
	thread_text(th, buf, sizeof(buf));
	if (tui_text_matches(buf, filter))
		return true;
	for (size_t k = 0; k < th->nframes; k++) {
		frame_text(&th->frames[k], buf, sizeof(buf));
		if (tui_text_matches(buf, filter))
			return true;
	}
	return false;
}

/* Stack lines are numbered as drawn: a match is the line's number, or -1.
 * LINE is thread TH's header line. */
struct stack_hit {
	const struct vm_process *p;
	const char *filter;
};

static bool stack_line_match(const void *ctx, size_t i, const char *pat)
{
	const struct stack_hit *h = ctx;
	size_t line = 0;
	char buf[512];

	for (size_t k = 0; k < h->p->nthreads; k++) {
		const struct vm_thread *th = &h->p->threads[k];
		size_t n;

		if (!thread_kept(th, h->filter))
			continue;
		n = (size_t)thread_lines(th);
		if (i >= line + n) {
			line += n;
			continue;
		}
		if (i == line)
			thread_text(th, buf, sizeof(buf));
		else if (i - line - 1 < th->nframes)
			frame_text(&th->frames[i - line - 1], buf, sizeof(buf));
		else
			return false;
		return tui_text_matches(buf, pat);
	}
	return false;
}

bool tui_stacks_find(struct tui *t, const char *pat, int dir, bool self)
{
	const struct vm_process *p = t->proc;
	struct stack_hit h = { p, tui_filter(t, VIEW_STACKS) };
	size_t total = 0;
	ssize_t i;

	if (!p || !p->threads)
		return false;
	for (size_t k = 0; k < p->nthreads; k++)
		if (thread_kept(&p->threads[k], h.filter))
			total += (size_t)thread_lines(&p->threads[k]);
	i = tui_find_index(total, t->found[VIEW_STACKS] ? t->found[VIEW_STACKS] - 1 :
			   t->scroll[VIEW_STACKS], dir, self, stack_line_match, &h, pat);
	if (i >= 0) {
		t->scroll[VIEW_STACKS] = (int)i;
		t->found[VIEW_STACKS] = (int)i + 1;
	}
	return i >= 0;
}

void tui_stacks_draw(struct tui *t, int top, int height)
{
	const struct vm_process *p = t->proc;
	const char *filter = tui_filter(t, VIEW_STACKS);
	int line = 0, y = top, *scroll = &t->scroll[VIEW_STACKS], total = 0;
	char buf[160], text[512];
	bool match;

	if (!p->threads) {
		tui_put(top, 1, !tui_stacks_collect && t->src->ops->is_live(t->src) ?
			"stack unwinding is not available in this build" :
			t->src->ops->is_live(t->src) ?
			"no stacks could be read (unwinding failed, or not traced: --no-trace)" :
			"no stacks in this snapshot", t->cols - 1);
		return;
	}
	if (filter[0]) {
		size_t kept = 0;

		for (size_t i = 0; i < p->nthreads; i++)
			kept += thread_kept(&p->threads[i], filter);
		attron(tui_attr(t, TC_STATUS));
		snprintf(buf, sizeof(buf), "filter: %s  (%zu of %zu %s; \\ changes it, Esc clears)",
			 filter, kept, p->nthreads, tui_plural(p->nthreads, "thread", "threads"));
		tui_put(top + height - 1, 0, buf, t->cols);
		attroff(tui_attr(t, TC_STATUS));
		height--;
		if (!kept)
			tui_put(top, 1, "no thread matches the filter", t->cols - 1);
	}
	for (size_t i = 0; i < p->nthreads; i++)
		if (thread_kept(&p->threads[i], filter))
			total += thread_lines(&p->threads[i]);
	if (*scroll > total - height)
		*scroll = total - height > 0 ? total - height : 0;
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct vm_thread *th = &p->threads[i];

		if (!thread_kept(th, filter))
			continue;
		if (line++ >= *scroll && y < top + height) {
			thread_text(th, text, sizeof(text));
			attron(tui_attr(t, tui_is_match(t, text) ? TC_MATCH : TC_TITLE));
			tui_clear_to_eol(y, 0);
			snprintf(buf, sizeof(buf), "thread %d (%c) sp 0x%" PRIx64 " ", (int)th->tid,
				 th->state ? th->state : '?', th->sp);
			tui_put(y, 0, buf, t->cols);
			tui_put_untrusted(t, y, (int)strlen(buf), th->name, t->cols - (int)strlen(buf));
			attroff(tui_attr(t, tui_is_match(t, text) ? TC_MATCH : TC_TITLE));
			y++;
		}
		if (!th->nframes) {
			if (line++ >= *scroll && y < top + height) {
				snprintf(buf, sizeof(buf), "no frames (%s)", vm_unwind_end_note(th->end) ?
					 vm_unwind_end_note(th->end) : "not unwound");
				tui_put(y++, 2, buf, t->cols - 2);
			}
			continue;
		}
		for (size_t k = 0; k < th->nframes; k++) {
			const struct vm_frame *f = &th->frames[k];
			int cx;

			if (line++ < *scroll || y >= top + height)
				continue;
			frame_text(f, text, sizeof(text));
			match = tui_is_match(t, text);
			if (match)
				attron(tui_attr(t, TC_MATCH));
			snprintf(buf, sizeof(buf), "  #%-2zu 0x%016" PRIx64 " ", k, f->pc);
			cx = tui_put(y, 0, buf, t->cols);
			if (f->symbol) {
				cx += tui_put_untrusted(t, y, cx, f->symbol, t->cols - cx);
				snprintf(buf, sizeof(buf), "+0x%" PRIx64 " ", f->offset);
				cx += tui_put(y, cx, buf, t->cols - cx);
			} else {
				tui_put(y, cx, "?? ", t->cols - cx);
				cx += 3;
			}
			if (f->guessed)
				cx += tui_put(y, cx, "[guessed] ", t->cols - cx);
			if (f->source_file && cx < t->cols - 4) {
				/* The file's last component: the object says where. */
				const char *base = strrchr(f->source_file, '/');

				cx += tui_put(y, cx, "at ", t->cols - cx);
				cx += tui_put_untrusted(t, y, cx, base ? base + 1 : f->source_file, t->cols - cx);
				snprintf(buf, sizeof(buf), ":%u ", f->source_line);
				cx += tui_put(y, cx, buf, t->cols - cx);
			}
			if (f->object && cx < t->cols - 4) {
				attron(tui_attr(t, TC_DIM));
				tui_put(y, cx, "in ", t->cols - cx);
				tui_put_path(t, y, cx + 3, f->object, t->cols - cx - 3);
				attroff(tui_attr(t, TC_DIM));
			}
			if (match)
				attroff(tui_attr(t, TC_MATCH));
			y++;
		}
		if (vm_unwind_end_note(th->end) && line++ >= *scroll && y < top + height) {
			snprintf(buf, sizeof(buf), "  ... (%s)", vm_unwind_end_note(th->end));
			tui_put(y++, 0, buf, t->cols);
		}
	}
}

bool tui_stacks_key(struct tui *t, int ch)
{
	return scroll_key(t, VIEW_STACKS, ch);
}

void tui_stacks_want(const struct tui *t, struct tui_want *w)
{
	(void)t;
	w->stacks = true;
}
