#!/bin/sh
# Transparent huge pages are counted exactly (as the kernel's AnonHugePages).
. "$TESTLIB"

grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null &&
	skip "transparent huge pages are disabled on this machine"
[ -r /sys/kernel/mm/transparent_hugepage/enabled ] || skip "no transparent huge page support"
start_target thp
addr=$(ready_value thp)
start=$(printf '%x' "$addr")
ahp=$(awk -v s="$start" '$1 ~ "^"s"-" {m=1} m && /^AnonHugePages:/ {print $2; exit}' "/proc/$TPID/smaps")
[ "${ahp:-0}" -gt 0 ] || skip "the kernel gave the target no huge page (memory fragmented?)"
"$VMATLAS" snapshot --format=json "$TPID" > "$TEST_TMP/s.json" || fail "snapshot exited $?"
thp=$(json_eval "$TEST_TMP/s.json" "mapping(d['processes'][0],'$addr')['pages'].get('thp')")
[ "$thp" = None ] && skip "THP state not visible here (no PAGEMAP_SCAN and not root)"
expect_eq "thp pages = AnonHugePages" "$thp" "$((ahp / 4))"
expect_eq "resident" "$(json_eval "$TEST_TMP/s.json" "mapping(d['processes'][0],'$addr')['pages']['resident']")" 2048
"$VMATLAS" snapshot --format=json --pages "$TPID" > "$TEST_TMP/p.json" || fail "snapshot --pages exited $?"
expect_eq "runs say thp" "$(json_eval "$TEST_TMP/p.json" "sum(n for s,n in runs(mapping(d['processes'][0],'$addr')) if s=='thp')")" "$((ahp / 4))"
