#!/bin/sh
# Attaching to a process that already has a child: the child (found in
# /proc/PID/task/*/children) is in the Tree view and followed (traced by
# vmatlas), and its COW divergence is exact; with --no-follow it is listed
# read only and never traced. Quitting leaves both untraced
# (tests/targets/spawner.c describes the layouts).
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"

start_target spawner
P=$TPID
R=$(nox "$(ready_value region)")
kill -USR1 "$P"
for i in $(seq 1 100); do C=$(ready_value child); [ -n "$C" ] && break; sleep 0.05; done
[ -n "$C" ] || hard_error "the target did not fork"
TEST_PIDS="$TEST_PIDS $C"

# watch [OPTION]: the screen on P, at its Tree view; sets VPID.
watch() {
	tui_start 140 40 "$VMATLAS" -d 0.2 "$@" "$P"
	wait_for "^PID $P spawner running"
	VPID=$(pgrep -f "^$VMATLAS -d 0.2 $* *$P$")
	keys 7
	wait_for "^ +$P +[0-9]+ [a-z]+ .* spawner( [^ ]+)* +<- shown$"
}
# cow_and_quit: the child's divergence (10 diverged, 90 shared pages of the
# region), then quit: both left running, untraced.
cow_and_quit() {
	keys Down c
	wait_for "parent $P spawner -> child $C spawner"
	wait_for "^$R +256 +90 +10 +0 +0 "
	quit_leaves_sleeping "$P" "$C"
	tui_stop
}

watch
wait_for "^ +$C +$P [a-z]+ .* \`- spawner( [^ ]+)*$"
expect_eq "the existing child's tracer" "$(proc_tracer_pid "$C")" "$VPID"
ok "an existing child is in the tree and followed"
cow_and_quit

watch --no-follow
wait_for "attached \(left as found on quit\)$"
wait_for "^ +$C +$P [a-z]+ .* \`- spawner( [^ ]+)* +\(read only: not followed\)$"
expect_eq "the parent's tracer" "$(proc_tracer_pid "$P")" "$VPID"
expect_eq "the child's tracer with --no-follow" "$(proc_tracer "$C")" 0
ok "--no-follow: the child is listed, read only, not traced"
cow_and_quit
