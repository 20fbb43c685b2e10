#!/bin/bash
# A thread that cannot stop (a vfork parent waits uninterruptibly for its
# child) is passed over, and every output says so, while the other nine
# threads of tests/targets/threads.c are unwound: `stacks` (exit 0, text),
# `snapshot --stacks` (JSON unwind_end "not_stopped", no frames) and the
# live Stacks view. Everything runs on, untraced, and the thread goes on
# once its child exits.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target threads vfork
vtid=$(ready_value vfork_tid) child=$(ready_value vfork_child)
TEST_PIDS="$TEST_PIDS $child"
expect_eq "the vfork parent thread waits (D)" "$(proc_state "$vtid")" D
expect_eq "threads" "$(ls /proc/$TPID/task | wc -l)" 10

"$VMATLAS" stacks "$TPID" > "$TEST_TMP/out" 2> "$TEST_TMP/err" || fail "stacks: $(cat "$TEST_TMP/err")"
note="not unwound: the thread did not stop within 200 ms (uninterruptible sleep?)"
expect_eq "threads passed over (text)" "$(grep -c "^  (no frames: $note)\$" "$TEST_TMP/out")" 1
expect_eq "the thread passed over" "$(grep -B1 "^  (no frames: $note)" "$TEST_TMP/out" | sed -n 's/^thread \([0-9]*\) .*/\1/p')" "$vtid"
expect_eq "threads unwound into sleeper" "$(awk '/^thread /{t=$2} / sleeper\+0x/{print t}' "$TEST_TMP/out" | sort -u | wc -l)" 9
threads_are "$TPID" SRD

"$VMATLAS" snapshot --stacks --format=json -o "$TEST_TMP/s.json" "$TPID" || fail "snapshot --stacks"
expect_eq "JSON: not_stopped threads" "$(json_eval "$TEST_TMP/s.json" '[t["tid"] for t in d["processes"][0]["threads"] if t.get("unwind_end") == "not_stopped"]')" "[$vtid]"
expect_eq "JSON: its frames" "$(json_eval "$TEST_TMP/s.json" '[len(t["frames"]) for t in d["processes"][0]["threads"] if t["tid"] == '"$vtid"']')" "[0]"
expect_eq "JSON: whole backtraces" "$(json_eval "$TEST_TMP/s.json" 'len([t for t in d["processes"][0]["threads"] if "unwind_end" not in t and t["frames"]])')" 9
"$VMATLAS" view --format=text "$TEST_TMP/s.json" > "$TEST_TMP/view" 2>&1 || fail "view: $(cat "$TEST_TMP/view")"
expect_eq "read back: threads passed over" "$(grep -c "^  (no frames: $note)\$" "$TEST_TMP/view")" 1
threads_are "$TPID" SRD

tui_start 160 50 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^1 Layout" 10
keys 5
wait_for "sleeper\+0x" 10
keys End
wait_for "no frames \(not unwound: the thread did not stop within 200 ms" 10
expect_eq "the Stacks view: the thread passed over" \
	"$(screen | grep -B1 "no frames ($note)" | sed -n 's/^thread \([0-9]*\) .*/\1/p')" "$vtid"
quit_leaves_sleeping
threads_are "$TPID" SRD
kill "$child"
threads_are "$TPID" SR
ok "the vfork parent runs on once its child exits, untraced"
exit 0
