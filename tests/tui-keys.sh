#!/bin/sh
# Keys of the live screen (started as "vmatlas watch PID") not covered
# elsewhere: Tab cycles the views in
# order (Layout, Maps, Pages, Sections, Stacks, COW, Tree, Faults, back to Layout),
# shift-Tab goes back, F6 moves the Maps sort to the next column, Home,
# End, PgDn and PgUp move the Maps selection (a page is the rows shown), ?
# opens the help, Space pauses and resumes, F5 reads once while paused.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget
W8=$(nox "$(ready_value watch8)")
tui_start 120 44 "$VMATLAS" watch -d 0.3 "$TPID"
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
wait_for "^ +PID +PPID +STATE +RSS .* PROCESS"
ok "Tab Tab: past the COW view to the Tree view"
keys Tab
wait_for "^Page faults of $TPID|recording page faults needs root"
ok "Tab: the Faults view"
keys Tab
wait_for "^ +$W8 +anon +8\.0M rw-p \[anon\]"
ok "Tab: back to the Layout view"
keys BTab BTab
wait_for "^ +PID +PPID +STATE +RSS .* PROCESS"
ok "shift-Tab shift-Tab: back past the Faults view to the Tree view"

keys 2
wait_for "^ +START\^ +END +PERM KIND"
keys F6
wait_for "^ +START +END\^ +PERM KIND"
ok "F6: sorted by the next column"
keys F6 F6 F6 F6 F6 F6 F6
wait_for "^ +START\^ +END +PERM KIND"

# The selection, seen in the Pages view's title: the Nth line of
# /proc/PID/maps is the Nth row sorted by start.
selected_is() {
	local start
	start=$(sed -n "$1s/-.*//p" "/proc/$TPID/maps")
	keys Enter
	wait_for "^$start-[0-9a-f]+ "
	keys 2
	wait_for "^ +START\^ +END +PERM KIND"
}
NMAPS=$(wc -l < "/proc/$TPID/maps")
keys End
selected_is "$NMAPS"
ok "End: the last mapping"
keys Home
selected_is 1
ok "Home: the first mapping"
# At 14 lines the Maps view shows 7 rows: PgDn moves 7 down, PgUp back.
tm resize-window -t t -x 120 -y 14 || hard_error "tmux cannot resize"
keys NPage
selected_is 8
keys NPage Down
selected_is 16
ok "PgDn: one page down"
keys PPage
selected_is 9
keys PPage
selected_is 2
ok "PgUp: one page up"
tm resize-window -t t -x 120 -y 40 || hard_error "tmux cannot resize"

keys '?'
wait_for "Any key closes this help"
keys x
wait_not "Any key closes this help"
ok "?: help"

# Space pauses: a mapping made meanwhile appears only with F5, and the
# screen stays paused until Space again.
keys Space
wait_for "PAUSED"
map_fresh
sleep 0.7
screen | grep -q "^. +$FRESH " && fail "a paused screen was refreshed"
keys F5
wait_for "^. +$FRESH +[0-9a-f]+ rw-s shm +2\.0M +68K" 2
wait_for "PAUSED"
ok "Space pauses, F5 reads once"
keys Space
wait_not "PAUSED"
ok "Space resumes"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
exit 0
