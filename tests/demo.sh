#!/bin/sh
# vmatlas demo runs the bundled demo, shows both processes, and leaves
# nothing running.
. "$TESTLIB"

"$VMATLAS" demo --format=json > "$TEST_TMP/demo.json" || fail "demo exited $?"
expect_eq "two processes" "$(json_eval "$TEST_TMP/demo.json" "len(d['processes'])")" 2
expect_eq "parent of the child" "$(json_eval "$TEST_TMP/demo.json" "d['processes'][1]['ppid'] == d['processes'][0]['pid']")" true
for k in text rodata data bss heap stack anon file; do
	expect_eq "demo has $k" "$(json_eval "$TEST_TMP/demo.json" "'$k' in d['processes'][0]['totals']['by_kind']")" true
done
# The 32 MiB cow arena is fully written in the parent.
expect_eq "cow arena resident" "$(json_eval "$TEST_TMP/demo.json" "[m['pages']['resident'] for m in d['processes'][0]['mappings'] if m['pages']['total']==8192][0]")" 8192
for p in $(json_eval "$TEST_TMP/demo.json" "' '.join(str(p['pid']) for p in d['processes'])"); do
	for i in $(seq 1 50); do [ -d /proc/$p ] || break; sleep 0.1; done
	[ ! -d /proc/$p ] || fail "demo process $p still running after vmatlas demo"
done
ok "demo processes gone"
"$VMATLAS" demo --format=text > "$TEST_TMP/demo.txt" || fail "text demo exited $?"
grep -q '== heap ==' "$TEST_TMP/demo.txt" || fail "text demo has no heap area"
ok "text demo"
