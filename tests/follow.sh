#!/bin/sh
# vmatlas snapshot -- PROGRAM: a launched tree followed through fork and
# exec, snapshots at each process's exit with its memory still mapped,
# JSON Lines that survive a kill, --count N that stops after N snapshots
# killing the program, and a launched tree that dies with
# vmatlas (tests/targets/forker.c describes the layouts).
. "$TESTLIB"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"

# lines_check FILE: every complete line is a whole snapshot document;
# prints how many there are.
lines_check() {
	python3 - "$1" <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read().decode()
lines = data.split("\n")
if lines[-1] == "":
    lines.pop()
else:
    lines.pop()  # cut short by the kill: not a complete line
for l in lines:
    d = json.loads(l)
    assert d["format"] == "vmatlas-snapshot" and d["processes"], l[:80]
print(len(lines))
EOF
}

# ---- --at-exit, following a fork and an exec -----------------------------
R=$TEST_TMP/exit.ready
"$VMATLAS" snapshot --follow-forks --at-exit -o "$TEST_TMP/tree.jsonl" -- \
	"$TARGETS/forker" "$R" exit || fail "snapshot of a launched tree exited $?"
grep -q '^ready' "$R" || fail "the target did not finish: $(cat "$R")"
P=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' "$R")
C=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' "$R")
REGION=$(sed -n 's/^region=\(0x[0-9a-f]*\).*/\1/p' "$R")
EXECD=$(sed -n 's/^execd=\(0x[0-9a-f]*\).*/\1/p' "$R")
expect_eq "JSON lines" "$(lines_check "$TEST_TMP/tree.jsonl")" 2
expect_eq "file mode" "$(stat -c %a "$TEST_TMP/tree.jsonl")" 600

# line_eval N EXPR: EXPR on the Nth line (d), with proc(pid) and mapping().
line_eval() {
	python3 -c 'import json,sys
d=json.loads(open(sys.argv[1]).read().split("\n")[int(sys.argv[2])])
def proc(pid): return [p for p in d["processes"] if p["pid"]==pid][0]
def mapping(p, a):
    a=int(a,16)
    return [m for m in p["mappings"] if int(m["start"],16)==a][0]
r=eval(sys.argv[3])
print(json.dumps(r) if not isinstance(r,str) else r)' "$TEST_TMP/tree.jsonl" "$1" "$2"
}

# First the exec'd child's exit: its new layout, parent and child in it.
expect_eq "first trigger" "$(line_eval 0 "[d['trigger']['event'], d['trigger']['pid']]")" "[\"exit\", $C]"
expect_eq "exec'd child's new region resident" "$(line_eval 0 "mapping(proc($C), '$EXECD')['pages']['resident']")" 7
expect_eq "exec'd child's new region size" "$(line_eval 0 "mapping(proc($C), '$EXECD')['pages']['total']")" 64
expect_eq "exec'd child's parent" "$(line_eval 0 "proc($C)['ppid']")" "$P"
expect_eq "pair in the tree" "$(line_eval 0 "[[c['parent'], c['child']] for c in d['cow']]")" "[[$P, $C]]"
expect_eq "parent's region at the child's exit" "$(line_eval 0 "mapping(proc($P), '$REGION')['pages']['resident']")" 100
# Then the parent's exit: its memory is still all there.
expect_eq "second trigger" "$(line_eval 1 "[d['trigger']['event'], d['trigger']['pid']]")" "[\"exit\", $P]"
expect_eq "at-exit region resident" "$(line_eval 1 "mapping(proc($P), '$REGION')['pages']['resident']")" 100
expect_eq "at-exit region size" "$(line_eval 1 "mapping(proc($P), '$REGION')['pages']['total']")" 256
expect_eq "only the parent left" "$(line_eval 1 "[p['pid'] for p in d['processes']]")" "[$P]"

# ---- --interval: JSON Lines survive SIGKILL; the launched tree dies -------
R=$TEST_TMP/stay.ready
"$VMATLAS" snapshot --follow-forks --interval 0.2 --count 1000 -o "$TEST_TMP/live.jsonl" -- \
	"$TARGETS/forker" "$R" stay &
