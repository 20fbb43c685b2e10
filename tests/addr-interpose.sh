#!/bin/sh
# vmatlas addr NAME looks a name up as the dynamic linker binds it: in a
# program linked with libmymalloc.so (before libc, as with -ljemalloc),
# "malloc" is libmymalloc's, the one the program calls, although libc's
# lies lower in the address space. The order comes from the link map read
# from the running target; a static program has none, and says so.
. "$TESTLIB"

start_target interpose
want=0x$(ready_value malloc)
"$VMATLAS" addr --format=json "$TPID" malloc > "$TEST_TMP/a.json" || fail "addr malloc exited $?"
q() { json_eval "$TEST_TMP/a.json" "$1"; }
expect_eq "malloc: the address the program calls" "$(q 'd["address"]')" "$want"
expect_eq "malloc: its object" "$(q 'd["symbol"]["object"]')" "$TARGETS/libmymalloc.so"
expect_eq "malloc: name and offset" "$(q 'd["symbol"]["name"] + "+" + d["symbol"]["offset"]')" "malloc+0x0"
expect_eq "malloc: looked up in link-map order" "$(q 'd["lookup"]')" link_map

# The case is real: libc is mapped below libmymalloc and defines malloc too.
libc=$(awk '$6 ~ /\/libc\.so/ { print $6; exit }' "/proc/$TPID/maps")
[ -n "$libc" ] || hard_error "no libc in the target"
lo() { awk -v p="$1" '$6 == p { split($1, a, "-"); print a[1]; exit }' "/proc/$TPID/maps"; }
[ $((0x$(lo "$libc"))) -lt $((0x$(lo "$TARGETS/libmymalloc.so"))) ] ||
	hard_error "libc is not mapped below libmymalloc.so: the lookup order is not tested"
nm -D --defined-only "$libc" | grep -q ' T malloc@' || hard_error "$libc defines no malloc"
ok "libc ($libc) is mapped lower and defines malloc too"
"$VMATLAS" addr "$TPID" malloc > "$TEST_TMP/out" || fail "addr malloc (text) exited $?"
grep -q '^  lookup:' "$TEST_TMP/out" && fail "the text speaks of the lookup order when it is the link map's"
ok "the text says nothing of the order when the link map was read"

if command -v gdb >/dev/null; then
	g=$(gdb -nx -batch -p "$TPID" -ex 'info address malloc' 2>/dev/null | sed -n 's/.* at address \(0x[0-9a-f]*\)\.$/\1/p')
	expect_eq "gdb: address of malloc" "$g" "$want"
	expect_eq "TracerPid after gdb" "$(proc_tracer "$TPID")" 0
else
	echo "gdb not installed: comparison with gdb skipped"
fi

# A static program has no link map: the order of its mappings, said so.
start_target symbols-static
"$VMATLAS" addr --format=json "$TPID" vm_known_func > "$TEST_TMP/a.json" || fail "addr in a static program exited $?"
expect_eq "static: the function" "$(q 'd["address"]')" "0x$(ready_value func)"
expect_eq "static: looked up in the mappings' order" "$(q 'd["lookup"]')" mappings
"$VMATLAS" addr "$TPID" vm_known_func | grep -q '^  lookup: *in the order of the mappings (no link map could be read)$' ||
	fail "the text does not say the link map could not be read"
ok "the text says the link map could not be read"
exit 0
