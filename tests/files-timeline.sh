#!/bin/sh
# Periodic capture: --interval/--count writes one JSON line per snapshot;
# a capture stopped by Ctrl-C, SIGTERM or killed outright keeps every complete
# line readable; view draws the timeline and diff compares its steps.
. "$TESTLIB"

start_target layout
tl=$TEST_TMP/tl.jsonl
"$VMATLAS" snapshot --interval 0.05 --count 4 -o "$tl" "$TPID" || fail "capture exited $?"
expect_eq "lines" "$(wc -l < "$tl")" 4
expect_eq "file mode" "$(stat -c %a "$tl")" 600
python3 - "$tl" "$(ready_value anon32)" <<'PY' || fail "timeline lines"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "" and len(lines) == 5, lines[-1][:40]
for l in lines[:-1]:
    d = json.loads(l)
    assert d["format"] == "vmatlas-snapshot"
    m = [m for m in d["processes"][0]["mappings"] if m["start"] == sys.argv[2]][0]
    assert m["pages"]["resident"] == 1000, m["pages"]
print("ok")
PY
ok "four compact documents, one per line"

"$VMATLAS" snapshot --interval 0.05 --count 2 -o "$tl" "$TPID" 2> "$TEST_TMP/err" && fail "an existing timeline was overwritten"
grep -q "exists (use --force" "$TEST_TMP/err" || fail "message: $(cat "$TEST_TMP/err")"
ok "an existing file is kept without --force"

# With --force the old timeline is replaced only by a first whole line: a
# capture that takes none leaves it as it was, and a new name is not made.
nopid=$(( $(cat /proc/sys/kernel/pid_max) + 1 ))
old=$TEST_TMP/old.jsonl
cp "$tl" "$old" && chmod 644 "$old"
sum=$(md5sum < "$old")
"$VMATLAS" snapshot --interval 0.05 --count 2 --force -o "$old" "$nopid" 2> "$TEST_TMP/err" &&
	fail "a capture of no process succeeded"
expect_eq "the old timeline after a capture with no line" "$(md5sum < "$old")" "$sum"
"$VMATLAS" snapshot --interval 0.05 --count 2 -o "$TEST_TMP/none.jsonl" "$nopid" 2> "$TEST_TMP/err" &&
	fail "a capture of no process succeeded"
[ ! -e "$TEST_TMP/none.jsonl" ] || fail "a capture with no line left $TEST_TMP/none.jsonl"
[ -z "$(ls -A "$TEST_TMP" | grep -i tmp)" ] || fail "a temporary file was left: $(ls -A "$TEST_TMP")"
ok "no line, no file; the old file intact"
"$VMATLAS" snapshot --interval 0.05 --count 2 --force -o "$old" "$TPID" || fail "capture --force exited $?"
expect_eq "lines after --force" "$(wc -l < "$old")" 2
expect_eq "file mode after --force" "$(stat -c %a "$old")" 600

# diff of a timeline: first and last, or each step.
"$VMATLAS" diff --format=json "$tl" > "$TEST_TMP/d.json" || fail "diff of timeline exited $?"
expect_eq "first vs last" "$(json_eval "$TEST_TMP/d.json" "[d['a']['index'], d['b']['index']]")" "[1, 4]"
"$VMATLAS" diff --format=json --each "$tl" > "$TEST_TMP/each.jsonl" || fail "diff --each exited $?"
expect_eq "diff --each lines" "$(wc -l < "$TEST_TMP/each.jsonl")" 3

