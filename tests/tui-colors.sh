#!/bin/sh
# Colours readable on any background, checked on the attributes tmux keeps
# (capture-pane -e) in an 8-colour (TERM=screen), a 16-colour
# (screen-16color, from ncurses-term) and a 256-colour terminal
# (screen-256color): no black text on blue, red or magenta anywhere; the
# kind labels and the header are bright white on blue (bold white where
# there are 8 colours), black on yellow; in 256 colours, text on the
# terminal's own background uses mid shades (the dim line: colour 63).
# NO_COLOR (no-color.org) turns colours off as --no-color does; an empty
# NO_COLOR does not.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to read the attributes"

# cells: the pane as "ROW COL CHAR FG BG BOLD REVERSE" lines (FG, BG: a
# colour number 0-255, or d for the default; bright 90-97 are 8-15).
cells() {
	tm capture-pane -e -p -t t | python3 -c '
import re, sys
for y, line in enumerate(sys.stdin.read().split("\n")):
    fg = bg = "d"; bold = rev = 0; x = 0
    for m in re.finditer(r"\x1b\[([0-9;]*)m|(.)", line):
        if m.group(2) is not None:
            if m.group(2) != " ":
                print(y, x, m.group(2), fg, bg, bold, rev)
            x += 1
            continue
        ps = [int(p) if p else 0 for p in m.group(1).split(";")]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0: fg = bg = "d"; bold = rev = 0
            elif p == 1: bold = 1
            elif p == 22: bold = 0
            elif p == 7: rev = 1
            elif p == 27: rev = 0
            elif 30 <= p <= 37: fg = p - 30
            elif p == 39: fg = "d"
            elif 40 <= p <= 47: bg = p - 40
            elif p == 49: bg = "d"
            elif 90 <= p <= 97: fg = p - 90 + 8
            elif 100 <= p <= 107: bg = p - 100 + 8
            elif p in (38, 48) and i + 2 < len(ps) and ps[i + 1] == 5:
                if p == 38: fg = ps[i + 2]
                else: bg = ps[i + 2]
                i += 2
            i += 1
'
}
# attrs_of ROW COL: "FG BG BOLD REVERSE" of that cell.
attrs_of() { cells | awk -v y="$1" -v x="$2" '$1 == y && $2 == x { print $4, $5, $6, $7 }'; }

start_target tuitarget
W8=$(nox "$(ready_value watch8)")

command -v infocmp >/dev/null && infocmp screen-16color >/dev/null 2>&1 ||
	skip "no terminfo for screen-16color (Debian package ncurses-term)"
for term in screen screen-16color screen-256color; do
	tui_start 140 40 "TERM=$term $VMATLAS -d 0.3 $TPID"
	wait_for "^PID $TPID tuitarget running"
	keys 2
	wait_for "^ +$W8 +[0-9a-f]+ rw-p anon "
	cells > "$TEST_TMP/cells.$term"
	bad=$(awk '$4 == 0 && ($5 == 1 || $5 == 4 || $5 == 5) { n++ } END { print n + 0 }' "$TEST_TMP/cells.$term")
	expect_eq "$term: cells of black text on blue, red or magenta" "$bad" 0
	# The watch8 row's kind label, and the header's first letter.
	row=$(screen | grep -n "^ *$W8 " | cut -d: -f1)
	col=$(screen | sed -n "${row}p" | awk '{ print index($0, " anon ") }')
	if [ "$term" = screen ]; then
		expect_eq "$term: anon label" "$(attrs_of $((row - 1)) "$col")" "7 4 1 0"
		expect_eq "$term: header" "$(attrs_of 0 0)" "7 4 1 0"
	else
		expect_eq "$term: anon label" "$(attrs_of $((row - 1)) "$col")" "15 4 0 0"
		expect_eq "$term: header" "$(attrs_of 0 0)" "15 4 0 0"
	fi
	x=$(screen | sed -n 2p | awk '{ print index($0, "attached") - 1 }')
	if [ "$term" = screen-16color ]; then
		# Dim text: bright blue, not the dark blue of 2:1 on black.
		expect_eq "$term: dim text" "$(attrs_of 1 "$x")" "12 d 0 0"
	elif [ "$term" = screen-256color ]; then
		# The source line beside the tabs is dim text: colour 63.
		expect_eq "$term: dim text" "$(attrs_of 1 "$x")" "63 d 0 0"
	else
		expect_eq "$term: dim text" "$(attrs_of 1 "$x")" "4 d 1 0"
	fi
	# A data label: black on yellow.
	drow=$(screen | grep -n " rw-p data " | head -n 1 | cut -d: -f1)
	dcol=$(screen | sed -n "${drow}p" | awk '{ print index($0, " data ") }')
	expect_eq "$term: data label" "$(attrs_of $((drow - 1)) "$dcol" | cut -d' ' -f1-2)" "0 3"
	ok "$term: readable pairs"
	keys q
	expect_eq "exit status" "$(tui_exit_status)" 0
	tui_stop
done

for how in "NO_COLOR=1 $VMATLAS" "$VMATLAS --no-color"; do
	tui_start 140 40 "TERM=screen-256color $how -d 0.3 $TPID"
	wait_for "^PID $TPID tuitarget running"
	keys 2
	wait_for "^ +$W8 +[0-9a-f]+ rw-p anon "
	expect_eq "$how: coloured cells" "$(cells | awk '$4 != "d" || $5 != "d"' | wc -l)" 0
	expect_eq "$how: header" "$(attrs_of 0 0)" "d d 0 1"
	ok "$how: no colours, the header in reverse"
	keys q
	expect_eq "exit status" "$(tui_exit_status)" 0
	tui_stop
done

tui_start 140 40 "TERM=screen-256color NO_COLOR= $VMATLAS -d 0.3 $TPID"
wait_for "^PID $TPID tuitarget running"
expect_eq "empty NO_COLOR: header" "$(attrs_of 0 0)" "15 4 0 0"
ok "an empty NO_COLOR keeps the colours"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
