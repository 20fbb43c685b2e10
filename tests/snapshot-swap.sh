#!/bin/sh
# Swapped pages are counted exactly (root: needs a private swap file).
. "$TESTLIB"

with_swap 256M
start_target layout pageout
out=$TEST_TMP/snap.json
a32=$(ready_value anon32)
for backend in auto pread; do
	"$VMATLAS" snapshot --backend=$backend --format=json "$TPID" > "$out" || fail "snapshot exited $?"
	expect_eq "$backend: anon32 swapped" "$(json_eval "$out" "mapping(d['processes'][0],'$a32')['pages']['swapped']")" 256
	expect_eq "$backend: anon32 resident" "$(json_eval "$out" "mapping(d['processes'][0],'$a32')['pages']['resident']")" 744
	swap=$(awk '/^Swap:/ {print $2}' "/proc/$TPID/smaps_rollup")
	expect_eq "$backend: swapped_kb = smaps_rollup Swap" "$(json_eval "$out" "d['processes'][0]['totals']['swapped_kb']")" "$swap"
	expect_eq "$backend: swap total" "$(json_eval "$out" "d['host']['swap_total_kb'] > 0")" true
done
