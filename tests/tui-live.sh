#!/bin/sh
# The live screen follows the target: a mapping it creates appears within
# two refreshes, marked new; its exit is reported and the last picture kept.
# Also: names the target controls are escaped, UTF-8 or ASCII glyphs,
# colours or none, and mouse clicks.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

# A comm with an escape sequence and a newline must not reach the terminal.
TUITARGET_COMM=$(printf 'ev\033[2J\nil') start_target tuitarget
tui_start 120 40 "$VMATLAS" -d 0.5 "$TPID"
wait_for "^PID $TPID ev\\\\x1b\[2J\\\\(x0a|n)il running"
ok "comm escaped"

# A new mapping appears within two refreshes (0.5 s each), marked '+'.
keys 2
wait_for "START\^"
map_fresh
wait_for "^\+ +$FRESH +[0-9a-f]+ rw-s shm +2\.0M +68K +0K /dev/zero" 1
ok "new mapping shown within two refreshes, marked new"
wait_for "^  +$FRESH " 3
ok "the mark goes after the next refresh"

# Mouse: a click on the first tab opens the Layout view (xterm X10
# encoding: ESC [ M, button+32, column+33, line+33).
keys -l "$(printf '\033[M !"\033[M#!"')"
wait_for "kernel space"
ok "mouse click on a tab"

# The target exits: said on screen, the last picture stays.
kill -USR2 "$TPID"
wait_for "The process exited 0: this is its last picture" 3
wait_for "^PID $TPID .* gone "
wait_for "kernel space"
keys q
expect_eq "exit status after the target exited" "$(tui_exit_status)" 0
tui_stop

# UTF-8 blocks in a UTF-8 locale, ASCII with --ascii; colours unless
# --no-color.
start_target tuitarget
W8=$(nox "$(ready_value watch8)")
tui_start 120 40 LC_ALL=C.UTF-8 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^ +$W8 .*\[anon\] +(█)+(·)+ res +1\.2M$"
tm capture-pane -e -p -t t | grep -q "$(printf '\033')\[4[0-7]m" || fail "no colours"
ok "UTF-8 bars and colours"
keys q
tui_exit_status >/dev/null
tui_stop
tui_start 120 40 LC_ALL=C.UTF-8 "$VMATLAS" -d 0.2 --ascii --no-color "$TPID"
wait_for "^ +$W8 .*\[anon\] +#+\.+ res +1\.2M$"
tm capture-pane -e -p -t t | grep -q "$(printf '\033')\[[34][0-7]m" && fail "colours with --no-color"
ok "--ascii and --no-color"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