# The chart: well-formed SVG naming the number of snapshots.
"$VMATLAS" view --svg "$TEST_TMP/tl.svg" "$tl" || fail "view --svg of timeline exited $?"
python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$TEST_TMP/tl.svg" || fail "chart is not XML"
grep -q "4 snapshots" "$TEST_TMP/tl.svg" || fail "chart does not say 4 snapshots"
# Each line of the chart is the file's numbers: resident and swapped kB of
# all kinds, then of each kind in use, at each snapshot's time (a 900 x 420
# pixel plot from (90, 50); the scale's top is the largest total).
python3 - "$TEST_TMP/tl.svg" "$tl" <<'PY' || fail "chart lines are not the file's numbers"
import datetime, json, sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
snaps = [json.loads(l) for l in open(sys.argv[2])]
def ms(s):
    t = datetime.datetime.strptime(s["taken_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)
def value(s, kind, key):
    return sum((p["totals"] if kind is None else p["totals"]["by_kind"].get(kind, {})).get(key, 0)
               for p in s["processes"])
t0, t1 = ms(snaps[0]), ms(snaps[-1])
t1 = max(t1, t0 + 1)
ymax = max([1] + [value(s, None, k) for s in snaps for k in ("resident_kb", "swapped_kb")])
lines = [l.get("points") for l in root.iter(NS + "polyline")]
legend = [t.text for t in root.iter(NS + "text")][-len(lines) // 2 - 1:-1]
used = [k for k in snaps[0]["processes"][0]["totals"]["by_kind"]
        if any(value(s, k, "resident_kb") or value(s, k, "swapped_kb") for s in snaps)]
assert legend == ["all kinds"] + used, (legend, used)
for i, name in enumerate(legend):
    kind = None if name == "all kinds" else name
    for sw, key in enumerate(("resident_kb", "swapped_kb")):
        want = " ".join("%d,%d" % (90 + (ms(s) - t0) * 900 // (t1 - t0),
                                   50 + 420 - value(s, kind, key) * 420 // ymax) for s in snaps)
        assert lines[2 * i + sw] == want, (name, key, lines[2 * i + sw], want)
print("chart:", len(legend), "series of", len(snaps), "points agree with the file")
PY
ok "timeline chart"

# Stopped by Ctrl-C (SIGINT) or SIGTERM: exit 0, all lines complete; each
# line is in the file as soon as it is taken, before the capture ends.
for sig in INT TERM; do
	"$VMATLAS" snapshot --interval 0.05 -o "$TEST_TMP/$sig.jsonl" "$TPID" &
	cap=$!
	sleep 0.6
	n=$(wc -l < "$TEST_TMP/$sig.jsonl")
	[ "$n" -ge 2 ] || fail "only $n lines written in 0.6 s of a running capture"
	kill -$sig "$cap"
	wait "$cap"
	expect_eq "exit status after SIG$sig" "$?" 0
	n=$(wc -l < "$TEST_TMP/$sig.jsonl")
	[ "$(tail -c 1 "$TEST_TMP/$sig.jsonl" | od -An -c | tr -d ' ')" = '\n' ] || fail "last line incomplete"
	"$VMATLAS" view --format=json "$TEST_TMP/$sig.jsonl" > /dev/null 2> "$TEST_TMP/err" || fail "reader: $(cat "$TEST_TMP/err")"
	[ -s "$TEST_TMP/err" ] && fail "warning on a clean stop: $(cat "$TEST_TMP/err")"
	ok "SIG$sig keeps $n complete lines"
done

# Killed outright, compressed: every complete gzip member is read back.
"$VMATLAS" snapshot --interval 0.02 -o "$TEST_TMP/kill.jsonl.gz" "$TPID" &
cap=$!
sleep 0.5
kill -KILL "$cap"
wait "$cap" 2>/dev/null
"$VMATLAS" diff --format=json "$TEST_TMP/kill.jsonl.gz" > "$TEST_TMP/k.json" 2> "$TEST_TMP/err" || fail "killed capture unreadable: $(cat "$TEST_TMP/err")"
ok "SIGKILL leaves a readable gzip timeline"

# A last line cut by a crash is ignored with a warning, not an error.
head -n 2 "$tl" > "$TEST_TMP/cut.jsonl"
tail -n 1 "$tl" | head -c 300 >> "$TEST_TMP/cut.jsonl"
"$VMATLAS" diff --format=json "$TEST_TMP/cut.jsonl" > "$TEST_TMP/c.json" 2> "$TEST_TMP/err" || fail "cut timeline rejected: $(cat "$TEST_TMP/err")"
grep -q "line 3: incomplete last snapshot ignored" "$TEST_TMP/err" || fail "no warning: $(cat "$TEST_TMP/err")"
expect_eq "complete snapshots used" "$(json_eval "$TEST_TMP/c.json" "d['b']['index']")" 2
