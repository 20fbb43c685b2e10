#!/bin/sh
# No-access mappings: a 1 GiB mmap(PROT_NONE) and a Go runtime's arenas are
# reserved; a thread stack's guard page and the gaps ld.so leaves between
# a library's segments are guards.
. "$TESTLIB"

start_target noaccess "$TARGETS/libgap.so"
out=$TEST_TMP/snap.json
"$VMATLAS" snapshot --format=json "$TPID" > "$out" || fail "snapshot exited $?"
P="d['processes'][0]"
kind() { json_eval "$out" "mapping($P,'$1')['kind']"; }
expect_eq "1 GiB PROT_NONE" "$(kind "$(ready_value reserve)")" reserved
expect_eq "1 GiB PROT_NONE size" "$(json_eval "$out" "mapping($P,'$(ready_value reserve)')['pages']['total']")" 262144
# The page right below the mapping that holds the thread's stack.
below=$(json_eval "$out" "hex(int(mapping($P,'$(ready_value stack)')['start'],16) - 1)")
expect_eq "thread stack guard" "$(kind "$below")" guard
expect_eq "thread stack guard size" "$(json_eval "$out" "mapping($P,'$below')['pages']['total']")" 1
lib=$(json_eval "$out" "[[m['kind'], m['perms']] for m in $P['mappings'] if m['path'] == '$TARGETS/libgap.so' and m['perms'] == '---p']")
expect_eq "libgap.so gaps" "$lib" '[["guard", "---p"], ["guard", "---p"], ["guard", "---p"]]'
"$VMATLAS" view "$out" --format=json > /dev/null || fail "the snapshot does not read back"
"$VMATLAS" snapshot "$TPID" | grep -E "^[0-9a-f]+ [0-9a-f]+ ---p reserved +1.0G " > /dev/null ||
	fail "the text table has no 1.0G reserved row"
ok "the text table says reserved 1.0G"

# A JVM: its heap's and class space's reservations are reserved, the zones
# guarding its thread stacks are guards.
if command -v java > /dev/null; then
	cat > "$TEST_TMP/Sleep.java" <<'JAVA'
public class Sleep {
    public static void main(String[] a) throws Exception {
        java.nio.file.Files.writeString(java.nio.file.Path.of(a[0]), "ready\n");
        Thread.sleep(3600_000);
    }
}
JAVA
	java -Xmx1g -XX:CompressedClassSpaceSize=1g "$TEST_TMP/Sleep.java" "$TEST_TMP/java.ready" > "$TEST_TMP/java.log" 2>&1 &
	JPID=$!
	TEST_PIDS="$TEST_PIDS $JPID"
	for i in $(seq 1 400); do grep -q '^ready' "$TEST_TMP/java.ready" 2>/dev/null && break; sleep 0.05; done
	grep -q '^ready' "$TEST_TMP/java.ready" 2>/dev/null || hard_error "the JVM did not get ready: $(head -n 3 "$TEST_TMP/java.log")"
	"$VMATLAS" snapshot --format=json "$JPID" > "$TEST_TMP/jvm.json" || fail "snapshot of the JVM exited $?"
	J="d['processes'][0]['mappings']"
	NA="[m for m in $J if m['perms'].startswith('---')]"
	SZ="(int(m['end'],16) - int(m['start'],16))"
	expect_eq "JVM: no-access mappings over 64 KiB" \
		"$(json_eval "$TEST_TMP/jvm.json" "sorted(set(m['kind'] for m in $NA if $SZ > 65536))")" '["reserved"]'
	expect_eq "JVM: reservations of 512 MiB and more (heap, class space)" \
		"$(json_eval "$TEST_TMP/jvm.json" "len([m for m in $NA if $SZ >= 512 << 20]) >= 2")" true
	expect_eq "JVM: thread stack guards" \
		"$(json_eval "$TEST_TMP/jvm.json" "len([m for m in $NA if m['kind'] == 'guard']) > 0")" true
	kill "$JPID"
else
	echo "java is not installed: the JVM's layout is not checked"
fi

# A Go program: every no-access mapping of its runtime is a reservation.
command -v go > /dev/null || skip "go is not installed"
mkdir "$TEST_TMP/go" && cp "$srcdir/tests/go/reserve.go" "$TEST_TMP/go/" || hard_error "cannot copy the Go program"
(cd "$TEST_TMP/go" && HOME=$TEST_TMP GOCACHE=$TEST_TMP/gocache GOPATH=$TEST_TMP/gopath GO111MODULE=off \
	CGO_ENABLED=0 go build -o "$TEST_TMP/go-reserve" reserve.go) > "$TEST_TMP/go.log" 2>&1 ||
	skip "go build failed: $(head -n 3 "$TEST_TMP/go.log")"
READY=$TEST_TMP/go.ready
"$TEST_TMP/go-reserve" "$READY" &
TPID=$!
TEST_PIDS="$TEST_PIDS $TPID"
for i in $(seq 1 200); do grep -q '^ready' "$READY" 2>/dev/null && break; sleep 0.05; done
grep -q '^ready' "$READY" || hard_error "the Go program did not get ready"
"$VMATLAS" snapshot --format=json "$TPID" > "$out" || fail "snapshot of the Go program exited $?"
expect_eq "Go: kinds of the no-access mappings" \
	"$(json_eval "$out" "sorted(set(m['kind'] for m in $P['mappings'] if m['perms'] == '---p'))")" '["reserved"]'
expect_eq "Go: as many as /proc/PID/maps has" \
	"$(json_eval "$out" "len([m for m in $P['mappings'] if m['kind'] == 'reserved'])")" "$(grep -c ' ---p ' "/proc/$TPID/maps")"

# Its threads' stack pointers lie in the Go heap (goroutine and g0
# stacks), or in [stack] for the first thread: never a "thread stack".
[ "$(id -u)" = 0 ] || exit 0
"$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/stacks.json" || fail "stacks of the Go program exited $?"
expect_eq "Go: where the threads' stack pointers are" \
	"$(json_eval "$TEST_TMP/stacks.json" "sorted(set(t['stack']['type'] for t in d['threads']))")" '["goroutine", "main"]'
"$VMATLAS" stacks "$TPID" | grep -q " in goroutine stack (Go heap) " || fail "stacks text does not say goroutine stack (Go heap)"
ok "stacks text: in goroutine stack (Go heap)"
"$VMATLAS" stacks "$TPID" | grep -q " in thread stack " && fail "stacks text calls the Go heap a thread stack"
ok "stacks text: no thread stack in a Go program"
