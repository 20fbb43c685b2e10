#!/bin/sh
# The Faults view (key 8) and the COW view's "who copies" panel on the
# faulter target (tests/targets/faulter.c): the counts per type, the
# mappings and functions that fault most, Enter opening the Pages view
# with the 2000 pages that faulted marked *, and the cow faults of the
# child (cow_writes, 500) and the parent (parent_writes, 100). Recording
# runs only while those views are shown; without root the view says why.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
dd if=/dev/urandom of="$TEST_TMP/data" bs=4096 count=64 status=none || hard_error "no data file"
start_target faulter "$TEST_TMP/data"
P=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' "$READY")
C=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' "$READY")
A=$(nox "$(sed -n 's/.* a=\(0x[0-9a-f]*\).*/\1/p' "$READY")")
[ -n "$P" ] && [ -n "$C" ] || hard_error "bad ready file: $(cat "$READY")"

# perf events are opened by vmatlas: count them in its fds.
perf_fds() {
	local vm
	vm=$(pgrep -n -f "^$VMATLAS .*$P\$") || { echo 0; return; }
	ls -l "/proc/$vm/fd" 2>/dev/null | grep -c 'perf_event'
}

# A long delay: the screen refreshes when asked (r, Enter), so what a
# refresh covers is known.
tui_start 130 60 "$VMATLAS" --ascii -d 30 "$P"
wait_for "^PID $P faulter"
expect_eq "no recording in the Layout view" "$(perf_fds)" 0
keys 8
if [ "$(id -u)" != 0 ]; then
	wait_for "recording page faults needs root \(or CAP_PERFMON\), or kernel.perf_event_paranoid"
	keys q
	expect_eq "exit status" "$(tui_exit_status)" 0
	skip "recording needs root; the view's refusal was checked"
fi
wait_for "^Page faults of $P and its descendants"
[ "$(perf_fds)" -gt 0 ] || fail "the Faults view records nothing"
ok "recording while the Faults view is shown"
kill -USR1 "$P"
for i in $(seq 1 200); do grep -q '^done' "$READY" && break; sleep 0.05; done
grep -q '^done' "$READY" || hard_error "the target did not finish"
keys r
wait_for "^first_touch +[0-9]+ +23[0-9][0-9] "
wait_for "^cow +[0-9]+ +6[0-9][0-9] "
wait_for "^0*$A +anon +2000 +2000 +0 +0 +0 +0  anon$"
wait_for "^ +2000 first_touch +$P +touch_pages(\.[a-z0-9.]*)? \(faulter\)$"
wait_for "^ +500 cow +$C +cow_writes(\.[a-z0-9.]*)? \(faulter\)$"
ok "Faults view: types, mappings, functions"

# Enter on the selected row (the most faults: A) opens its pages, the
# pages that faulted since the view was last shown marked *.
keys Enter
wait_for "^$A-[0-9a-f]+ rw-p anon"
wait_for '\*faulted'
wait_for "^ +$A \*+$"
screen | grep -E "^ +[0-9a-f]{12,16} " > "$TEST_TMP/grid"
NF=$(sed -E 's/^ +[0-9a-f]+ //' "$TEST_TMP/grid" | tr -cd '*' | wc -c)
OTHER=$(sed -E 's/^ +[0-9a-f]+ //' "$TEST_TMP/grid" | tr -d '*' | tr -d '\n' | wc -c)
expect_eq "faulted pages marked" "$NF" 2000
expect_eq "cells not marked" "$OTHER" 0

# The COW view: who copies, in the child and in the parent.
keys 6
wait_for "^WHO COPIES: functions causing cow faults \(child $C, parent $P\)"
wait_for "^  child +$C +500  cow_writes(\.[a-z0-9.]*)? \(faulter\)$"
wait_for "^  parent +$P +100  parent_writes(\.[a-z0-9.]*)? \(faulter\)$"
ok "COW view: who copies"

# Another view: the recording stops.
keys 1
for i in $(seq 1 100); do [ "$(perf_fds)" = 0 ] && break; sleep 0.05; done
expect_eq "no recording in the Layout view again" "$(perf_fds)" 0
quit_leaves_sleeping "$P" "$C"
