#!/bin/sh
# vmatlas faults classifies swap-ins: the target (tests/targets/faulter.c
# with "swap") pages 200 pages out with MADV_PAGEOUT onto a private swap
# file; swap_reads() reads them back: 200 swap_in faults there (served
# from disk or from the swap cache after readahead: major or minor).
. "$TESTLIB"
. "$srcdir/tests/faults-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"
require_root "swap files and recording need root"
with_swap 64M

dd if=/dev/urandom of="$TEST_TMP/data" bs=4096 count=16 status=none || hard_error "no data file"
start_target faulter "$TEST_TMP/data" swap
P=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' "$READY")
W=$(sed -n 's/.* w=\(0x[0-9a-f]*\).*/\1/p' "$READY")
[ "$(ready_value w_resident)" = 0 ] || skip "MADV_PAGEOUT left $(ready_value w_resident) of 200 pages in memory"

record f --format=json "$P"
kill -USR1 "$P"
until_done
finish f

J=$TEST_TMP/f.out
expect_eq "swap_in at swap_reads" \
	"$(json_eval "$J" "sum(c['count'] for c in d['by_code'] if (c['symbol'] or '').split('.')[0]=='swap_reads' and c['type']=='swap_in')")" 200
expect_eq "nothing else at swap_reads" \
	"$(json_eval "$J" "sum(c['count'] for c in d['by_code'] if (c['symbol'] or '').split('.')[0]=='swap_reads' and c['type']!='swap_in')")" 0
expect_eq "mapping W: swap_in" \
	"$(json_eval "$J" "[m['swap_in'] for m in d['by_mapping'] if int(m['start'],16)==$W][0]")" 200
expect_eq "first_touch still exact" \
	"$(json_eval "$J" "sum(c['count'] for c in d['by_code'] if (c['symbol'] or '').startswith('touch_pages') and c['type']=='first_touch')")" 2000
# Pages still in the swap cache come back as minor faults, the others as
# major: either way swap_in, and minor + major add up.
expect_eq "minor + major" "$(json_eval "$J" "d['minor'] + d['major'] == d['faults']")" true
expect_eq "faults = kernel delta" "$(json_eval "$J" "d['processes'][0]['faults'] == d['processes'][0]['kernel_delta']")" true
