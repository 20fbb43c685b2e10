/* The textbook's areas: which one a mapping belongs to. */
#include "config.h"

#include <string.h>

#include "areas.h"

/* The program image: the executable's mappings, from its lowest to its
 * highest, and the anonymous bss right after them. The executable is the
 * object holding start_code (or, with the mm hidden, /proc/PID/exe). */
static void program_range(const struct vm_process *p, uint64_t *lo, uint64_t *hi)
{
	const char *image = p->exe;
	ssize_t c = p->mm.valid ? vm_process_find(p, p->mm.start_code) : -1;

	*lo = *hi = 0;
	if (c >= 0 && p->maps[c].path && *p->maps[c].path)
		image = p->maps[c].path;
	if (!image)
		return;
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct vm_mapping *m = &p->maps[i];

		if (m->path && strcmp(m->path, image) == 0) {
			if (!*hi)
				*lo = m->start;
			*hi = m->end;
		} else if (*hi && m->start == *hi && m->kind == VK_BSS) {
			*hi = m->end;
		}
	}
}

void area_ctx_init(struct area_ctx *ac, const struct vm_process *p)
{
	/* x86-64 with 4-level paging: user space ends at 2^47 (TASK_SIZE_MAX,
	 * arch/x86/include/asm/page_64_types.h); 5-level paging moves it to
	 * 2^56. The highest mapping tells which one is in use. */
	ac->user_top = 1ULL << 47;
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].end > ac->user_top && p->maps[i].kind != VK_VSYSCALL)
			ac->user_top = 1ULL << 56;
	program_range(p, &ac->prog_lo, &ac->prog_hi);
}

enum area area_of(const struct area_ctx *ac, const struct vm_mapping *m)
{
	if (m->start >= ac->user_top)
		return AREA_KERNEL;
	if (m->kind == VK_STACK)
		return AREA_STACK;
	if (m->kind == VK_HEAP)
		return AREA_HEAP;
	if (m->start >= ac->prog_lo && m->end <= ac->prog_hi)
		return AREA_PROGRAM;
	return AREA_MMAP;
}
