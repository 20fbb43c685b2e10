#!/bin/bash
# A process that execs during a snapshot is neither "exited", "a zombie"
# nor "another process": for a moment during an exec by a thread other
# than the leader, /proc/PID is a zombie leader with an empty map, and a
# snapshot then reads through the thread that exec'd, or once more. 150
# snapshots of a process whose second thread execs it 40 times a second
# (tests/targets/execloop.c) all succeed, each a whole document of that
# pid. A failure would have to say it exec'd.
. "$TESTLIB"

start_target execloop
fails=0
for i in $(seq 1 150); do
	if "$VMATLAS" snapshot --format=json -o "$TEST_TMP/s.json" --force "$TPID" 2> "$TEST_TMP/err"; then
		expect_eq "snapshot $i: its pid" "$(json_eval "$TEST_TMP/s.json" 'd["processes"][0]["pid"]')" "$TPID" > /dev/null
	else
		grep -q "exec'd" "$TEST_TMP/err" || fail "snapshot $i: $(cat "$TEST_TMP/err")"
		fails=$((fails + 1))
	fi
done
gen=$(sed -n 's/^gen=0*//p' "$READY.gen")
ok "150 snapshots across ${gen:-0} execs: $((150 - fails)) whole, $fails said it exec'd twice"
[ "$fails" -le 3 ] || fail "$fails of 150 snapshots gave up"
exit 0
