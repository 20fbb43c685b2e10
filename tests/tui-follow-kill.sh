#!/bin/sh
# A followed tree and the end of vmatlas: quitting or SIGKILL leaves an
# attached parent and its child running and untraced (the kernel detaches
# them when vmatlas dies: no PTRACE_O_EXITKILL on attached processes); a
# launched program and the child it forked while watched die with it.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"

# fork_child READY: make the spawner fork; prints the child's pid.
fork_child() {
	local i c
	kill -USR1 "$(sed -n 's/^parent=//p' "$1")"
	for i in $(seq 1 100); do
		c=$(sed -n 's/^child=//p' "$1")
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.05
	done
	fail "the target did not fork"
}
# gone PID...: each exits within 5 s.
gone() {
	local p i
	for p in "$@"; do
		for i in $(seq 1 100); do [ -d "/proc/$p" ] || break; sleep 0.05; done
		[ ! -d "/proc/$p" ] || fail "process $p still running"
	done
}

# Attached, then SIGKILL: parent and child survive, untraced.
start_target spawner
P=$TPID
tui_start 120 30 "$VMATLAS" -d 0.2 "$P"
wait_for "^PID $P spawner running"
C=$(fork_child "$READY")
TEST_PIDS="$TEST_PIDS $C"
keys 7
wait_for "^ +$C +$P [a-z]+ .* \`- spawner( [^ ]+)*$"
VPID=$(pgrep -f "^$VMATLAS -d 0.2 $P$")
expect_eq "child traced by vmatlas" "$(proc_tracer_pid "$C")" "$VPID"
kill -KILL "$VPID"
# Killed, it cannot restore the terminal: the shell's line lands anywhere.
wait_for "EXIT=137"
for p in $P $C; do
	for i in $(seq 1 100); do [ "$(proc_tracer "$p")" = 0 ] && break; sleep 0.05; done
	expect_eq "TracerPid of $p after SIGKILL" "$(proc_tracer "$p")" 0
	expect_eq "state of $p after SIGKILL" "$(proc_state "$p")" S
done
ok "an attached tree survives vmatlas's SIGKILL"
tui_stop

# launch_tree NAME: vmatlas -- spawner in a new session, then a fork;
# sets LP and LC once the tree shows the child.
launch_tree() {
	local l=$TEST_TMP/$1.ready i
	tui_start 120 30 "$VMATLAS" -d 0.2 -- "$TARGETS/spawner" "$l"
	wait_for "launched spawner \(killed on quit\), following forks"
	for i in $(seq 1 100); do grep -q '^ready' "$l" 2>/dev/null && break; sleep 0.05; done
	LP=$(sed -n 's/^parent=//p' "$l")
	TEST_PIDS="$TEST_PIDS $LP"
	LC=$(fork_child "$l")
	TEST_PIDS="$TEST_PIDS $LC"
	keys 7
	wait_for "^ +$LC +$LP [a-z]+ .* \`- spawner( [^ ]+)*$"
}

# Launched, then q: the program and its child are killed.
launch_tree quit
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
gone "$LP" "$LC"
ok "a launched tree is killed on quit"
tui_stop

# Launched, then SIGKILL: the program and its child die with vmatlas.
launch_tree killed
kill -KILL "$(pgrep -f "^$VMATLAS -d 0.2 -- ")"
wait_for "EXIT=137"
gone "$LP" "$LC"
ok "a launched tree dies with vmatlas's SIGKILL"
