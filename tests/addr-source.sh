#!/bin/sh
# addr and stacks give the source line of an address (file:line, JSON
# "source"), as gdb's "info line *ADDR" does: from the object's own line
# tables, and from a separate debug file found through .gnu_debuglink (the
# object itself stripped of its debug information).
. "$TESTLIB"

# gdb_line PID ADDR: "FILE:LINE" of gdb's info line, or nothing.
gdb_line() {
	gdb -nx -batch -p "$1" -ex "info line *$2" 2>/dev/null |
		sed -n 's/^Line \([0-9]*\) of "\([^"]*\)".*/\2:\1/p' | head -n 1
}
# our_line PID ADDR
our_line() {
	"$VMATLAS" addr --format=json "$1" "$2" > "$TEST_TMP/a.json" || fail "addr $2 exited $?"
	json_eval "$TEST_TMP/a.json" '"%s:%d" % (d["source"]["file"], d["source"]["line"]) if d["source"] else "none"'
}

start_target symbols
func=$(ready_value func)
expect_eq "addr vm_known_func: the file" "$(our_line "$TPID" vm_known_func | sed 's/:[0-9]*$//; s|.*/||')" symbols.c
"$VMATLAS" addr "$TPID" vm_known_func > "$TEST_TMP/a.txt" || fail "addr (text) exited $?"
grep -q "^  source:     .*symbols\.c:[0-9][0-9]*$" "$TEST_TMP/a.txt" || fail "no source line in the text"
expect_eq "a data address has no source line" "$(our_line "$TPID" vm_data_var)" none
if command -v gdb >/dev/null; then
	for a in vm_known_func vm_known_func+4 vm_known_func+9 thread_a+8 main+16; do
		addr=$("$VMATLAS" addr --format=json "$TPID" "$a" |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
		expect_eq "$a: gdb's info line" "$(our_line "$TPID" "$a")" "$(gdb_line "$TPID" "$addr")"
	done
fi

# The same program stripped, its debug information in a file beside it
# named by .gnu_debuglink.
command -v objcopy >/dev/null || skip "objcopy is not installed"
cp "$TARGETS/symbols" "$TEST_TMP/split"
objcopy --only-keep-debug "$TEST_TMP/split" "$TEST_TMP/split.debug" &&
	objcopy --strip-debug --add-gnu-debuglink="$TEST_TMP/split.debug" "$TEST_TMP/split" ||
	hard_error "objcopy failed"
readelf -S "$TEST_TMP/split" | grep -q debug_line && hard_error "split still has .debug_line"
READY=$TEST_TMP/split.ready
"$TEST_TMP/split" "$READY" &
TPID=$!
TEST_PIDS="$TEST_PIDS $TPID"
for i in $(seq 1 200); do grep -q '^ready' "$READY" 2>/dev/null && break; sleep 0.05; done
want=$(our_line "$TPID" vm_known_func+4)
case $want in *symbols.c:[0-9]*) ok "addr: the line from the debug file ($want)" ;; *) fail "addr in a stripped object: $want" ;; esac
if command -v gdb >/dev/null; then
	addr=$("$VMATLAS" addr --format=json "$TPID" vm_known_func+4 | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
	expect_eq "debug file: gdb's info line" "$want" "$(gdb_line "$TPID" "$addr")"
fi
"$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/s.json" || fail "stacks exited $?"
expect_eq "stacks: thread_a's line, from the debug file" \
	"$(json_eval "$TEST_TMP/s.json" '[f["source"]["line"] for t in d["threads"] for f in t["frames"] if f["symbol"] == "thread_a"][0]')" \
	"$(grep -n 'pause();' "$srcdir/tests/targets/symbols.c" | head -n 1 | cut -d: -f1)"
exit 0
