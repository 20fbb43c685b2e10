#!/bin/sh
# A crafted unwind table cannot hang stacks: a CFA rule and a register
# rule whose DWARF expression jumps onto itself (DW_OP_skip -3) end those
# threads' backtraces with unwind_end "budget" after their first frame,
# the other thread is unwound whole, and the process is left running and
# untraced. The same through snapshot --stacks and view.
. "$TESTLIB"

start_target cfiloop
grep -q '^unsupported' "$READY" && skip "the crafted unwind table is x86-64 code"
treg=$(ready_value tid_reg) tplain=$(ready_value tid_plain)
q() { json_eval "$TEST_TMP/s.json" "$1"; }
thread() { q "[(t.get('unwind_end'), [f['symbol'] for f in t['frames']]) for t in d['threads'] if t['tid'] == $1][0]"; }

# The suite's timeout is what a hang would meet; unwinding takes ms.
timeout 60 "$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/s.json" || fail "stacks exited $?"
expect_eq "threads" "$(q 'len(d["threads"])')" 3
expect_eq "the looping CFA rule: one frame, then the budget" "$(thread "$TPID")" '["budget", ["spin_cfa"]]'
expect_eq "the looping register rule: one frame, then the budget" "$(thread "$treg")" '["budget", ["spin_reg"]]'
expect_eq "the ordinary thread, whole" "$(thread "$tplain")" \
	'[null, ["pause", "plain_wait", "thread_plain", "start_thread", "clone3"]]'
expect_eq "TracerPid after stacks" "$(proc_tracer "$TPID")" 0
threads_are "$TPID" S

timeout 60 "$VMATLAS" stacks "$TPID" > "$TEST_TMP/s.txt" || fail "stacks (text) exited $?"
expect_eq "the text says why, twice" \
	"$(grep -c '^  \.\.\. (unwinding stops: its budget of steps or time is spent' "$TEST_TMP/s.txt")" 2

timeout 60 "$VMATLAS" snapshot --stacks --format=json -o "$TEST_TMP/snap.json" "$TPID" || fail "snapshot --stacks exited $?"
"$VMATLAS" view --format=json "$TEST_TMP/snap.json" > "$TEST_TMP/back.json" || fail "view exited $?"
expect_eq "budget read back" \
	"$(json_eval "$TEST_TMP/back.json" 'sorted(str(t.get("unwind_end")) for t in d["processes"][0]["threads"])')" \
	'["None", "budget", "budget"]'
expect_eq "TracerPid after snapshot --stacks" "$(proc_tracer "$TPID")" 0
threads_are "$TPID" S
exit 0
