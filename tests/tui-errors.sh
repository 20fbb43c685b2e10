#!/bin/sh
# Without a usable terminal the live screen says so in one line pointing to
# `vmatlas snapshot`; bad arguments and processes get one clear line.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget

# one_line_error WANT-STATUS ERE COMMAND...: stderr is one line matching ERE.
one_line_error() {
	local want=$1 re=$2 st
	shift 2
	"$@" > "$TEST_TMP/out" 2> "$TEST_TMP/err" < /dev/null && st=0 || st=$?
	[ "$st" = "$want" ] || fail "$*: exit status $st, expected $want"
	[ "$(wc -l < "$TEST_TMP/err")" = 1 ] || { cat "$TEST_TMP/err" >&2; fail "$*: not one line"; }
	grep -Eq -- "^vmatlas: .*$re" "$TEST_TMP/err" || { cat "$TEST_TMP/err" >&2; fail "$*: no /$re/"; }
	[ -s "$TEST_TMP/out" ] && fail "$*: wrote to stdout"
	ok "$* -> $(cat "$TEST_TMP/err")"
}

TERM=dumb one_line_error 1 "vmatlas snapshot" "$VMATLAS" "$TPID"
TERM=dumb one_line_error 1 "vmatlas snapshot" "$VMATLAS" watch "$TPID"
one_line_error 1 "needs a terminal.*vmatlas snapshot" "$VMATLAS" "$TPID"
one_line_error 1 "needs a terminal.*--format=text" "$VMATLAS" demo
one_line_error 2 "bad delay" "$VMATLAS" -d 0 "$TPID"
one_line_error 2 "bad delay" "$VMATLAS" watch -d abc "$TPID"
one_line_error 2 "not a process id" "$VMATLAS" watch 12x
one_line_error 2 "unrecognized option" "$VMATLAS" watch --bogus "$TPID"
one_line_error 2 "no PROGRAM" "$VMATLAS" --
expect_eq "target untouched" "$(proc_tracer "$TPID")" 0

# In a terminal that cannot draw it.
tui_start 100 10 TERM=dumb "$VMATLAS" "$TPID"
wait_for "^vmatlas: the terminal \(TERM=dumb\) cannot draw the live screen: use 'vmatlas snapshot PID'"
expect_eq "exit status, TERM=dumb" "$(tui_exit_status)" 1
tui_stop

# In a terminal: a process that does not exist, and a program that cannot
# run, are said before the screen starts.
tui_start 100 10 "$VMATLAS" 999999999
wait_for "^vmatlas: .*(no such process|not a process)"
expect_eq "exit status, no such process" "$(tui_exit_status)" 1
tui_stop
tui_start 100 10 "$VMATLAS" -- /nonexistent/program
wait_for "^vmatlas: .*/nonexistent/program|^vmatlas: .*program"
[ "$(tui_exit_status)" != 0 ] || fail "launching a missing program succeeded"
ok "missing program"
tui_stop

# A process another tracer has: refused, naming it and --no-trace; with
# --no-trace the screen shows it, and the other tracer keeps it.
if command -v strace > /dev/null; then
	strace_attach "$TPID"
	spid=$SPID
	tui_start 200 10 "$VMATLAS" "$TPID"
	wait_for "^vmatlas: process $TPID is already traced by process $spid \(strace\).*'vmatlas --no-trace $TPID' watches it without ptrace\)$"
	expect_eq "exit status, traced elsewhere" "$(tui_exit_status)" 1
	tui_stop
	tui_start 120 20 "$VMATLAS" --no-trace "$TPID"
	wait_for "^PID $TPID tuitarget running"
	keys q
	expect_eq "exit status, --no-trace" "$(tui_exit_status)" 0
	expect_eq "still traced by strace" "$(proc_tracer "$TPID")" "$spid"
	kill -INT "$spid"; wait "$spid" 2>/dev/null
	threads_are "$TPID" SR
fi
