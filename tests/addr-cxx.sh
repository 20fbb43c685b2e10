#!/bin/sh
# vmatlas addr on a C++ program built at -O2: an address in the padding
# between two functions has no symbol (as gdb's "info symbol" says), a
# label without a size is named only as the nearest symbol below, and C++
# names with spaces are symbol names. Unknown names and offsets past the
# end of the address space are reported while the other arguments are
# still printed.
. "$TESTLIB"

command -v nm >/dev/null || skip "nm (binutils) is not installed"
start_target cxxpad
C=$TARGETS/cxxpad
bias=0x$(awk -v p="$C" '$6 == p && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' "/proc/$TPID/maps")
[ "$bias" != 0x ] || hard_error "no offset-0 mapping of $C"
nm_c() { nm -C "$C" | awk -v s="$1" '{ v = $1; $1 = ""; $2 = ""; sub(/^  /, ""); if ($0 == s) { print v; exit } }'; }
at() { printf '0x%x' $((bias + 0x$1 + ${2:-0})); }

# 1. Every byte of padding after a sized function of .text, up to the next
# symbol: nm -S gives the extents.
nm -S --defined-only "$C" > "$TEST_TMP/nm"
readelf -SW "$C" | awk '$2 == ".text" { print $4, $6 }' > "$TEST_TMP/text"
python3 - "$TEST_TMP/nm" "$TEST_TMP/text" "$bias" > "$TEST_TMP/pad" <<'PY' || hard_error "cannot list padding"
import sys
start, size = (int(x, 16) for x in open(sys.argv[2]).read().split())
bias = int(sys.argv[3], 16)
syms = []
for l in open(sys.argv[1]):
    f = l.split()
    if len(f) == 4 and f[2] in "tTwW":
        syms.append((int(f[0], 16), int(f[1], 16)))
    elif len(f) == 3 and f[1] in "tTwW":
        syms.append((int(f[0], 16), 0))
syms.sort()
for i, (a, s) in enumerate(syms):
    nxt = syms[i + 1][0] if i + 1 < len(syms) else start + size
    if s and start <= a and a + s < nxt <= start + size:
        for x in range(a + s, nxt):
            print(hex(bias + x))
PY
npad=$(wc -l < "$TEST_TMP/pad")
[ "$npad" -ge 10 ] || hard_error "only $npad padding bytes in $C: not built with alignment?"
"$VMATLAS" addr --format=json "$TPID" $(cat "$TEST_TMP/pad") > "$TEST_TMP/a.json" || fail "addr on padding exited $?"
expect_eq "padding bytes with a symbol (of $npad)" \
	"$(json_eval "$TEST_TMP/a.json" 'sum(1 for x in d if x["symbol"] is not None)')" 0
"$VMATLAS" addr "$TPID" "$(head -n 1 "$TEST_TMP/pad")" | grep -q '^  symbol: *none (no symbol covers this address)$' ||
	fail "the text does not say that no symbol covers a padding byte"
ok "the text says no symbol covers a padding byte"

# 2. frame_dummy has no size (crtstuff.c): the bytes after it, up to the
# next symbol, are named after it only as the nearest below.
fd=$(nm "$C" | awk '$3 == "frame_dummy" { print $1 }')
[ -n "$fd" ] || hard_error "no frame_dummy in $C"
"$VMATLAS" addr --format=json "$TPID" "$(at "$fd" 1)" "$(at "$(nm_c 'app::detail::build_index(unsigned long)')" 16)" > "$TEST_TMP/a.json"
expect_eq "after a symbol without a size" \
	"$(json_eval "$TEST_TMP/a.json" '[d[0]["symbol"][k] for k in ("name", "offset", "size", "nearest")]')" \
	'["frame_dummy", "0x1", "0x0", true]'
expect_eq "inside a sized function" \
	"$(json_eval "$TEST_TMP/a.json" '[d[1]["symbol"][k] for k in ("name", "offset", "size", "nearest")]')" \
	'["app::detail::build_index(unsigned long)", "0x10", "0x31", false]'