V=$!
TEST_PIDS="$TEST_PIDS $V"
for i in $(seq 1 200); do
	grep -q '^ready' "$R" 2>/dev/null && [ "$(wc -l < "$TEST_TMP/live.jsonl")" -ge 4 ] && break
	sleep 0.05
done
grep -q '^ready' "$R" || hard_error "the launched target did not get ready"
P=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' "$R")
C=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' "$R")
expect_eq "launched parent traced by vmatlas" "$(proc_tracer "$P")" "$V"
expect_eq "forked child traced by vmatlas" "$(proc_tracer "$C")" "$V"
kill -KILL "$V"
wait "$V" 2>/dev/null
n=$(lines_check "$TEST_TMP/live.jsonl") || fail "a complete line does not parse after the kill"
[ "$n" -ge 4 ] || fail "only $n lines before the kill"
ok "$n complete lines parse after SIGKILL"
expect_eq "tree in the last line" "$(python3 -c 'import json,sys
l=[x for x in open(sys.argv[1]).read().split("\n") if x.endswith("}")]
print(sorted(p["pid"] for p in json.loads(l[-1])["processes"]))' "$TEST_TMP/live.jsonl")" "[$P, $C]"
for p in $P $C; do
	for i in $(seq 1 50); do [ -d /proc/$p ] && [ "$(proc_state $p)" != Z ] || break; sleep 0.1; done
	[ -d /proc/$p ] && [ "$(proc_state $p)" != Z ] && fail "launched process $p survived vmatlas's SIGKILL"
done
ok "the launched tree died with vmatlas"

# ---- --count: exactly N snapshots, then the program is killed ------------
"$VMATLAS" snapshot --interval 0.1 --count 3 -o "$TEST_TMP/count.jsonl" -- sleep 60 ||
	fail "snapshot --count exited $?"
expect_eq "--count 3 lines" "$(lines_check "$TEST_TMP/count.jsonl")" 3
S=$(python3 -c 'import json,sys
print(json.loads(open(sys.argv[1]).readline())["processes"][0]["pid"])' "$TEST_TMP/count.jsonl")
for i in $(seq 1 50); do [ -d /proc/$S ] && [ "$(proc_state $S)" != Z ] || break; sleep 0.1; done
[ -d /proc/$S ] && [ "$(proc_state $S)" != Z ] && fail "the program $S still runs after --count"
ok "--count 3: three snapshots, then the program is killed"

# ---- usage ----------------------------------------------------------------
"$VMATLAS" snapshot -o "$TEST_TMP/x" -- "$TARGETS/forker" 2>"$TEST_TMP/err"
expect_eq "no trigger given" $? 2
"$VMATLAS" snapshot --at-exit 1 2>"$TEST_TMP/err"
expect_eq "--at-exit with a PID" $? 2
"$VMATLAS" snapshot --at-exit -o "$TEST_TMP/tree.jsonl" -- /bin/true 2>"$TEST_TMP/err"
expect_eq "existing output kept" $? 1
grep -q 'exists' "$TEST_TMP/err" || fail "message: $(cat "$TEST_TMP/err")"
"$VMATLAS" snapshot --at-exit -o "$TEST_TMP/none.jsonl" -- "$TEST_TMP/no-such-program" 2>"$TEST_TMP/err"
[ $? -ne 0 ] || fail "a missing program succeeded"
expect_eq "missing program message lines" "$(wc -l < "$TEST_TMP/err")" 1
[ ! -e "$TEST_TMP/none.jsonl" ] || fail "a program that never ran left $TEST_TMP/none.jsonl"
ok "a program that never ran leaves no file"

# ---- FILE.gz: one gzip member per line --------------------------------------
"$VMATLAS" snapshot --at-exit -o "$TEST_TMP/t.jsonl.gz" -- /bin/true || fail "snapshot -o FILE.gz exited $?"
expect_eq "FILE.gz starts with the gzip magic" "$(od -An -tx1 -N2 "$TEST_TMP/t.jsonl.gz" | tr -d ' ')" 1f8b
expect_eq "FILE.gz holds one snapshot of true" "$(gzip -dc "$TEST_TMP/t.jsonl.gz" | python3 -c 'import json,sys
ls=sys.stdin.read().splitlines(); print(len(ls), json.loads(ls[0])["processes"][0]["comm"])')" "1 true"
