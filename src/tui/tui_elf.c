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

void tui_sections_draw(struct tui *t, int top, int height)
{
	const struct vm_process *p = t->proc;
	const struct vm_mapping *sel = tui_selected(t);
	int line = 0, *scroll = &t->scroll[VIEW_SECTIONS], total = 0, y;
	char buf[160], sz[16];

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
	 * mapping's in the selection colour. */
	for (size_t i = 0; i < p->nmaps; i++)
		if (same_object(&p->maps[i], sel))
			total += (int)p->maps[i].nsections;
	if (!total) {
		tui_put(top + 2, 2, "no sections known for this object", t->cols - 2);
		return;
	}
	if (*scroll > total - (height - 2))
		*scroll = total - (height - 2) > 0 ? total - (height - 2) : 0;
	attron(tui_attr(t, TC_TITLE));
	tui_clear_to_eol(top + 1, 0);
	snprintf(buf, sizeof(buf), "  %16s %16s %8s %-4s %s", "START", "END", "SIZE", "PERM", "SECTION");
	tui_put(top + 1, 0, buf, t->cols);
	attroff(tui_attr(t, TC_TITLE));
	y = top + 2;
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];
		if (!same_object(m, sel))
			continue;
		for (size_t k = 0; k < m->nsections; k++, line++) {
			const struct vm_section *s = &m->sections[k];
			if (line < *scroll || y >= top + height)
				continue;
			if (m == sel)
				attron(tui_attr(t, TC_SEL));
			snprintf(buf, sizeof(buf), "  %16" PRIx64 " %16" PRIx64 " %8s %-4s ", s->start,
				 s->end, fmt_bytes(sz, sizeof(sz), s->end - s->start), m->perms);
			tui_put(y, 0, buf, t->cols);
			tui_put_untrusted(t, y, (int)strlen(buf), s->name, t->cols - (int)strlen(buf));
			if (m == sel)
				attroff(tui_attr(t, TC_SEL));
			y++;
		}
	}
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

void tui_stacks_draw(struct tui *t, int top, int height)
{
	const struct vm_process *p = t->proc;
	int line = 0, y = top, *scroll = &t->scroll[VIEW_STACKS], total = 0;
	char buf[160];

	if (!p->threads) {
		tui_put(top, 1, !tui_stacks_collect && t->src->ops->is_live(t->src) ?
			"stack unwinding is not available in this build" :
			t->src->ops->is_live(t->src) ?
			"no stacks could be read (unwinding failed, or not traced: --no-trace)" :
			"no stacks in this snapshot", t->cols - 1);
		return;
	}
	for (size_t i = 0; i < p->nthreads; i++)
		total += 1 + (int)(p->threads[i].nframes ? p->threads[i].nframes : 1) +
			 (vm_unwind_end_note(p->threads[i].end) ? 1 : 0);
	if (*scroll > total - height)
		*scroll = total - height > 0 ? total - height : 0;
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct vm_thread *th = &p->threads[i];

		if (line++ >= *scroll && y < top + height) {
			attron(tui_attr(t, TC_TITLE));
			tui_clear_to_eol(y, 0);
			snprintf(buf, sizeof(buf), "thread %d (%c) sp 0x%" PRIx64 " ", (int)th->tid,
				 th->state ? th->state : '?', th->sp);
			tui_put(y, 0, buf, t->cols);
			tui_put_untrusted(t, y, (int)strlen(buf), th->name, t->cols - (int)strlen(buf));
			attroff(tui_attr(t, TC_TITLE));
			y++;
		}
		if (!th->nframes) {
			if (line++ >= *scroll && y < top + height)
				tui_put(y++, 2, "no frames (not unwound)", t->cols - 2);
			continue;
		}
		for (size_t k = 0; k < th->nframes; k++) {
			const struct vm_frame *f = &th->frames[k];
			int cx;

			if (line++ < *scroll || y >= top + height)
				continue;
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
