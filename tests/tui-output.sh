#!/bin/sh
# A program launched under the screen ("vmatlas -- PROGRAM") runs on a
# terminal of its own: what it writes never reaches the screen, whose first
# line stays the header; the Output view (o) shows its lines with control
# sequences dropped and other control bytes escaped; in input mode (i) every
# key, q and Ctrl-C included, goes to the program, and Ctrl-] comes back;
# the view keeps the last 2000 lines. "snapshot -- PROGRAM" leaves the
# program on the user's terminal.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

cat > "$TEST_TMP/prog.sh" <<'PROG'
printf 'plain line\n'
printf '\033[31mred\033[0m text\n'
printf '\033]0;evil title\007after osc\n'
printf 'ctl\001x \377y\n'
printf 'progress 10%%\rprogress 100%%\n'
printf '\033[2J\033[Hafter clear\n'
echo "on $(tty)"
read a
echo "got:$a"
read b
echo "got2:$b"
trap 'echo got-sigint; exit 7' INT
while :; do sleep 0.05; done
PROG
tui_start 100 30 "$VMATLAS" -d 0.3 -- sh "$TEST_TMP/prog.sh"
wait_for "^PID [0-9]+ sh running"
wait_for "^1 Layout 2 Maps 3 Pages 4 Sections 5 Stacks 6 COW 7 Tree 8 Faults 9 Output"
sleep 0.5
screen | head -n 1 | grep -Eq "^PID [0-9]+ sh running" || fail "the header left the first line"
screen | grep -Eq "plain line|after clear|red text" && fail "the program's output is on the Layout view"
ok "the program's output stays off the screen"

keys o
wait_for "^sh's terminal: 7 lines  i: type to it$"
screen | sed -n '4,10p' > "$TEST_TMP/out.txt"
printf '%s\n' 'plain line' 'red text' 'after osc' 'ctl\x01x \xffy' 'progress 100%' \
	'after clear' > "$TEST_TMP/want.txt"
sed -n 7p "$TEST_TMP/out.txt" | grep -Eq "^on /dev/pts/[0-9]+$" || fail "the program's tty: $(sed -n 7p "$TEST_TMP/out.txt")"
PANE_TTY=$(tm display -p -t t '#{pane_tty}')
sed -n 7p "$TEST_TMP/out.txt" | grep -q "^on $PANE_TTY$" && fail "the program runs on the screen's terminal"
sed -n '1,6p' "$TEST_TMP/out.txt" | diff "$TEST_TMP/want.txt" - || fail "the Output view's lines differ"
ok "Output view: sequences dropped, control bytes escaped, \\r rewrites a line, its own tty"

keys i
wait_for "^typing to sh: every key goes to it; Ctrl-\] returns to vmatlas$"
keys a b c Enter
wait_for "^got:abc$"
keys q Enter
wait_for "^got2:q$"
screen | grep -q '^EXIT=' && fail "q in input mode quit the screen"
ok "input mode: keys, q included, go to the program (echoed by its terminal)"
keys C-c
# The terminal echoes the interrupt as ^C (ECHOCTL), as any terminal does.
wait_for "^\^Cgot-sigint$"
wait_for "The process has exited"
screen | grep -q '^EXIT=' && fail "Ctrl-C in input mode quit the screen"
ok "input mode: Ctrl-C interrupts the program, not the screen"
wait_for "^sh's terminal: 12 lines, closed  i: type to it$"
ok "the program's terminal is closed: input mode ended"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
tui_stop

# The last 2000 lines are kept: Home shows line 501 of 2500 first.
tui_start 80 24 "$VMATLAS" -d 0.3 -- seq 1 2500
wait_for "^1 Layout .* 9 Output"
keys o
wait_for "^seq's terminal: 2000 lines \(the last ones kept\), closed  i: type to it$"
wait_for "^2500$"
keys Home
wait_for "^501$"
expect_eq "first line shown after Home" "$(screen | sed -n 4p)" 501
keys End
wait_for "^2500$"
ok "the last 2000 lines are kept and scroll"
keys i q
expect_eq "exit status" "$(tui_exit_status)" 0
tui_stop

# Watching a process vmatlas did not start: no Output tab, o does nothing.
start_target tuitarget
tui_start 140 30 "$VMATLAS" -d 0.3 "$TPID"
wait_for "^1 Layout 2 Maps 3 Pages 4 Sections 5 Stacks 6 COW 7 Tree 8 Faults +attached"
keys o 9
sleep 0.3
screen | grep -q "terminal:" && fail "an Output view for an attached process"
keys Tab Tab Tab Tab Tab Tab Tab Tab
wait_for "^ +[0-9a-f]+ +[a-z]+ +[0-9.]+[KMG] +r"
ok "no Output tab for an attached process; Tab skips it"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
tui_stop

# Not a screen: the program keeps the user's terminal.
tui_start 80 24 "$VMATLAS" snapshot --at-exit -o "$TEST_TMP/run.jsonl" -- sh -c "'echo on \$(tty)'"
wait_for "^EXIT=0"
PANE_TTY=$(tm display -p -t t '#{pane_tty}')
screen | grep -q "^on $PANE_TTY$" || fail "snapshot -- PROGRAM: the program is not on the user's terminal"
ok "snapshot -- PROGRAM keeps the user's terminal"
