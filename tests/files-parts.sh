#!/bin/sh
# Every part the writers write is read back: view FILE --format=json gives
# back the same document for each kind of document (a snapshot, with pages,
# with stacks, a copy-on-write comparison with and without pages, a launch's
# lines with their trigger, a timeline's lines, members of a newer vmatlas),
# and the screen shows a saved comparison and a saved file's pages.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the targets' layouts assume 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to compare the documents"

# same_json A B: the two documents are equal as JSON (a timeline line is
# compact, view prints indented).
same_json() {
	python3 -c 'import json, sys
a, b = (json.loads(open(f).read()) for f in sys.argv[1:3])
sys.exit(a != b)' "$1" "$2"
}

# roundtrip WHAT FILE: view gives back FILE byte for byte.
roundtrip() {
	"$VMATLAS" view --format=json "$2" > "$TEST_TMP/back.json" || fail "$1: view exited $?"
	cmp "$2" "$TEST_TMP/back.json" || fail "$1: view --format=json is not the file"
	ok "$1: the same document back"
}

chmod 1777 "$TEST_TMP"
start_target cow
P=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' "$READY")
C=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' "$READY")
ADDR=$(sed -n 's/.*addr=\(0x[0-9a-f]*\).*/\1/p' "$READY")

"$VMATLAS" cow -o "$TEST_TMP/cow.json" "$P" "$C" || fail "cow -o exited $?"
roundtrip "cow" "$TEST_TMP/cow.json"
"$VMATLAS" cow --pages -o "$TEST_TMP/cowp.json" "$P" "$C" || fail "cow --pages exited $?"
roundtrip "cow --pages" "$TEST_TMP/cowp.json"
# The text of the file has the comparison, the arena's exact counts.
"$VMATLAS" view --format=text "$TEST_TMP/cowp.json" > "$TEST_TMP/cow.txt" || fail "view text exited $?"
grep -q "^copy-on-write: parent $P (cow) -> child $C (cow)" "$TEST_TMP/cow.txt" ||
	fail "the text of the file has no comparison: $(tail -5 "$TEST_TMP/cow.txt")"
a=$(printf '0x%016x' "$ADDR")
if [ "$(id -u)" = 0 ]; then
	line=$(grep "^$a " "$TEST_TMP/cow.txt") || fail "no row for $a"
	expect_eq "arena row of the file (pages shared diverged p-only c-only neither)" \
		"$(echo "$line" | awk '{print $4, $5, $7, $9, $10, $11}')" "1080 875 125 20 10 50"
fi

# A cut comparison is refused, not half read.
python3 - "$TEST_TMP/cowp.json" "$TEST_TMP/bad.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["cow"][0]["mappings"][0]["shared"] += 1
json.dump(d, open(sys.argv[2], "w"))
EOF
expect_error "a comparison whose counts do not add up" 1 "cow\[0\]\.mappings\[0\]" view --format=json "$TEST_TMP/bad.json"

# The screen on the saved comparison: the COW view shows it, not "waiting".
tui_start 160 50 "'$VMATLAS' view cowp.json"
wait_for "^PID $P "
keys 6
wait_for "parent $P cow -> child $C cow"
if [ "$(id -u)" = 0 ]; then
	wait_for "^$(nox "$ADDR") +1080 +875 +125 +20 +10 "
fi
screen | grep -q "waiting for the next refresh" && fail "the COW view of a file waits for a refresh"
ok "the COW view shows the file's comparison"
keys q
expect_eq "view exit status" "$(tui_exit_status)" 0
tm kill-session -t t

# Stacks (threads) of a snapshot.
start_target threads
"$VMATLAS" snapshot --stacks --pages -o "$TEST_TMP/stacks.json" "$TPID" || fail "snapshot --stacks exited $?"
roundtrip "snapshot --stacks --pages" "$TEST_TMP/stacks.json"

# A launch's lines, each with its trigger.
"$VMATLAS" snapshot --at-exit --interval 0.2 -o "$TEST_TMP/run.jsonl" -- sh -c 'sleep 0.5' ||
	fail "launch exited $?"
n=$(wc -l < "$TEST_TMP/run.jsonl")
[ "$n" -ge 2 ] || fail "the launch wrote $n lines"
for i in $(seq 1 "$n"); do
	sed -n "${i}p" "$TEST_TMP/run.jsonl" > "$TEST_TMP/line.json"
	"$VMATLAS" view --index="$i" --format=json "$TEST_TMP/run.jsonl" > "$TEST_TMP/back.json" ||
		fail "view --index=$i exited $?"
	same_json "$TEST_TMP/line.json" "$TEST_TMP/back.json" || fail "line $i read back differs"
done
expect_eq "last line's trigger" "$(json_eval "$TEST_TMP/back.json" "d['trigger']['event']")" exit
ok "every line of the launch read back the same, trigger included"

# Members this vmatlas does not know (a newer one's parts) survive, at
# every level.
python3 - "$TEST_TMP/stacks.json" "$TEST_TMP/newer.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["future_part"] = [{"pid": 1, "children": [2, 3]}]
d["processes"][0]["faults"] = {"minor": 7, "major": 0}
d["processes"][0]["mappings"][0]["heat"] = [1, 2, 3]
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF
"$VMATLAS" view --format=json "$TEST_TMP/newer.json" > "$TEST_TMP/back.json" || fail "view of newer exited $?"
same_json "$TEST_TMP/newer.json" "$TEST_TMP/back.json" || fail "unknown members were lost"
ok "members of a newer vmatlas come back as they were"

# The screen's save (s) keeps every page's state: the Pages view of the
# saved file has the pages.
tui_start 160 50 "'$VMATLAS' $TPID"
wait_for "^PID $TPID "
keys s
wait_for "saved vmatlas-$TPID-[0-9]{8}-[0-9]{6}\.json"
keys q
expect_eq "watch exit status" "$(tui_exit_status)" 0
tm kill-session -t t
F=$(ls "$TEST_TMP"/vmatlas-"$TPID"-*.json | head -n 1)
expect_eq "saved mappings without runs" "$(json_eval "$F" \
	"len([m for m in d['processes'][0]['mappings'] if 'runs' not in m])")" 0
roundtrip "the screen's save" "$F"
tui_start 160 50 "'$VMATLAS' view '$F'"
wait_for "^PID $TPID "
keys 3
wait_for "pages? 0x[0-9a-f]+(-0x[0-9a-f]+)? \(#0"
screen | grep -q "no per-page states" && fail "the saved file has no per-page states"
ok "the Pages view of the saved file shows its pages"
keys q
expect_eq "view exit status" "$(tui_exit_status)" 0
