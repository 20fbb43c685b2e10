#!/bin/sh
# Words mean one thing on the screen and in the text outputs: "parent only"
# and "child only" are spelled so in the COW view's totals and titles and in
# 'vmatlas cow'; the COW grid gives each state cells in proportion to its
# pages (and says so), so the pair's region, one page in eight of its first
# 1000 diverged, shows its diverged cells; the Pages legend says the rule a
# grouped cell follows, and the grid follows it; Sections shows sizes below
# 1K in bytes; the snapshot header's swap is the host's.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the targets' layouts assume 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed for the expected strip"
command -v readelf >/dev/null || skip "readelf (binutils) is needed for the section sizes"

start_cow_pair
TEST_PIDS="$TEST_PIDS $C"

"$VMATLAS" cow "$P" "$C" > "$TEST_TMP/cow.txt" || fail "vmatlas cow exited $?"
grep -Eq "^START +END +KIND +PAGES +SHARED +DIVERGED +PARENT ONLY +CHILD ONLY +NEITHER +PATH$" "$TEST_TMP/cow.txt" ||
	fail "cow text titles: $(grep '^START' "$TEST_TMP/cow.txt")"
grep -q "^strip: '=' shared  '#' diverged (copied)  'P' parent only  'C' child only  '.' neither$" "$TEST_TMP/cow.txt" ||
	fail "cow strip legend"
grep -q "^       (each state has cells in proportion to its pages, where its pages are)$" "$TEST_TMP/cow.txt" ||
	fail "cow strip rule"
ok "vmatlas cow: parent only, child only; the strip's rule"

tui_start 100 30 "$VMATLAS" --ascii -d 0.3 "$P"
wait_for "^PID $P cow "
keys 6
wait_for "parent $P cow -> child $C cow"
wait_for "^start +pages +shared +diverged +parent only +child only +name$"
wait_for "^$(nox "$ADDR") +1080 +875 +125 +20 +10 "
wait_for "^shared [0-9]+  diverged [0-9]+  parent only [0-9]+  child only [0-9]+  neither [0-9]+ "
ok "COW view: parent only, child only"
wait_for "^0x$(nox "$ADDR") \[anon\]: 1080 pages, cells in proportion to the pages of each state$"
# The grid's lines of 98 cells (the view's panels below take the rest):
# the documented rule for that many cells of 1080 pages.
grid() { screen | sed -n "/^0x$(nox "$ADDR") \[anon\]: 1080 pages/,\$p" | sed 1d | sed '/^ [=#PC.]*$/!q' | grep '^ [=#PC.]*$'; }
G=$(grid | wc -l)
[ "$G" -ge 3 ] || fail "a COW grid of $G lines"
want=$(CELLS=$((G * 98)) python3 - <<'PY'
pages = ([1] + [0] * 7) * 125 + [4] * 10 + [3] * 20 + [2] * 50   # 1 diverged, 0 shared
import os
total, width = len(pages), int(os.environ['CELLS'])
seen, drawn, pos, out = [0] * 5, [0] * 5, 0, []
for k in range(width):
    end = total * (k + 1) // width
    n = [0] * 5
    for p in pages[pos:end]:
        n[p] += 1
    pos = end
    best = None
    for s in range(5):
        seen[s] += n[s]
        if n[s]:
            d = seen[s] * width - drawn[s] * total
            if best is None or d > bd or (d == bd and n[s] > n[best]):
                best, bd = s, d
    drawn[best] += 1
    out.append(best)
print(out.count(1))
PY
)
got=$(grid | tr -cd '#' | wc -c)
expect_eq "diverged cells in the COW grid" "$got" "$want"
[ "$got" -gt $((G * 98 / 10)) ] || fail "only $got diverged cells"
ok "COW grid: diverged pages have their share of cells"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
tui_stop

# Pages: watch8 (2048 pages, the even ones of the first 600 written) in
# cells of 2 pages: each of the first 300 cells has one resident and one
# not-present page, and shows resident (the commonest present state), in
# half ('+').
start_target tuitarget
W8=$(ready_value watch8)
tui_start 100 30 "$VMATLAS" --ascii -d 0.3 "$TPID"
wait_for "^PID $TPID tuitarget running"
keys a
tui_type() { tm send-keys -t t -l "$1"; }
tui_type "$W8"
keys Enter 3
wait_for "^one cell = 2 pages \(8K\): the commonest present or swapped state \(\. if none\); half cell: not all$"
expect_eq "half resident cells" "$(screen | grep -E '^ *[0-9a-f]{12,16} [+.]' | cut -c18- | tr -cd '+' | wc -c)" 300
expect_eq "whole resident cells" "$(screen | grep -E '^ *[0-9a-f]{12,16} [+.]' | cut -c18- | tr -cd '#' | wc -c)" 0
ok "Pages legend: the rule the cells follow"

# Sections: .interp is 28 bytes (as readelf says), shown in bytes.
IS=$(readelf -SW "$TARGETS/tuitarget" | sed -n 's/^ *\[ *[0-9]*\] \.interp  *[A-Z]*  *[0-9a-f]*  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
[ -n "$IS" ] || hard_error "readelf shows no .interp"
IB=$((0x$IS))
[ "$IB" -gt 0 ] && [ "$IB" -lt 1024 ] || hard_error ".interp is $IB bytes"
FIRST=$(sed -n '1s/-.*//p' "/proc/$TPID/maps")
keys a
tui_type "0x$FIRST"
keys Enter 4
wait_for "^ +[0-9a-f]+ +[0-9a-f]+ +${IB}B r--p \.interp$"
ok "Sections: .interp is ${IB}B"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0

"$VMATLAS" snapshot "$TPID" > "$TEST_TMP/snap.txt" || fail "snapshot exited $?"
grep -Eq "^taken .*  PFNs [a-z ()]+  host swap ([0-9.]+[KMGT]|\?)  " "$TEST_TMP/snap.txt" ||
	fail "snapshot header: $(sed -n 3p "$TEST_TMP/snap.txt")"
ok "the snapshot header says host swap"
