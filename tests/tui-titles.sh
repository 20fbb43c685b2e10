#!/bin/sh
# The Tree view shows each process's title, its command line as ps shows it
# (arguments joined by spaces), escaped: three children that are all
# "sleep" to /proc/PID/comm are told apart by the titles they set, and one
# title's escape sequence is shown as \x1b. A snapshot file's Tree view has
# the titles of its processes too.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"
command -v bash >/dev/null || skip "bash is needed for exec -a"

cat > "$TEST_TMP/tree.sh" <<'PROG'
(exec -a "pg: worker 1" sleep 301) &
(exec -a "pg: worker 2" sleep 302) &
(exec -a "$(printf 'evil\033[31m')" sleep 303) &
wait
PROG
tui_start 140 30 "$VMATLAS" -d 0.3 -- bash "$TEST_TMP/tree.sh"
wait_for "^PID [0-9]+ bash running"
keys 7
wait_for "^ +PID +PPID +STATE .* PROCESS$"
root=$(screen | sed -n 's/^PID \([0-9]*\) .*/\1/p' | head -n 1)
wait_for "^ +$root +[0-9]+ [a-z]+ .* bash $TEST_TMP/tree\.sh  <- shown$"
wait_for "^ +[0-9]+ +$root [a-z]+ .* \`- pg: worker 1 301$"
wait_for "^ +[0-9]+ +$root [a-z]+ .* \`- pg: worker 2 302$"
wait_for "^ +[0-9]+ +$root [a-z]+ .* \`- evil\\\\x1b\[31m 303$"
ok "the Tree view tells the three sleeps apart by their titles, escaped"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
tui_stop

start_target tuitarget
"$VMATLAS" snapshot --format=json -o "$TEST_TMP/one.json" "$TPID" || fail "snapshot exited $?"
tui_start 220 30 "$VMATLAS" view "$TEST_TMP/one.json"
wait_for "^PID $TPID tuitarget"
keys 7
wait_for "^ +$TPID +[0-9]+ [a-z]+ .* tuitarget $READY  <- shown"
ok "a snapshot file's Tree view shows the saved command line"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
