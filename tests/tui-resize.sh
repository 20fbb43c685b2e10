#!/bin/sh
# Resizing the terminal at any time, down to 20x6 and below, never crashes
# the screen; below 20x6 it asks for a larger terminal, and it comes back.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget
tui_start 120 40 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^PID $TPID tuitarget"

for v in 1 2 3 4 5; do
	keys "$v"
	for size in 80x24 40x10 20x6 19x6 20x5 10x3 1x1 20x6 60x12; do
		tm resize-window -t t -x "${size%x*}" -y "${size#*x}" || hard_error "tmux cannot resize"
		case $size in
		20x6)
			wait_for "^PID $TPID" ;;
		19x6|20x5|10x3)
			wait_for "^Terminal t" ;;
		1x1)
			sleep 0.2 ;;
		*)
			wait_for "^PID $TPID tuitarget" ;;
		esac
		screen | grep -q '^EXIT=' && fail "the screen ended at $size in view $v"
	done
done
ok "resized through 80x24 .. 1x1 in every view"

tm resize-window -t t -x 19 -y 6
wait_for "^20x6$"
tm resize-window -t t -x 100 -y 30
wait_for "^PID $TPID tuitarget running"
wait_for "F10Quit"
ok "back to full size"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
