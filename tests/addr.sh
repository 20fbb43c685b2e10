#!/bin/sh
# vmatlas addr on a target with known symbols: a function, globals in .data
# and .bss, a libc function, the vdso, C++ names, a stripped copy (.dynsym only),
# an executable deleted or replaced after start, separate debug files
# (build-id and .gnu_debuglink), the page-table
# indices, and the physical address as pagemap says (root).
. "$TESTLIB"

addr_json() { "$VMATLAS" addr --format=json "$@" > "$TEST_TMP/a.json" || fail "addr $* failed"; }
q() { json_eval "$TEST_TMP/a.json" "$1"; }

# bias_of PID PATH: load bias of PATH in PID (its first PT_LOAD is at 0).
bias_of() { awk -v p="$2" '$6 == p && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' "/proc/$1/maps"; }
# nm_value FILE SYMBOL [nm options]: the symbol's value (hex, no 0x).
nm_value() { f=$1 s=$2; shift 2; nm "$@" "$f" | awk -v s="$s" '$3 == s { print $1; exit }'; }
hexadd() { printf '0x%x' $((0x$1 + 0x$2)); }

start_target symbols
T=$TARGETS/symbols
func=0x$(ready_value func) data=0x$(ready_value data) bss=0x$(ready_value bss) getpid=0x$(ready_value getpid)
bias=$(bias_of "$TPID" "$T")
[ -n "$bias" ] || hard_error "no offset-0 mapping of $T"

# 1. Symbols and sections of the executable agree with nm and with the target.
for v in "$func vm_known_func .text" "$data vm_data_var .data" "$bss vm_bss_var .bss"; do
	set -- $v
	expect_eq "nm value of $2 + load bias" "$(hexadd "$(nm_value "$T" "$2")" "$bias")" "$1"
	addr_json "$TPID" "$1"
	expect_eq "symbol at $1" "$(q 'd["symbol"]["name"]')" "$2"
	expect_eq "offset at $1" "$(q 'd["symbol"]["offset"]')" "0x0"
	expect_eq "object of $2" "$(q 'd["symbol"]["object"]')" "$T"
	expect_eq "section of $2" "$(q 'd["section"]')" "$3"
	addr_json "$TPID" "$2+0x2"
	expect_eq "address of $2+0x2" "$(q 'd["address"]')" "$(printf '0x%x' $(($1 + 2)))"
	expect_eq "symbol of $2+0x2" "$(q 'd["symbol"]["name"] + "+" + d["symbol"]["offset"]')" "$2+0x2"
done
addr_json "$TPID" "$func"
expect_eq "kind of the function's mapping" "$(q 'd["mapping"]["kind"]')" "text"
expect_eq "perms of the function's mapping" "$(q 'd["mapping"]["perms"]')" "r-xp"

# 2. A libc function: the address the target took, and a name nm lists there.
addr_json "$TPID" getpid
expect_eq "address of getpid" "$(q 'd["address"]')" "$getpid"
sym=$(q 'd["symbol"]["name"]') obj=$(q 'd["symbol"]["object"]')
libc_bias=$(bias_of "$TPID" "$obj")
aliases=$(nm -D --defined-only "$obj" | awk -v v="$(printf '%016x' $((getpid - 0x$libc_bias)))" '$1 == v { sub(/@.*/, "", $3); print $3 }')
echo "$aliases" | grep -qx "$sym" || fail "getpid: '$sym' is not a name nm gives for $getpid ($aliases)"
ok "getpid is $sym in $obj, one of: $(echo $aliases)"

# 3. gdb's minimal symbols agree.
if command -v gdb >/dev/null; then
	gdb_sym() { gdb -nx -batch -p "$TPID" -ex "info symbol $1" 2>/dev/null | grep ' in section ' | head -n 1; }
	for v in "$func vm_known_func" "$data vm_data_var" "$bss vm_bss_var"; do
		set -- $v
		expect_eq "gdb: info symbol $1" "$(gdb_sym "$1" | awk '{print $1}')" "$2"
	done
	g=$(gdb_sym "$getpid" | awk '{print $1}')
	echo "$aliases" | grep -qx "$g" || fail "gdb names getpid '$g', not one of nm's"
	ok "gdb names getpid $g (vmatlas: $sym), same address"
	expect_eq "TracerPid after gdb" "$(proc_tracer "$TPID")" 0
else
	echo "gdb not installed: comparison with gdb skipped"
fi

