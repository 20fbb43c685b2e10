#!/bin/bash
# A reader that goes away: `vmatlas snapshot ... PID | head -1` with an output
# far larger than a pipe holds. vmatlas exits 141 (128 + SIGPIPE) and every
# target it attached to is left as found, running or stopped, untraced.
# Also: vmatlas refuses to trace itself, through the binary.
. "$TESTLIB"

# 3000 mappings: the text output is several hundred KiB.
start_target hostile many 3000
"$VMATLAS" snapshot "$TPID" > "$TEST_TMP/full.txt" || fail "snapshot"
size=$(wc -c < "$TEST_TMP/full.txt")
[ "$size" -gt 262144 ] || hard_error "output of $size bytes would fit in a pipe"

for state in running stopped; do
	if [ $state = stopped ]; then
		kill -STOP "$TPID"
		threads_are "$TPID" T
		want=T
	else
		want=SR
	fi
	for opts in "--freeze" "--stacks" "--freeze --stacks" "--freeze --format=json --pages"; do
		"$VMATLAS" snapshot $opts "$TPID" 2> "$TEST_TMP/err" | head -n 1 > "$TEST_TMP/first"
		rc=${PIPESTATUS[0]}
		expect_eq "exit status of snapshot $opts | head -1 ($state target)" "$rc" 141
		[ -s "$TEST_TMP/first" ] || fail "snapshot $opts: head read nothing"
		[ -s "$TEST_TMP/err" ] && fail "snapshot $opts: said $(cat "$TEST_TMP/err")"
		THREADS_CONTEXT="after snapshot $opts | head -1: " threads_are "$TPID" "$want"
		sleep 0.1
		THREADS_CONTEXT="0.1 s after snapshot $opts | head -1: " threads_are "$TPID" "$want"
	done
	if [ $state = stopped ]; then
		kill -CONT "$TPID"
		threads_are "$TPID" SR
		ok "SIGCONT resumes the target"
	fi
done

# vmatlas's own pid: refused before anything is stopped.
for cmd in "snapshot --freeze" "snapshot --stacks" "stacks"; do
	sh -c 'exec "$0" '"$cmd"' $$' "$VMATLAS" > /dev/null 2> "$TEST_TMP/err"
	rc=$?
	expect_eq "exit status of $cmd of itself" "$rc" 1
	grep -Eq '^vmatlas: [-a-z]+: refusing to trace process [0-9]+: it is itself$' "$TEST_TMP/err" ||
		fail "$cmd of itself: $(cat "$TEST_TMP/err")"
	ok "$(cat "$TEST_TMP/err")"
done
exit 0
