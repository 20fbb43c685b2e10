#!/bin/sh
# Quitting the live screen (q, F10, Ctrl-C, SIGTERM, SIGHUP) restores the
# terminal and leaves an attached target as found: running or stopped, and
# untraced. A program vmatlas launched is killed.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget

# quit_with HOW: start the screen on $TPID, quit it by HOW, print the exit
# status.
quit_with() {
	tui_start 100 30 "$VMATLAS" -d 0.2 "$TPID"
	wait_for "^PID $TPID tuitarget"
	[ "$(proc_tracer "$TPID")" != 0 ] || fail "not attached while watching"
	case $1 in
	q) keys q ;;
	F10) keys F10 ;;
	C-c) keys C-c ;;
	TERM|HUP) kill -"$1" "$(pgrep -f "^$VMATLAS -d 0.2 $TPID$")" ;;
	esac
	tui_exit_status
	tui_stop
}

for how in q F10 C-c TERM HUP; do
	case $how in
	q|F10) want=0 ;;
	C-c) want=130 ;;
	TERM) want=143 ;;
	HUP) want=129 ;;
	esac
	expect_eq "exit status after $how" "$(quit_with $how)" "$want"
	expect_eq "TracerPid after $how" "$(proc_tracer "$TPID")" 0
	expect_eq "running after $how" "$(proc_state "$TPID")" S
done

# A stopped target stays stopped.
kill -STOP "$TPID"
for i in $(seq 1 100); do [ "$(proc_state "$TPID")" = T ] && break; sleep 0.05; done
tui_start 100 30 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^PID $TPID tuitarget stopped"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid of the stopped target" "$(proc_tracer "$TPID")" 0
expect_eq "stopped target still stopped" "$(proc_state "$TPID")" T
kill -CONT "$TPID"
tui_stop

# The terminal is restored: the shell's next line is at the left margin and
# nothing of the screen's key bar is left after a clear.
tui_start 100 30 "$VMATLAS" -d 0.2 "$TPID" "; tput clear; echo restored"
wait_for "^PID $TPID tuitarget"
keys q
wait_for "^restored$"
screen | grep -q "F10Quit" && fail "the screen was not restored"
ok "terminal restored"
tui_stop

# A launched program (here with the explicit "watch") is killed on quit.
L=$TEST_TMP/launched.ready
tui_start 100 30 "$VMATLAS" watch -d 0.2 -- "$TARGETS/tuitarget" "$L"
wait_for "launched .*tuitarget \(killed on quit\)"
for i in $(seq 1 100); do [ -s "$L" ] && break; sleep 0.05; done
LPID=$(screen | sed -n 's/^PID \([0-9]*\) .*/\1/p' | head -n 1)
[ -n "$LPID" ] && [ -d "/proc/$LPID" ] || fail "launched program not running"
TEST_PIDS="$TEST_PIDS $LPID"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
for i in $(seq 1 100); do [ -d "/proc/$LPID" ] || break; sleep 0.05; done
[ ! -d "/proc/$LPID" ] || fail "launched program $LPID still running after quit"
ok "launched program killed on quit"