# 4. Page-table indices, computed here independently.
addr_json "$TPID" "$data"
a=$((data))
if grep -qw la57 /proc/cpuinfo; then
	expect_eq "pgd (5-level)" "$(q 'd["page_table"]["pgd"]')" $(((a >> 48) & 511))
	expect_eq "p4d" "$(q 'd["page_table"]["p4d"]')" $(((a >> 39) & 511))
else
	expect_eq "pgd" "$(q 'd["page_table"]["pgd"]')" $(((a >> 39) & 511))
fi
expect_eq "pud" "$(q 'd["page_table"]["pud"]')" $(((a >> 30) & 511))
expect_eq "pmd" "$(q 'd["page_table"]["pmd"]')" $(((a >> 21) & 511))
expect_eq "pte" "$(q 'd["page_table"]["pte"]')" $(((a >> 12) & 511))
expect_eq "page offset" "$(q 'd["page_table"]["offset"]')" $((a & 4095))
expect_eq "written .data page present" "$(q 'd["page"]["present"]')" true
expect_eq "written private .data page exclusive" "$(q 'd["page"]["exclusive"]')" true
# soft_dirty: set on a written page, left out where the kernel keeps no
# soft-dirty bits (CONFIG_MEM_SOFT_DIRTY; bit 55 is then always clear).
[ "$(kernel_soft_dirty)" = yes ] && sd=true || sd=absent
expect_eq "written .data page soft_dirty" "$(q 'str(d["page"].get("soft_dirty", "absent")).lower()')" "$sd"