"$VMATLAS" addr "$TPID" "$(at "$fd" 1)" | grep -q '^  symbol: *frame_dummy+0x1 in .* (nearest below: the symbol has no size)$' ||
	fail "the text does not mark frame_dummy+0x1 as the nearest symbol below"
ok "the text marks frame_dummy+0x1 as the nearest below"

# 3. gdb's minimal symbols say the same for every byte of padding.
if command -v gdb >/dev/null; then
	: > "$TEST_TMP/gdb.cmd"
	for a in $(cat "$TEST_TMP/pad") "$(at "$fd" 1)"; do echo "info symbol $a" >> "$TEST_TMP/gdb.cmd"; done
	gdb -nx -batch -p "$TPID" -x "$TEST_TMP/gdb.cmd" 2>/dev/null |
		grep -E '^No symbol matches|^[^ ].* in section ' > "$TEST_TMP/gdb.out"
	expect_eq "gdb answers" "$(wc -l < "$TEST_TMP/gdb.out")" $((npad + 1))
	expect_eq "gdb: padding bytes with no symbol" "$(head -n "$npad" "$TEST_TMP/gdb.out" | grep -c '^No symbol matches')" "$npad"
	expect_eq "gdb: after frame_dummy" "$(tail -n 1 "$TEST_TMP/gdb.out" | sed 's/ in section.*//')" "frame_dummy + 1"
	expect_eq "TracerPid after gdb" "$(proc_tracer "$TPID")" 0
else
	echo "gdb not installed: comparison with gdb skipped"
fi

# 4. C++ names with spaces, with and without the parameter list, + OFFSET.
for v in "app::detail::build_index(unsigned long)=0x$(ready_value build_index)" \
	 "app::detail::build_index=0x$(ready_value build_index)" \
	 "(anonymous namespace)::f()=0x$(ready_value f)" \
	 "Ring<double, 16>::push(double)=$(at "$(nm_c 'Ring<double, 16>::push(double)')")" \
	 "Ring<double, 16>::push(double)+0x4=$(at "$(nm_c 'Ring<double, 16>::push(double)')" 4)"; do
	name=${v%=*} want=${v##*=}
	"$VMATLAS" addr --format=json "$TPID" "$name" > "$TEST_TMP/a.json" || fail "addr '$name' exited $?"
	expect_eq "address of '$name'" "$(json_eval "$TEST_TMP/a.json" 'd["address"]')" "$want"
done
expect_eq "symbol at 'Ring<double, 16>::push(double)+0x4'" \
	"$(json_eval "$TEST_TMP/a.json" 'd["symbol"]["name"] + "+" + d["symbol"]["offset"]')" "Ring<double, 16>::push(double)+0x4"

# 5. One unknown name among several: reported, the others printed, exit 1.
"$VMATLAS" addr --format=json "$TPID" main no_such_function 'Ring<double, 16>::push(double)' \
	> "$TEST_TMP/a.json" 2> "$TEST_TMP/err"
expect_eq "exit status with one unknown name" $? 1
expect_eq "stderr" "$(cat "$TEST_TMP/err")" "vmatlas: addr: no symbol 'no_such_function' in process $TPID"
expect_eq "the two others printed" "$(json_eval "$TEST_TMP/a.json" '[x["address"] for x in d]')" \
	"[\"$(at "$(nm_c main)")\", \"$(at "$(nm_c 'Ring<double, 16>::push(double)')")\"]"
"$VMATLAS" addr "$TPID" main no_such_function > "$TEST_TMP/out" 2>/dev/null
expect_eq "text: exit status with one unknown name" $? 1
expect_eq "text: the other printed" "$(head -n 1 "$TEST_TMP/out")" "$(at "$(nm_c main)") (main)"

# 6. An offset that would wrap around is refused, not wrapped.
expect_error "main+0xffffffffffffffff" 1 "'main+0xffffffffffffffff' is past the end of the address space" \
	addr "$TPID" 'main+0xffffffffffffffff'
expect_error "an offset too large for 64 bits" 2 "is not an address" addr "$TPID" 'main+0x10000000000000000'
exit 0
