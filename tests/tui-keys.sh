#!/bin/sh
# Keys of the live screen not covered elsewhere: Tab cycles the views in
# order (Layout, Maps, Pages, Sections, Stacks, COW, Tree, back to Layout),
# shift-Tab goes back, and F6 moves the Maps sort to the next column.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget
W8=$(nox "$(ready_value watch8)")
tui_start 120 40 "$VMATLAS" -d 0.3 "$TPID"
wait_for "^PID $TPID tuitarget running"
wait_for "^ +$W8 +anon +8\.0M rw-p \[anon\]"
ok "Layout view"

keys Tab
wait_for "^ +START\^ +END +PERM KIND"
ok "Tab: Maps view"
keys Tab
wait_for "^[0-9a-f]+-[0-9a-f]+ r--p rodata [0-9.]+[KM]: .*/tuitarget$"
ok "Tab: Pages view of the selected mapping"
keys Tab
wait_not "^[0-9a-f]+-[0-9a-f]+ r--p rodata [0-9.]+[KM]:"
wait_for "^[0-9a-f]+-[0-9a-f]+ r--p rodata .*/tuitarget$"
ok "Tab: Sections view"
keys Tab
wait_for "^thread $TPID \([SR]\) sp 0x[0-9a-f]+ tuitarget"
ok "Tab: Stacks view"
keys Tab Tab
wait_for "^ +PID +PPID +STATE +PROCESS"
ok "Tab Tab: past the COW view to the Tree view"
keys Tab
wait_for "^ +$W8 +anon +8\.0M rw-p \[anon\]"
ok "Tab: back to the Layout view"
keys BTab
wait_for "^ +PID +PPID +STATE +PROCESS"
ok "shift-Tab: back to the Tree view"

keys 2
wait_for "^ +START\^ +END +PERM KIND"
keys F6
wait_for "^ +START +END\^ +PERM KIND"
ok "F6: sorted by the next column"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
exit 0
