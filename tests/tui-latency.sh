#!/bin/bash
# The live screen answers every ptrace stop at once, whatever it draws:
# a process taking SIGALRM 1000 times a second keeps at least 90% of its
# own rate under `vmatlas PID`, and a process forking children that live
# 2 ms keeps its fork-and-wait within 2x of its own time (each fork is a
# fork stop, the child's first stop and its exit stop). Both are measured
# against the same target without vmatlas in the same run, and the best
# of a few one-second windows counts, so that a loaded machine slows both
# sides alike (tests/targets/sigrate.c).
# Runs alone: it compares the target's rates with and without vmatlas.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

# counts: "N NS" from the target's count file.
counts() { sed -n 's/^n=0*\([0-9][0-9]*\) ns=0*\([0-9]*\)$/\1 \2/p' "$READY.count"; }
# window: over about one second, "RATE LATENCY_US" (signals or rounds a
# second; microseconds a round).
window() {
	local n0 s0 n1 s1 t0 t1
	read -r n0 s0 <<< "$(counts)"
	t0=$(date +%s%N)
	sleep 1
	read -r n1 s1 <<< "$(counts)"
	t1=$(date +%s%N)
	[ -n "$n0" ] && [ -n "$n1" ] || hard_error "the target's count file is unreadable"
	echo "$(( (n1 - n0) * 1000000000 / (t1 - t0) )) $(( n1 > n0 ? (${s1:-0} - ${s0:-0}) / (n1 - n0) / 1000 : 999999 ))"
}
# best_rate N: the highest rate of N windows; best_latency N: the lowest.
best_rate() { local i best=0 r l; for i in $(seq 1 "$1"); do read -r r l <<< "$(window)"; [ "$r" -gt "$best" ] && best=$r; done; echo "$best"; }
best_latency() { local i best=999999 r l; for i in $(seq 1 "$1"); do read -r r l <<< "$(window)"; [ "$l" -lt "$best" ] && best=$l; done; echo "$best"; }
watch_it() {
	tui_start 120 40 "$VMATLAS" -d 0.1 "$TPID"
	wait_for "^PID $TPID sigrate running"
	wait_for "attached \(left as found on quit\), following forks"
	[ "$(proc_tracer "$TPID")" != 0 ] || fail "vmatlas did not attach"
	# Busy drawing: the Maps view, sorted, every 0.1 s.
	keys 2
	wait_for "START"
}

start_target sigrate alarm
base=$(best_rate 3)
[ "$base" -ge 200 ] || skip "this machine delivers only $base SIGALRM a second to a 1 kHz timer"
watch_it
traced=$(best_rate 4)
ok "SIGALRM: $base a second alone, $traced under the live screen"
[ $(( traced * 100 )) -ge $(( base * 90 )) ] ||
	fail "under the live screen the target took $traced SIGALRM a second, below 90% of its $base"
quit_leaves_sleeping "$TPID"
tui_stop
kill -KILL "$TPID"

start_target sigrate fork
base=$(best_latency 3)
watch_it
keys 7
wait_for "sigrate .*<- shown"
traced=$(best_latency 4)
ok "fork and wait: $base us alone, $traced us under the live screen"
[ "$traced" -le $(( base * 2 )) ] ||
	fail "under the live screen fork-and-wait took $traced us, more than twice its $base us"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
exit 0
