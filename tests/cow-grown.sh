#!/bin/sh
# A child whose [stack] grew, a parent whose anonymous region grew
# downwards (a mapping merged below it): cow compares both over the range
# both have,
# and diff reports the growth as growth, not as one mapping removed and
# another added. cow of two processes that are not parent and child says so.
. "$TESTLIB"

start_target cowgrow
parent=$(ready_value parent); child=$(ready_value child); region=$(ready_value region)
before=$TEST_TMP/before.json after=$TEST_TMP/after.json
"$VMATLAS" snapshot --pages --format=json -o "$before" "$parent" "$child" || fail "snapshot before exited $?"
kill -USR1 "$parent" "$child"
for i in $(seq 1 100); do grep -q '^grown' "$READY" && grep -q '^merged' "$READY" && break; sleep 0.05; done
grep -q '^grown' "$READY" && grep -q '^merged' "$READY" || hard_error "the target did not grow"
"$VMATLAS" snapshot --pages --format=json -o "$after" "$parent" "$child" || fail "snapshot after exited $?"
expect_eq "the parent's region starts 16 pages lower (merged)" \
	"$(json_eval "$after" "hex(int(mapping(d['processes'][0],'$region')['start'],16))")" \
	"$(python3 -c "print(hex($region - 16 * 4096))")"

# cow: the region over the 64 pages both have, and the grown [stack].
"$VMATLAS" cow --format=json "$parent" "$child" > "$TEST_TMP/cow.json" || fail "cow exited $?"
expect_eq "cow: relation" "$(json_eval "$TEST_TMP/cow.json" "d['cow'][0]['relation']")" child
expect_eq "cow: region compared over the 64 pages both have" \
	"$(json_eval "$TEST_TMP/cow.json" "[[m['start'], (int(m['end'],16)-int(m['start'],16))//4096] for m in d['cow'][0]['mappings'] if int(m['start'],16) <= $region < int(m['end'],16)]")" \
	"[[\"$region\", 64]]"
stk=$(json_eval "$TEST_TMP/cow.json" "[m for m in d['cow'][0]['mappings'] if m['path'] == '[stack]']")
[ "$stk" != "[]" ] || fail "cow: no [stack] in the comparison"
pst=$(json_eval "$TEST_TMP/cow.json" "[m['start'] for m in d['processes'][0]['mappings'] if m['path'] == '[stack]'][0]")
cst=$(json_eval "$TEST_TMP/cow.json" "[m['start'] for m in d['processes'][1]['mappings'] if m['path'] == '[stack]'][0]")
[ -n "$pst" ] && [ -n "$cst" ] || fail "no [stack] in the snapshots"
[ "$((cst))" -lt "$((pst))" ] || fail "the child's stack did not grow ($cst, parent $pst)"
expect_eq "cow: [stack] compared from the parent's start" \
	"$(json_eval "$TEST_TMP/cow.json" "[m['start'] for m in d['cow'][0]['mappings'] if m['path'] == '[stack]']")" "[\"$pst\"]"
if [ "$(id -u)" = 0 ]; then
	expect_eq "cow (root): the region's 64 pages shared" \
		"$(json_eval "$TEST_TMP/cow.json" "[m['shared'] for m in d['cow'][0]['mappings'] if m['start'] == '$region']")" "[64]"
fi

# diff (one line per process): the parent's region and the child's stack
# grew; nothing removed or added.
"$VMATLAS" diff --format=json --pages "$before" "$after" > "$TEST_TMP/diff.jsonl" || fail "diff exited $?"
sed -n 1p "$TEST_TMP/diff.jsonl" > "$TEST_TMP/diff.json"
sed -n 2p "$TEST_TMP/diff.jsonl" > "$TEST_TMP/diffc.json"
expect_eq "diff: the first line compares the parent" "$(json_eval "$TEST_TMP/diff.json" "d['a']['pid']")" "$parent"
expect_eq "diff: child: nothing removed or added" \
	"$(json_eval "$TEST_TMP/diffc.json" "[m['start'] for m in d['removed'] + d['added']]")" "[]"
expect_eq "diff: nothing removed" "$(json_eval "$TEST_TMP/diff.json" "[m['start'] for m in d['removed']]")" "[]"
expect_eq "diff: nothing added" "$(json_eval "$TEST_TMP/diff.json" "[m['start'] for m in d['added']]")" "[]"
expect_eq "diff: the region grew, from its old start" \
	"$(json_eval "$TEST_TMP/diff.json" "[[c['changes'], c['a_start']] for c in d['changed'] if c['end'] == hex($region + 64 * 4096)]")" \
	"[[[\"grown\", \"pages\"], \"$region\"]]"
expect_eq "diff: the region's new pages" \
	"$(json_eval "$TEST_TMP/diff.json" "[[r['start'], r['pages'], r['from'], r['to']] for c in d['changed'] if c['end'] == hex($region + 64 * 4096) for r in c['ranges']]")" \
	"[[\"$(python3 -c "print(hex($region - 16 * 4096))")\", 15, \"unmapped\", \"not_present\"], [\"$(python3 -c "print(hex($region - 4096))")\", 1, \"unmapped\", \"resident\"]]"
expect_eq "diff: [stack] grew" \
	"$(json_eval "$TEST_TMP/diffc.json" "[c['changes'][0] for c in d['changed'] if c['path'] == '[stack]']")" '["grown"]'
"$VMATLAS" diff "$before" "$after" > "$TEST_TMP/diff.txt" || fail "diff (text) exited $?"
expect_eq "diff text: 0 added, 0 removed, for both processes" "$(grep -c "^0 added, 0 removed, " "$TEST_TMP/diff.txt")" 2

# Two processes that are not parent and child.
sh -c 'sleep 300 & echo $! > "$1"' sh "$TEST_TMP/other.pid"
other=$(cat "$TEST_TMP/other.pid"); TEST_PIDS="$TEST_PIDS $other"
"$VMATLAS" cow --format=json "$parent" "$other" > "$TEST_TMP/cow2.json" || fail "cow of unrelated exited $?"
rel=$(json_eval "$TEST_TMP/cow2.json" "d['cow'][0]['relation']")
case $rel in kin|unrelated) ok "cow: relation of two processes that are not parent and child: $rel" ;;
*) fail "cow: relation $rel" ;; esac
"$VMATLAS" cow "$parent" "$other" | grep -q "^relation: " || fail "cow text does not state the relation"
ok "cow text: $("$VMATLAS" cow "$parent" "$other" | grep "^relation: " | cut -c1-60)..."
"$VMATLAS" cow "$parent" "$child" | grep -q "^relation: " && fail "cow text states a relation for a child"
ok "cow text of a parent and child states none"
