#!/bin/bash
# Ctrl-Z on the live screen, and the live screen started in the
# background, never leave the target waiting on a stopped vmatlas: before
# it stops, vmatlas lets every traced process go (TracerPid 0), so a
# target taking SIGALRM 1000 times a second goes on taking them; the
# shell gets a working terminal back (what is typed is echoed); fg redraws
# the screen and attaches again; quitting leaves the target as found. Run
# in an interactive shell in tmux, as a user would.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

counter() { sed -n 's/^n=0*\([0-9][0-9]*\) .*/\1/p' "$READY.count"; }
# advancing WHAT: the target took more than 100 signals in one second.
advancing() {
	local a b
	a=$(counter)
	sleep 1
	b=$(counter)
	[ $(( b - a )) -gt 100 ] || fail "$1: the target took $(( b - a )) signals in a second"
	ok "$1: the target took $(( b - a )) signals in a second"
}
# tracer_is WHO: within 2 s, the target's tracer is process WHO (0: none).
tracer_is() {
	local i
	for i in $(seq 1 40); do [ "$(proc_tracer_pid "$TPID")" = "$1" ] && return 0; sleep 0.05; done
	fail "the target's tracer is $(proc_tracer_pid "$TPID"), expected $1"
}

# quits VPID: within 5 s vmatlas has exited.
quits() {
	local i
	for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	fail "vmatlas did not quit"
}

start_target sigrate alarm
SHELL=$TUI_SHELL tm new-session -d -s t -x 120 -y 40 -c "$TEST_TMP" \
	"env PS1='sh\$ ' $TUI_SHELL --norc --noprofile -i" || hard_error "tmux cannot start a session"
wait_for '^sh\$$'

keys "$VMATLAS -d 0.2 $TPID" Enter
wait_for "^PID $TPID sigrate running"
VPID=$(pgrep -f "^$VMATLAS -d 0.2 $TPID$")
[ -n "$VPID" ] || hard_error "vmatlas is not running"
tracer_is "$VPID"

keys C-z
wait_for "Stopped +$VMATLAS"
wait_not "^PID $TPID sigrate"
expect_eq "vmatlas after Ctrl-Z" "$(proc_state "$VPID")" T
tracer_is 0
advancing "vmatlas stopped by Ctrl-Z"
keys "echo typed-here" Enter
wait_for "^typed-here$"
ok "the shell has a working terminal while vmatlas is stopped"

keys fg Enter
wait_for "^PID $TPID sigrate running"
wait_for "resumed: attached again"
tracer_is "$VPID"
advancing "after fg"
keys q
quits "$VPID"
tracer_is 0
THREADS_CONTEXT="target after quit: " threads_are "$TPID" SR

# Started in the background: it waits for the terminal before attaching.
keys "$VMATLAS -d 0.2 $TPID &" Enter
for i in $(seq 1 100); do VPID=$(pgrep -f "^$VMATLAS -d 0.2 $TPID$") && [ "$(proc_state "$VPID")" = T ] && break; sleep 0.05; done
expect_eq "vmatlas started in the background" "$(proc_state "$VPID")" T
tracer_is 0
advancing "vmatlas in the background"
keys fg Enter
wait_for "^PID $TPID sigrate running"
tracer_is "$VPID"
keys q
quits "$VPID"
tracer_is 0
THREADS_CONTEXT="target after quit: " threads_are "$TPID" SR
exit 0
