#!/bin/sh
# vmatlas family --interval writes a timeline of the family (JSON Lines),
# view --svg draws each member's diverged memory over time (erosion
# curves), and diff compares two moments: on the prefork target, worker 3
# rewrites 100 more pages of the master's region between two documents.
. "$TESTLIB"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"

start_prefork

# A timeline of three moments, each line a whole document with its family.
"$VMATLAS" family --interval 0.1 --count 3 -o "$TEST_TMP/t.jsonl" "$M" || fail "family --interval exited $?"
expect_eq "timeline lines" "$(wc -l < "$TEST_TMP/t.jsonl")" 3
python3 - "$TEST_TMP/t.jsonl" "$M" "$W1" "$W2" "$W3" "$G" <<'EOF' || fail "a timeline line is not the family"
import json, sys
m = int(sys.argv[2])
for n, line in enumerate(open(sys.argv[1]), 1):
    f = json.loads(line)["family"]
    got = sorted(p["pid"] for p in f["processes"])
    if f["root"] != m or got != sorted(map(int, sys.argv[2:])):
        sys.exit("line %d: root %r, members %r" % (n, f["root"], got))
EOF
ok "every line holds the family of all five"

# The erosion curves: one polyline a member with a parent, a point a
# snapshot, at the height of its diverged memory (the target is idle: level).
"$VMATLAS" view "$TEST_TMP/t.jsonl" --svg "$TEST_TMP/t.svg" || fail "view --svg exited $?"
python3 - "$TEST_TMP/t.jsonl" "$TEST_TMP/t.svg" <<'EOF' || fail "the erosion curves are wrong"
import json, re, sys
docs = [json.loads(l)["family"] for l in open(sys.argv[1])]
svg = open(sys.argv[2]).read()
div = {p["pid"]: [] for p in docs[0]["processes"] if "diverged_from_parent_kb" in p}
for d in docs:
    for p in d["processes"]:
        if p["pid"] in div:
            div[p["pid"]].append(p["diverged_from_parent_kb"])
ymax = max(max(v) for v in div.values())
curves = dict(re.findall(r'<polyline class="erosion" data-pid="(\d+)"[^>]* points="([^"]*)"', svg))
if sorted(map(int, curves)) != sorted(div):
    sys.exit("curves for %r, members %r" % (sorted(curves), sorted(div)))
for pid, values in div.items():
    ys = [int(pt.split(",")[1]) for pt in curves[str(pid)].split()]
    want = [50 + 420 - v * 420 // ymax for v in values]
    if ys != want:
        sys.exit("%d: heights %r, expected %r" % (pid, ys, want))
EOF
ok "one erosion curve a member, at its diverged memory"
command -v rsvg-convert >/dev/null && { rsvg-convert "$TEST_TMP/t.svg" -o "$TEST_TMP/t.png" || fail "the SVG does not render"; }

# Two moments: worker 3 copies 100 more of the region's pages between them.
"$VMATLAS" family --format=json "$M" > "$TEST_TMP/a.json" || fail "family exited $?"
kill -USR1 "$W3"
for i in $(seq 1 100); do grep -q '^rewrote=400' "$READY" && break; sleep 0.05; done
grep -q '^rewrote=400' "$READY" || hard_error "worker 3 did not rewrite its pages"
"$VMATLAS" family --format=json "$M" > "$TEST_TMP/b.json" || fail "family exited $?"
region() { # FILE: worker 3's [shared, diverged] kB in the region, against the master
	json_eval "$1" "[[s['shared_kb'], s['diverged_kb']] for m in d['family']['mappings'] if int(m['start'],16) == $ADDR for s in m['processes'] if s['pid'] == $W3][0]"
}
expect_eq "worker 3 before" "$(region "$TEST_TMP/a.json")" "[2800, 1200]"
expect_eq "worker 3 after" "$(region "$TEST_TMP/b.json")" "[2400, 1600]"
"$VMATLAS" diff --format=json "$TEST_TMP/a.json" "$TEST_TMP/b.json" > "$TEST_TMP/diff.jsonl" || fail "diff exited $?"
python3 - "$TEST_TMP/a.json" "$TEST_TMP/b.json" "$TEST_TMP/diff.jsonl" <<'EOF' || fail "diff does not compare the two families"
import json, sys
a, b = (json.load(open(p))["family"] for p in sys.argv[1:3])
lines = [json.loads(l) for l in open(sys.argv[3])]
fam = [l["family"] for l in lines if "family" in l]
if len(fam) != 1:
    sys.exit("%d family objects in the diff" % len(fam))
f = fam[0]
pa = {p["pid"]: p for p in a["processes"]}
pb = {p["pid"]: p for p in b["processes"]}
if f["footprint_kb"] != [a["footprint_kb"], b["footprint_kb"]]:
    sys.exit("footprint %r" % f["footprint_kb"])
for p in f["processes"]:
    for k in ("rss_kb", "pss_kb", "uss_kb", "diverged_from_parent_kb"):
        want = [pa[p["pid"]].get(k), pb[p["pid"]].get(k)]
        if p[k] != want:
            sys.exit("%d %s: %r, expected %r" % (p["pid"], k, p[k], want))
EOF
"$VMATLAS" diff "$TEST_TMP/a.json" "$TEST_TMP/b.json" > "$TEST_TMP/diff.txt" || fail "text diff exited $?"
grep -Eq "^family of $M \(B - A\): footprint .* -> .* \(\+[0-9.]+[KM]\)   sum of RSS " "$TEST_TMP/diff.txt" ||
	fail "text diff: $(grep family "$TEST_TMP/diff.txt")"
grep -Eq "^ +$W3 prefork .* [0-9.]+[KM] -> [0-9.]+[KM] \(\+[0-9.]+[KM]\)$" "$TEST_TMP/diff.txt" ||
	fail "text diff row of worker 3: $(grep " $W3 " "$TEST_TMP/diff.txt")"
ok "diff compares the two moments of the family"
