#!/bin/sh
# A library's bss tail that the kernel merged with the anonymous memory
# after it: the mapping is anon (most of it is not the library's), and its
# .bss is still placed by address: in the snapshot's sections and in addr.
. "$TESTLIB"

start_target bssmerge "$TARGETS/libbigbss.so"
bss=$(ready_value bss); merged=$(ready_value merged)
out=$TEST_TMP/snap.json
"$VMATLAS" snapshot --format=json "$TPID" > "$out" || fail "snapshot exited $?"
M="mapping(d['processes'][0],'$bss')"
expect_eq "the merged mapping ends after the 16 pages" "$(json_eval "$out" "int($M['end'],16) == $merged + 16 * 4096")" true
expect_eq "its kind" "$(json_eval "$out" "$M['kind']")" anon
expect_eq "its sections: the library's .bss, from its start to big_bss's end" \
	"$(json_eval "$out" "[[s['name'], s['start'] == $M['start'], int(s['end'],16) - $bss] for s in $M['sections']]")" '[[".bss", true, 1]]'
"$VMATLAS" addr --format=json "$TPID" "$bss" > "$TEST_TMP/addr.json" || fail "addr exited $?"
expect_eq "addr: section of big_bss" "$(json_eval "$TEST_TMP/addr.json" "d['section']")" .bss
expect_eq "addr: object of big_bss" "$(json_eval "$TEST_TMP/addr.json" "d['symbol']['object']")" "$TARGETS/libbigbss.so"
"$VMATLAS" addr --format=json "$TPID" "$merged" > "$TEST_TMP/addr2.json" || fail "addr exited $?"
expect_eq "addr: no section in the merged pages" "$(json_eval "$TEST_TMP/addr2.json" "d['section']")" null
"$VMATLAS" snapshot --sections "$TPID" | grep -q " \.bss$" || fail "snapshot --sections does not list the .bss"
ok "snapshot --sections lists the .bss under the merged mapping"
