#!/bin/sh
# The live screen at 80x24: the tabs and what quitting does are shown
# whole, long paths keep their file name, counts agree in number, and the
# keys do what the help says (h help, arrows move in the Pages grid, n and
# N the next and previous mapping or search match); mouse clicks select.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget
W8=$(nox "$(ready_value watch8)")
# A one-page mapping, and the mapping after and before watch8.
ONE=$(while IFS='- ' read -r a b rest; do
	[ $((0x$b - 0x$a)) = 4096 ] && { echo "$a"; break; }
done < "/proc/$TPID/maps")
AFTER=$(awk -v w="$W8" '{ split($1, a, "-"); if (found) { print a[1]; exit } if (a[1] == w) found = 1 }' "/proc/$TPID/maps")
BEFORE=$(awk -v w="$W8" '{ split($1, a, "-"); if (a[1] == w) { print prev; exit } prev = a[1] }' "/proc/$TPID/maps")
FIRSTMAP=$(sed -n '1s/-.*//p' "/proc/$TPID/maps")
[ -n "$ONE" ] && [ -n "$AFTER" ] && [ -n "$BEFORE" ] || hard_error "no one-page mapping or no neighbours of watch8"
# click X Y: a left click at column X, line Y (from 0), as xterm's X10
# mouse protocol sends it.
click() {
	tm send-keys -t t -H 1b 5b 4d 20 "$(printf %x $((33 + $1)))" "$(printf %x $((33 + $2)))"
	tm send-keys -t t -H 1b 5b 4d 23 "$(printf %x $((33 + $1)))" "$(printf %x $((33 + $2)))"
}

tui_start 80 24 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^1 Layout 2 Maps 3 Pages 4 Sections 5 Stacks 6 COW 7 Tree 8 Faults$"
wait_for "^attached \(left as found on quit\)"
ok "tabs and what quitting does, whole"

keys 2
wait_for " \.\.\./targets/tuitarget$"
ok "a long path keeps its file name"

keys a "0x$ONE" Enter 3
wait_for "^$ONE-[0-9a-f]+ .*: "
wait_for "^1 page: [01] resident, "
keys a "0x$W8" Enter
wait_for "^2048 pages: 300 resident, 0 swapped, 1748 not present"
ok "1 page, 2048 pages"

# Arrows move in the grid (at 80x24 a cell is 3 pages; even pages are
# resident); h opens the help, which says so.
wait_for "^one cell = 3 pages"
keys Right Right
wait_for "^pages 0x[0-9a-f]+-0x[0-9a-f]+ \(#6\+3\): 1 not present 2 resident"
keys Left
wait_for "^pages 0x[0-9a-f]+-0x[0-9a-f]+ \(#3\+3\): 2 not present 1 resident"
keys h
wait_for "n  N  next/previous match"
keys NPage
wait_for "^ Pages:  arrows move over the pages"
keys Escape
wait_for "^pages 0x[0-9a-f]+-0x[0-9a-f]+ \(#3\+3\)"
ok "arrows move, h is help"

# n and N without a search: the next and previous mapping.
keys n
wait_for "^$AFTER-[0-9a-f]+ "
keys N N
wait_for "^$BEFORE-[0-9a-f]+ "
# With a search, the Pages view stays and n goes to the next match.
keys / "0x$W8" Enter
wait_for "^$W8-[0-9a-f]+ rw-p anon 8\.0M: "
keys / libc Enter
wait_for "^[0-9a-f]+-[0-9a-f]+ r--p rodata .*libc\.so\.6$"
FIRST=$(screen | sed -n 's/^\([0-9a-f]*\)-.*libc\.so\.6$/\1/p')
keys n
wait_not "^$FIRST-"
wait_for "^[0-9a-f]+-[0-9a-f]+ r-xp .*libc\.so\.6$"
keys N
wait_for "^$FIRST-"
ok "n and N: next mapping, next match"

# The mouse: a tab, a row, a page.
click 9 1
wait_for "START\^ +PERM +KIND"
screen | grep -q "^1 page" && fail "the click did not open the Maps view"
click 20 3
keys 3
wait_for "^$FIRSTMAP-[0-9a-f]+ "
keys a "0x$W8" Enter
wait_for "^2048 pages"
click 20 5
wait_for "^pages 0x[0-9a-f]+-0x[0-9a-f]+ \(#9\+3\): 2 not present 1 resident"
ok "mouse clicks select a tab, a row and a page"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
