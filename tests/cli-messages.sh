#!/bin/bash
# Messages that say what happened, one line each with a non-zero exit:
# a full disk is "No space left on device" (not an I/O error); `-o ""`
# names no file (not "Is a directory"); `--interval 0.0001` gives the
# range it accepts; a snapshot file whose "processes" list is empty says
# so (it printed nothing and exited 0); `stacks` on a process whose thread
# sleeps uninterruptibly (a vfork parent, tests/targets/dstate.c) names
# that thread and its D state (it said "Connection timed out").
. "$TESTLIB"

# cow into a full disk.
sh -c 'sleep 60 & wait' &
P=$!
TEST_PIDS="$TEST_PIDS $P"
for i in $(seq 1 100); do C=$(tr -d ' ' < "/proc/$P/task/$P/children" 2> /dev/null); [ -n "$C" ] && break; sleep 0.05; done
[ -n "$C" ] || hard_error "no child to compare"
TEST_PIDS="$TEST_PIDS $C"
for fmt in text json; do
	"$VMATLAS" cow --format=$fmt "$P" "$C" > /dev/full 2> "$TEST_TMP/err"
	rc=$?
	[ "$rc" = 1 ] || fail "cow --format=$fmt > /dev/full: exit $rc"
	[ "$(wc -l < "$TEST_TMP/err")" = 1 ] && grep -q "No space left on device" "$TEST_TMP/err" ||
		fail "cow --format=$fmt > /dev/full: $(cat "$TEST_TMP/err")"
	ok "cow --format=$fmt > /dev/full: $(cat "$TEST_TMP/err")"
done

cd "$TEST_TMP" || hard_error "no test directory"
expect_error "snapshot -o ''" 2 "an empty one names no file" snapshot -o "" "$P"
expect_error "cow -o ''" 2 "an empty one names no file" cow -o "" "$P" "$C"
expect_error "view -o ''" 2 "an empty one names no file" view -o "" x.json
[ -z "$(ls -A "$TEST_TMP" | grep -v '^out$\|^err$')" ] || fail "-o '' left $(ls -A "$TEST_TMP")"
expect_error "--interval 0.0001" 2 "from 0.001 (one millisecond)" snapshot --interval 0.0001 -o t.jsonl "$P"
expect_error "--interval 0" 2 "from 0.001 (one millisecond)" snapshot --interval 0 -o t.jsonl "$P"

printf '%s\n' '{"format":"vmatlas-snapshot","version":1,"taken_at":"2026-01-01T00:00:00.000Z","live":false,"host":{"kernel":"x","machine":"x","page_size":4096,"pfn_visible":false},"processes":[]}' > empty.json
expect_error "view of a snapshot without processes" 1 'empty.json: the snapshot holds no process' view --format=text empty.json
expect_error "view (json) of a snapshot without processes" 1 'the snapshot holds no process' view --format=json empty.json

# stacks on a vfork parent, in D state until its child exits.
start_target dstate
DC=$(ready_value child)
TEST_PIDS="$TEST_PIDS $DC"
expect_eq "the vfork parent" "$(proc_state "$TPID")" D
# Unwound a thread at a time, the D-state thread may be passed over
# (exit 0); a refusal must name it.
"$VMATLAS" stacks "$TPID" > "$TEST_TMP/out" 2> "$TEST_TMP/err"
rc=$?
case $rc in
0) ok "stacks on a D-state process: exit 0" ;;
1) grep -q "thread $TPID of process $TPID is in uninterruptible sleep (D state" "$TEST_TMP/err" ||
	fail "stacks on a D-state process: $(cat "$TEST_TMP/err")"
   ok "stacks on a D-state process: $(cat "$TEST_TMP/err")" ;;
*) fail "stacks on a D-state process: exit $rc" ;;
esac
THREADS_CONTEXT="after stacks: " threads_are "$TPID" D
kill -KILL "$DC"
exit 0
