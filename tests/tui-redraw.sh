#!/bin/sh
# Ctrl-L redraws the whole screen: text written on the terminal behind the
# screen's back (here straight to the pane's terminal) stays through the
# refreshes, since curses sends only what changed in its own picture, and
# is gone after Ctrl-L, with the header back on the first line.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget
tui_start 100 30 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^PID $TPID tuitarget running"
tty=$(tm display -p -t t '#{pane_tty}') || hard_error "tmux cannot name the pane's terminal"
# Three lines at the bottom scroll the whole picture up by three.
printf '\033[30;1HSCRIBBLE-1\r\nSCRIBBLE-2\r\nSCRIBBLE-3\r\n' > "$tty"
wait_for "^SCRIBBLE-3"
# Five refreshes later the scribble and the scrolled picture are still there.
sleep 1
screen | grep -q "^SCRIBBLE-1" || fail "the scribble went away without Ctrl-L"
screen | head -n 1 | grep -q "^PID $TPID" && fail "the header is still on the first line"
keys C-l
wait_not "SCRIBBLE"
screen | head -n 1 | grep -q "^PID $TPID tuitarget running" || fail "the header is not on the first line after Ctrl-L"
ok "Ctrl-L: the scribble is gone, the header is on the first line"

printf '\033[15;1HSCRIBBLE-4' > "$tty"
wait_for "^SCRIBBLE-4"
keys F5
wait_not "SCRIBBLE"
ok "F5 redraws too"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