# 5. As root: the physical address is what pagemap says.
if [ "$(id -u)" = 0 ]; then
	phys=$(python3 -c 'import struct,sys
pid,a=int(sys.argv[1]),int(sys.argv[2],16)
with open("/proc/%d/pagemap"%pid,"rb") as f:
    f.seek(a//4096*8); e=struct.unpack("<Q",f.read(8))[0]
assert e>>63&1, "not present"
print(hex((e&((1<<55)-1))*4096 + a%4096))' "$TPID" "$data")
	expect_eq "physical address of vm_data_var" "$(q 'd["page"]["physical"]')" "$phys"
	# kpagecount and the flags that do not change while the page sits
	# still (mmap, anon, swapbacked, ...; not lru/active/referenced),
	# read here from /proc/kpageflags (include/uapi/linux/kernel-page-flags.h).
	kp=$(python3 -c 'import struct,sys
pfn=int(sys.argv[1],16)
def rd(path):
    with open(path, "rb") as f:
        f.seek(pfn * 8); return struct.unpack("<Q", f.read(8))[0]
fl,cnt=rd("/proc/kpageflags"),rd("/proc/kpagecount")
names={11:"mmap",12:"anon",14:"swapbacked",15:"compound_head",21:"ksm",22:"thp",24:"zero_page"}
print(cnt, ",".join(n for b,n in sorted(names.items()) if fl>>b&1))' "$(q 'd["page"]["pfn"]')")
	expect_eq "mapcount and stable kpageflags of vm_data_var's page" \
		"$(q 'str(d["page"]["mapcount"]) + " " + ",".join(f for f in d["page"]["flags"] if f in ("mmap","anon","swapbacked","compound_head","ksm","thp","zero_page"))')" \
		"$kp"
	expect_eq "written private .data page: anon, mapped once" "$kp" "1 mmap,anon,swapbacked"
else
	expect_eq "no physical address without root" "$(q '"physical" in d["page"]')" false
fi

# 6. An address in no mapping, beside a mapped one; bad syntax; no symbol.
addr_json "$TPID" 0x10 "$func"
expect_eq "unmapped address" "$(q 'd[0]["mapping"]')" null
expect_eq "the other address still" "$(q 'd[1]["symbol"]["name"]')" vm_known_func
"$VMATLAS" addr "$TPID" 0x10 | grep -q 'mapping: *none' || fail "text does not say the address is unmapped"
for bad in 0xzz 12abz '+4' 'main+0xzz' 'main+12q' ''; do
	"$VMATLAS" addr "$TPID" "$bad" > /dev/null 2> "$TEST_TMP/err"
	expect_eq "exit status for '$bad'" $? 2
	expect_eq "one line on stderr for '$bad'" "$(wc -l < "$TEST_TMP/err")" 1
done
# A number is hex with or without 0x, as maps and the screen print it
# ("10" is 0x10, never ten); a name of hex digits only is a symbol when
# one has it, else that address.
for a in "${func#0x}" "$(printf '%x' $((func + 16)))"; do
	addr_json "$TPID" "$a"
	expect_eq "bare hex $a is 0x$a" "$(q 'd["address"]')" "0x$a"
done
addr_json "$TPID" 10
expect_eq "bare 10 is 0x10" "$(q 'd["address"]')" 0x10
addr_json "$TPID" beef
expect_eq "beef (no such symbol) is 0xbeef" "$(q 'd["address"] + " " + str(d["mapping"]) + " " + str("lookup" in d)')" "0xbeef None False"
"$VMATLAS" addr "$TPID" beef | head -n 1 | grep -qx '0xbeef' || fail "text of beef as an address: $("$VMATLAS" addr "$TPID" beef | head -n 1)"
# Anything not starting with a digit is a name: a "+" not followed by a
# digit is part of it.
for name in no_such_symbol_here 'vm_known_func+' 'main+xyz'; do
	expect_error "unknown symbol '$name'" 1 "no symbol '$name' in process $TPID" addr "$TPID" "$name"
done

# 6a. A limit on the symbols read from one object is said, not silent:
# readelf counts the entries kept (functions, objects, untyped; defined;
# named) of .symtab and .dynsym.
nsyms=$(readelf -sW "$T" | awk '$1 ~ /^[0-9]+:$/ && $1 != "0:" && $4 ~ /^(FUNC|OBJECT|NOTYPE|IFUNC)$/ &&
	$7 != "UND" && $7 != "ABS" && $7 != "COM" && $8 != "" && $8 !~ /^[$]/ && $8 !~ /^[.]L/ { n++ } END { print n }')
[ "$nsyms" -gt 10 ] || hard_error "only $nsyms symbols in $T"
VMATLAS_MAX_SYMBOLS=10 "$VMATLAS" addr "$TPID" "$func" > /dev/null 2> "$TEST_TMP/err" || fail "addr with a symbol limit exited $?"
expect_eq "the warning of a symbol limit" "$(cat "$TEST_TMP/err")" \
	"vmatlas: warning: $((nsyms - 10)) symbols of $T were not read (more than VMATLAS_MAX_SYMBOLS, default 8388608)"
VMATLAS_MAX_SYMBOLS=$nsyms "$VMATLAS" addr "$TPID" "$func" 2>&1 > /dev/null | grep . && fail "a warning with room for every symbol"
ok "no warning with room for all $nsyms symbols"

# 6b. The vdso, read from the target's memory: its dump's nm -D names.
python3 -c 'import sys
for l in open("/proc/%s/maps" % sys.argv[1]):
    f = l.split()
    if f[-1] == "[vdso]":
        s, e = (int(x, 16) for x in f[0].split("-"))
        with open("/proc/%s/mem" % sys.argv[1], "rb") as m:
            m.seek(s); open(sys.argv[2], "wb").write(m.read(e - s))
        print(hex(s))' "$TPID" "$TEST_TMP/vdso.so" > "$TEST_TMP/vdso.start" || hard_error "cannot dump the vdso"
vstart=$(cat "$TEST_TMP/vdso.start")
vsym=$(nm -D --defined-only "$TEST_TMP/vdso.so" | awk '$2 ~ /^[TtWw]$/ && $3 ~ /clock_gettime/ { print $1; exit }')
[ -n "$vsym" ] || hard_error "no clock_gettime in the vdso dump"
vaddr=$(printf '0x%x' $((vstart + 0x$vsym)))
addr_json "$TPID" "$vaddr"
vnames=$(nm -D --defined-only "$TEST_TMP/vdso.so" | awk -v v="$vsym" '$1 == v { sub(/@.*/, "", $3); print $3 }')
echo "$vnames" | grep -qx "$(q 'd["symbol"]["name"]')" || fail "vdso $vaddr: '$(q 'd["symbol"]["name"]')' is not one of $(echo $vnames)"
expect_eq "vdso symbol: offset, object, section" "$(q 'd["symbol"]["offset"] + " " + d["symbol"]["object"] + " " + d["section"]')" "0x0 [vdso] .text"

# 7. Stripped (.dynsym only) and C++ (demangled) targets.
start_target symbols-stripped
S=$TARGETS/symbols-stripped
[ -z "$(nm "$S" 2>/dev/null)" ] || hard_error "$S still has a .symtab"
addr_json "$TPID" "0x$(ready_value func)" "0x$(ready_value data)"
expect_eq "stripped: function from .dynsym" "$(q 'd[0]["symbol"]["name"]')" vm_known_func
expect_eq "stripped: data from .dynsym" "$(q 'd[1]["symbol"]["name"]')" vm_data_var

start_target cxxsyms
C=$TARGETS/cxxsyms
addr_json "$TPID" "0x$(ready_value func)"
want=$(nm -C "$C" | awk '/ vmatlas_test::compute\(/ { $1 = ""; $2 = ""; sub(/^  /, ""); print; exit }')
expect_eq "C++ name, as nm -C demangles it" "$(q 'd["symbol"]["name"]')" "$want"
addr_json "$TPID" vmatlas_test::Counter::bump
expect_eq "C++ method by name" "$(q 'd["symbol"]["name"]')" "vmatlas_test::Counter::bump(int)"
expect_eq "C++ method address" "$(q 'd["address"]')" \
	"$(hexadd "$(nm -C "$C" | awk '/ vmatlas_test::Counter::bump\(int\)$/ {print $1}')" "$(bias_of "$TPID" "$C")")"

# 7b. An executable deleted, or replaced by another program at its path,
# after the target started: symbols come from the file the target maps
# (/proc/PID/map_files, root only), never from what the path now names.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$TEST_TMP/gone"
	cp "$T" "$TEST_TMP/gone/symbols"
	TARGETS=$TEST_TMP/gone start_target symbols
	rm "$TEST_TMP/gone/symbols"
	addr_json "$TPID" "0x$(ready_value func)" vm_data_var
	expect_eq "deleted executable: function, data" "$(q '[x["symbol"]["name"] for x in d]')" '["vm_known_func", "vm_data_var"]'
	expect_eq "deleted executable: data address" "$(q 'd[1]["address"]')" "0x$(ready_value data)"
	cp "$T" "$TEST_TMP/gone/symbols"
	TARGETS=$TEST_TMP/gone start_target symbols
	cp "$C" "$TEST_TMP/gone/new" && mv -f "$TEST_TMP/gone/new" "$TEST_TMP/gone/symbols"
	addr_json "$TPID" "0x$(ready_value func)"
	expect_eq "replaced executable: the mapped file's symbol" "$(q 'd["symbol"]["name"]')" vm_known_func
	"$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/a.json" || fail "stacks of a replaced executable exited $?"
	expect_eq "replaced executable: thread_a in a backtrace" \
		"$(q '"thread_a" in [f["symbol"] for t in d["threads"] for f in t["frames"]]')" true
else
	echo "not root: map_files/ is closed, deleted-executable checks skipped"
fi

# 8. Separate debug files: .gnu_debuglink beside the object, then build-id.
if command -v objcopy >/dev/null && command -v strip >/dev/null; then
	mkdir -p "$TEST_TMP/dl"
	objcopy --only-keep-debug "$T" "$TEST_TMP/dl/symbols.debug"
	strip --strip-all -o "$TEST_TMP/dl/symbols" "$T"
	objcopy --add-gnu-debuglink="$TEST_TMP/dl/symbols.debug" "$TEST_TMP/dl/symbols"
	TARGETS=$TEST_TMP/dl start_target symbols
	addr_json "$TPID" "0x$(ready_value func)"
	expect_eq "symbol from the .gnu_debuglink file" "$(q 'd["symbol"]["name"]')" vm_known_func

	id=$(readelf -n "$T" | sed -n 's/.*Build ID: *//p')
	[ -n "$id" ] || hard_error "no build-id in $T"
	mkdir -p "$TEST_TMP/bid" "$TEST_TMP/dbg/.build-id/$(echo "$id" | cut -c1-2)"
	cp "$TEST_TMP/dl/symbols.debug" "$TEST_TMP/dbg/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug"
	strip --strip-all -o "$TEST_TMP/bid/symbols" "$T"
	TARGETS=$TEST_TMP/bid start_target symbols
	addr_json "$TPID" "0x$(ready_value func)"
	expect_eq "no symbol without the debug file" "$(q 'd["symbol"]')" null
	VMATLAS_DEBUG_DIR=$TEST_TMP/dbg "$VMATLAS" addr --format=json "$TPID" "0x$(ready_value func)" > "$TEST_TMP/a.json"
	expect_eq "symbol from the build-id debug file" "$(q 'd["symbol"]["name"]')" vm_known_func
else
	echo "objcopy/strip not installed: debug-file checks skipped"
fi
exit 0
