#!/bin/sh
# Long work says how far it is on a terminal: a timeline capture keeps a
# status line on standard error, a launch prints one every 2 s, and both end
# with a one-line summary; nothing with --quiet, nothing when standard error is not a
# terminal.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

cd "$TEST_TMP" || hard_error "no test directory"
start_target layout

tui_start 150 20 "'$VMATLAS' snapshot --interval 0.3 --count 8 -o tl.jsonl $TPID"
wait_for "^vmatlas: [1-7] of 8 snapshots, [0-9.]+[KM] written in [0-9.]+ s; the next in 0\.3 s$"
ok "a capture's status line"
expect_eq "capture exit status" "$(tui_exit_status)" 0
kb=$(( $(stat -c %s tl.jsonl) / 1024 ))
size=$(python3 -c 'import sys
kb = int(sys.argv[1]); v, u = float(kb), 0
while v >= 1024 and u < 5: v, u = v / 1024, u + 1
print("%dK" % kb if kb < 1024 else ("%.1f%s" if v < 10 else "%.0f%s") % (v, "KMGTPE"[u]))' "$kb")
wait_for "^vmatlas: 8 snapshots written to tl\.jsonl \($size\) in [0-9.]+ s$"
screen | grep -q "the next in" && fail "the status line stayed after the summary"
ok "a capture's summary names the file and its size ($size)"
tm kill-session -t t

# Beside a launched program the status is whole lines, every 2 s: the
# program's own lines stay whole and start their lines, never glued to a
# status line or erased by one.
tui_start 150 20 "'$VMATLAS' snapshot --at-exit -o run.jsonl -- sh -c 'printf \"half a line \"; sleep 2.5; echo the rest; echo a whole line; sleep 2.5; exit 3'"
wait_for "^vmatlas: sh running [0-9.]+ s; [12] process(es)? followed; 0 snapshots, 0K written$"
expect_eq "launch exit status" "$(tui_exit_status)" 3
wait_for "^vmatlas: sh exited 3 after [0-9.]+ s; 1 snapshot written to run\.jsonl \([0-9.]+[KM]\)$"
screen > launch.screen
expect_eq "status lines beside the program (one every 2 s of its 5 s)" "$(grep -c 'vmatlas: sh running' launch.screen)" 2
grep -q '^a whole line$' launch.screen || fail "the program's line is not whole: $(cat launch.screen)"
grep -q '^half a line vmatlas: sh running' launch.screen ||
	fail "the program's unfinished line was erased or redrawn over: $(cat launch.screen)"
grep -q '^the rest$' launch.screen || fail "the program's output after a status line: $(cat launch.screen)"
ok "a launch's status lines stay apart from the program's, and its summary"
tm kill-session -t t

tui_start 150 20 "'$VMATLAS' snapshot --quiet --interval 0.1 --count 3 -o q.jsonl $TPID; '$VMATLAS' snapshot -q --at-exit -o q2.jsonl -- true"
expect_eq "--quiet exit status" "$(tui_exit_status)" 0
screen | grep -q "^vmatlas:" && fail "--quiet still printed: $(screen | grep '^vmatlas:')"
ok "--quiet prints nothing"
tm kill-session -t t

"$VMATLAS" snapshot --interval 0.1 --count 3 -o nt.jsonl "$TPID" 2> err || fail "capture exited $?"
"$VMATLAS" snapshot --at-exit -o nt2.jsonl -- true 2>> err || fail "launch exited $?"
[ ! -s err ] || fail "not a terminal, yet: $(cat err)"
ok "standard error not a terminal: no status, no summary"

# Recording page faults says how long it has recorded, and sums up.
if "$VMATLAS" faults --duration 0.1 -o /dev/null -- true 2> ferr; then
	tui_start 150 20 "'$VMATLAS' faults --duration 2.5 -o f.txt -- sleep 4"
	wait_for "^vmatlas: faults: recording [0-9.]+ s of 2\.5 s$"
	expect_eq "faults exit status" "$(tui_exit_status)" 0
	wait_for "^vmatlas: faults: [0-9]+ faults \([0-9]+ minor, [0-9]+ major\) in [0-9.]+ s, [0-9]+ lost$"
	ok "faults: a status line and a summary"
	tm kill-session -t t
	tui_start 150 20 "'$VMATLAS' faults -q --duration 0.3 -o f2.txt -- true"
	expect_eq "faults --quiet exit status" "$(tui_exit_status)" 0
	screen | grep -q "^vmatlas:" && fail "faults --quiet still printed: $(screen | grep '^vmatlas:')"
	ok "faults --quiet prints nothing"
else
	echo "faults cannot record here ($(cat ferr)): its status line is not checked"
fi
