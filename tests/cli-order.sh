#!/bin/sh
# A command's options may follow its operands; after "--" everything is an
# operand, and a launched PROGRAM's options stay its own.
. "$TESTLIB"

start_target layout
a32=$(ready_value anon32)
P='d["processes"][0]'

"$VMATLAS" snapshot "$TPID" -o "$TEST_TMP/after.json" --format json --exclusive ||
	fail "snapshot PID -o FILE --format json exited $?"
expect_eq "options after the PID: pid" "$(json_eval "$TEST_TMP/after.json" "$P['pid']")" "$TPID"
expect_eq "options after the PID: anon32 resident" \
	"$(json_eval "$TEST_TMP/after.json" "mapping($P,'$a32')['pages']['resident']")" 1000
expect_eq "options after the PID: --exclusive" \
	"$(json_eval "$TEST_TMP/after.json" "mapping($P,'$a32')['pages'].get('exclusive')")" 1000

"$VMATLAS" view "$TEST_TMP/after.json" --format json > "$TEST_TMP/view.json" ||
	fail "view FILE --format json exited $?"
expect_eq "view FILE --format json" "$(json_eval "$TEST_TMP/view.json" "$P['pid']")" "$TPID"

"$VMATLAS" addr "$TPID" "$a32" --format json > "$TEST_TMP/addr.json" ||
	fail "addr PID ADDR --format json exited $?"
expect_eq "addr PID ADDR --format json" \
	"$(json_eval "$TEST_TMP/addr.json" "d['mapping']['kind']")" anon

expect_error "an option after --" 2 "'-f' is not a process ID" snapshot -- "$TPID" -f json
expect_error "a PID before --" 2 "'--' is not a process ID" snapshot "$TPID" -- /bin/true
expect_error "a PID before -- PROGRAM" 2 "apply to a launched program" snapshot "$TPID" --at-exit -o "$TEST_TMP/x.jsonl" -- /bin/true
[ ! -e "$TEST_TMP/x.jsonl" ] || fail "a refused command line left $TEST_TMP/x.jsonl"

# -f and json after "--" are echo's, not vmatlas's.
"$VMATLAS" snapshot --at-exit -o "$TEST_TMP/echo.jsonl" -- /bin/echo -f json > "$TEST_TMP/echo.out" ||
	fail "snapshot -- echo -f json exited $?"
expect_eq "PROGRAM's own options" "$(cat "$TEST_TMP/echo.out")" "-f json"
