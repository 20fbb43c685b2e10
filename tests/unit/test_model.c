/* The model: names, run-length encoding, lookup, totals. */
#include "config.h"

#include <stdlib.h>

#include "check.h"
#include "vmatlas/model.h"

int main(void)
{
	struct vm_page_run *runs = NULL;
	size_t n = 0, cap = 0;
	struct vm_mapping maps[3] = {
		{ .start = 0x1000, .end = 0x5000, .kind = VK_TEXT,
		  .pages = { .total = 4, .resident = 3, .zero = 1, .not_present = 1 } },
		{ .start = 0x8000, .end = 0x10000, .kind = VK_ANON,
		  .pages = { .total = 8, .resident = 2, .swapped = 4, .not_present = 2 } },
		{ .start = 0x10000, .end = 0x11000, .kind = VK_ANON,
		  .pages = { .total = 1, .resident = 1 } },
	};
	struct vm_process p = { .maps = maps, .nmaps = 3 };

	for (int k = 0; k < VK__COUNT; k++)
		CHECK_EQ_U64(vm_kind_from_name(vm_kind_name(k)), k);
	CHECK(vm_kind_from_name("nonsense") == -1);
	CHECK_STR(vm_kind_name(VK_BSS), "bss");
	for (int s = 0; s < PS__COUNT; s++)
		CHECK_EQ_U64(vm_page_state_from_name(vm_page_state_name(s)), s);

	CHECK_EQ_U64(vm_page_state_of(0), PS_NOT_PRESENT);
	CHECK_EQ_U64(vm_page_state_of(PG_PRESENT | PG_EXCLUSIVE), PS_RESIDENT);
	CHECK_EQ_U64(vm_page_state_of(PG_PRESENT | PG_ZERO), PS_ZERO);
	CHECK_EQ_U64(vm_page_state_of(PG_PRESENT | PG_FILE), PS_FILE);
	CHECK_EQ_U64(vm_page_state_of(PG_PRESENT | PG_THP), PS_THP);
	CHECK_EQ_U64(vm_page_state_of(PG_SWAPPED | PG_SOFTDIRTY), PS_SWAPPED);

	CHECK(vm_runs_append(&runs, &n, &cap, PG_PRESENT, 3) == 0);
	CHECK(vm_runs_append(&runs, &n, &cap, PG_PRESENT, 2) == 0);
	CHECK(vm_runs_append(&runs, &n, &cap, 0, 0) == 0);
	CHECK(vm_runs_append(&runs, &n, &cap, 0, 7) == 0);
	for (int i = 0; i < 1000; i++)
		CHECK(vm_runs_append(&runs, &n, &cap, (uint8_t)(i & 1 ? PG_PRESENT : PG_SWAPPED), 1) == 0);
	CHECK_EQ_U64(n, 1002);
	CHECK_EQ_U64(runs[0].count, 5);
	CHECK_EQ_U64(runs[1].count, 7);
	free(runs);

	CHECK(vm_process_find(&p, 0xfff) == -1);
	CHECK(vm_process_find(&p, 0x1000) == 0);
	CHECK(vm_process_find(&p, 0x4fff) == 0);
	CHECK(vm_process_find(&p, 0x5000) == -1);
	CHECK(vm_process_find(&p, 0x10000) == 2);
	CHECK(vm_process_find(&p, 0x11000) == -1);

	vm_process_compute_totals(&p, 4096);
	CHECK_EQ_U64(p.totals.virtual_kb, 16 + 32 + 4);
	CHECK_EQ_U64(p.totals.resident_kb, (2 + 2 + 1) * 4); /* zero page not charged */
	CHECK_EQ_U64(p.totals.swapped_kb, 16);
	CHECK_EQ_U64(p.totals.by_kind[VK_ANON].virtual_kb, 36);
	CHECK_EQ_U64(p.totals.by_kind[VK_TEXT].resident_kb, 8);
	CHECK_DONE();
}
