#!/bin/sh
# Write tracking (--track-writes, key w): after each refresh the target's
# soft-dirty bits are reset, so the pages a target writes between two
# refreshes are exactly the ones marked W; without it the legend says how
# to turn it on.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target writer
R=$(nox "$(ready_value region)")
# wrote_n N: until the target has written its Nth batch.
wrote_n() {
	for i in $(seq 1 100); do grep -q "^wrote=$1\$" "$READY" && return 0; sleep 0.05; done
	fail "the target did not write batch $1"
}
# A grid line of the 64-page region: K1 '#', then N1 'W', then the rest '#'.
grid() { printf '^ +%s %s%s%s$' "$R" "$(printf '%*s' "$1" '' | tr ' ' '#')" \
	"$(printf '%*s' "$2" '' | tr ' ' 'W')" "$(printf '%*s' $((64 - $1 - $2)) '' | tr ' ' '#')"; }

tui_start 120 40 "$VMATLAS" -d 0.3 --track-writes "$TPID"
wait_for "^PID $TPID writer running"
wait_for "tracking writes: the soft-dirty bits of process $TPID are reset|keeps no soft-dirty bits"
if screen | grep -q "keeps no soft-dirty bits"; then
	# A kernel without CONFIG_MEM_SOFT_DIRTY: said once, tracking stays off.
	keys a "0x$R" Enter 3
	wait_for "^64 pages: 64 resident, 0 swapped, 0 not present"
	wait_for "writes: not tracked \(w\)"
	screen | grep -q "written since the last refresh" && fail "written counted without soft-dirty"
	keys w
	wait_for "keeps no soft-dirty bits \(CONFIG_MEM_SOFT_DIRTY\)"
	keys q
	expect_eq "exit status" "$(tui_exit_status)" 0
	expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
	skip "this kernel keeps no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY): written pages cannot be marked"
fi
keys a "0x$R" Enter 3
wait_for "^64 pages: 64 resident, 0 swapped, 0 not present.*, 0 written since the last refresh"
wait_for "$(grid 64 0)"
wait_for "  W ?written"
ok "tracking on: an idle region shows no written page"

kill -USR1 "$TPID"
wrote_n 1
wait_for "^64 pages: 64 resident.*, 10 written since the last refresh" 3
wait_for "$(grid 5 10)"
# The next refresh (nothing written meanwhile): none marked.
wait_for "^64 pages: 64 resident.*, 0 written since the last refresh" 3
wait_for "$(grid 64 0)"
ok "the 10 pages written are marked for one refresh"

kill -USR1 "$TPID"
wrote_n 2
wait_for "$(grid 20 10)" 3
ok "a second batch marks its own 10 pages"

# Paused, r reads once: the marks stay on screen for the cursor.
keys p
wait_for PAUSED
kill -USR1 "$TPID"
wrote_n 3
keys r
wait_for "$(grid 35 10)" 3
keys Home
for i in $(seq 1 35); do keys Right; done
wait_for "^page 0x[0-9a-f]+ \(#35\): resident, written"
keys p
wait_not PAUSED
ok "the cursor says a page was written"

# w turns it off: no marks, the legend says how to turn it on.
keys w
wait_for "write tracking off"
wait_for "writes: not tracked \(w\)"
kill -USR1 "$TPID"
wrote_n 4
sleep 0.7
screen | grep -q "written since the last refresh" && { screen >&2; fail "written counted while off"; }
wait_for "$(grid 64 0)"
ok "w turns tracking off"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
