#!/bin/sh
# Swapped pages are counted exactly, and addr names their swap slot (root:
# needs a private swap file).
. "$TESTLIB"

with_swap 256M
start_target layout pageout
out=$TEST_TMP/snap.json
a32=$(ready_value anon32)
for backend in auto pread; do
	"$VMATLAS" snapshot --backend=$backend --format=json "$TPID" > "$out" || fail "snapshot exited $?"
	expect_eq "$backend: anon32 swapped" "$(json_eval "$out" "mapping(d['processes'][0],'$a32')['pages']['swapped']")" 256
	expect_eq "$backend: anon32 resident" "$(json_eval "$out" "mapping(d['processes'][0],'$a32')['pages']['resident']")" 744
	swap=$(awk '/^Swap:/ {print $2}' "/proc/$TPID/smaps_rollup")
	expect_eq "$backend: swapped_kb = smaps_rollup Swap" "$(json_eval "$out" "d['processes'][0]['totals']['swapped_kb']")" "$swap"
	expect_eq "$backend: swap total" "$(json_eval "$out" "d['host']['swap_total_kb'] > 0")" true
done

# addr of a swapped page: its swap type and offset are pagemap's.
"$VMATLAS" addr --format=json "$TPID" "$a32" > "$TEST_TMP/addr.json" || fail "addr exited $?"
want=$(python3 -c 'import struct,sys
a=int(sys.argv[2],16)
with open("/proc/%s/pagemap"%sys.argv[1],"rb") as f:
    f.seek(a//4096*8); e=struct.unpack("<Q",f.read(8))[0]
assert e>>62&1, "not swapped"
print([e&31, hex(e>>5&((1<<50)-1))])' "$TPID" "$a32" | tr "'" '"')
expect_eq "addr: swapped" "$(json_eval "$TEST_TMP/addr.json" "[d['page']['present'], d['page']['swapped']]")" "[false, true]"
expect_eq "addr: swap type and offset" "$(json_eval "$TEST_TMP/addr.json" "[d['page']['swap_type'], d['page']['swap_offset']]")" "$want"
slot=$(json_eval "$TEST_TMP/addr.json" "'type %d, offset %s' % (d['page']['swap_type'], d['page']['swap_offset'])")
"$VMATLAS" addr "$TPID" "$a32" | grep -qF "swapped ($slot)" || fail "addr text does not say 'swapped ($slot)'"
ok "addr text says swapped ($slot)"
