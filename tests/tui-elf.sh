#!/bin/sh
# Sections and Stacks views: the target's own text mapping lists .text, and
# its main thread's backtrace shows main, read while view 5 is shown.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget
tui_start 120 40 "$VMATLAS" -d 0.3 "$TPID"
wait_for "^PID $TPID tuitarget"
keys 2 / "tuitarget r-x" Enter 4
wait_for "SECTION|no sections known"
screen | grep -q "no sections known" && skip "this build has no ELF sections"
wait_for " r-xp \.text$"
ok "sections view lists .text of the target's code"
keys 5
wait_for "^thread $TPID |stack unwinding is not available"
screen | grep -q "not available in this build" && skip "this build cannot unwind stacks"
wait_for "^  #[0-9]+ +0x[0-9a-f]+ main\+0x[0-9a-f]+ (at tuitarget\.c:[0-9]+ )?in .*tuitarget$"
ok "stacks view shows main"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
expect_eq "state after quit" "$(proc_state "$TPID")" S
