#!/bin/sh
# The pictures: a process with 600 mappings and a python3 process each stay
# a page high, with every number checked against the file and the text
# (tests/svgcheck.py); cow --format=svg draws parent and child side by side
# with each state's share of the pages; every picture renders.
. "$TESTLIB"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the targets' layouts assume 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the SVG"
cd "$TEST_TMP" || hard_error "no test directory"

# picture NAME PID MAX_HEIGHT: snapshot, text and SVG of PID, checked.
picture() {
	"$VMATLAS" snapshot --format=json --pages -o "$1.json" "$2" || fail "$1: snapshot exited $?"
	"$VMATLAS" view --format=text "$1.json" > "$1.txt" || fail "$1: view text exited $?"
	"$VMATLAS" view "$1.json" --svg "$1.svg" || fail "$1: view --svg exited $?"
	python3 "$srcdir/tests/svgcheck.py" "$1.svg" "$1.json" "$1.txt" "$3" || fail "$1.svg"
	if command -v rsvg-convert >/dev/null; then
		rsvg-convert "$1.svg" -o "$1.png" || fail "$1.svg does not render"
	fi
	ok "$1: the picture's numbers are the file's, at most $3 px high"
}

start_target manymaps
expect_eq "manymaps' mappings in the file" "$("$VMATLAS" snapshot --format=json "$TPID" |
	python3 -c 'import json, sys
d = json.load(sys.stdin); b = int(sys.argv[1], 16)
print(len([m for m in d["processes"][0]["mappings"] if b <= int(m["start"], 16) < b + 600 * 4096]))' "$(ready_value base)")" 600
picture manymaps "$TPID" 2000
rows=$(grep -c '<g class="row">' manymaps.svg)
[ "$rows" -le 50 ] || fail "600 small mappings take $rows rows"
ok "600 small mappings in $rows rows"

python3 -c 'import sys, time
open(sys.argv[1], "w").write("ready\n"); time.sleep(120)' "$TEST_TMP/py.ready" &
PY=$!
TEST_PIDS="$TEST_PIDS $PY"
for i in $(seq 1 100); do [ -s py.ready ] && break; sleep 0.05; done
picture python3 "$PY" 2200

# The copy-on-write picture.
chmod 1777 "$TEST_TMP"
start_target cow
P=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' "$READY")
C=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' "$READY")
ADDR=$(sed -n 's/.*addr=\(0x[0-9a-f]*\).*/\1/p' "$READY")
"$VMATLAS" cow -o cow.svg "$P" "$C" || fail "cow -o cow.svg exited $?"
"$VMATLAS" cow --format=json --pages -o cow.json "$P" "$C" || fail "cow json exited $?"
python3 - cow.svg cow.json "$ADDR" <<'PY' || fail "cow.svg"
import json, re, sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
pair = json.load(open(sys.argv[2]))["cow"][0]
addr = int(sys.argv[3], 16)
text = lambda e: "".join(e.itertext())
head = " ".join(text(t) for t in root.iter(NS + "text"))
assert "copy-on-write: parent %d" % pair["parent"] in head and "child %d" % pair["child"] in head, head
prec = "pfn (physical frames compared: exact)" if pair["precision"] == "pfn" else "exclusive-bit (an ESTIMATE"
assert "precision: " + prec in head, head
rows = [g for g in root.iter(NS + "g") if g.get("class") == "cowrow"]
assert len(rows) == len(pair["mappings"]), (len(rows), len(pair["mappings"]))
COL = {"#2e9e3e": "shared", "#d62728": "diverged", "#e8b81e": "parent_only",
       "#c34fc9": "child_only", "#e3e7ee": "none"}
for row, m in zip(reversed(rows), pair["mappings"]):
    title = row.find(NS + "title").text
    assert title.startswith("%s-%s" % (m["start"], m["end"])), (title, m["start"])
    words = " ".join(text(t) for t in row.findall(NS + "text"))
    for k, w in (("shared", "shared"), ("diverged", "diverged"), ("parent_only", "parent only"),
                 ("child_only", "child only")):
        assert "%s %d" % (w, m[k]) in words, (m["start"], w, words)
    total = sum(m[k] for k in ("shared", "diverged", "parent_only", "child_only", "neither"))
    for side, own in (("parent", "parent_only"), ("child", "child_only")):
        g = [x for x in row if x.get("class") == side][0]
        area = {}
        for r in g.iter(NS + "rect"):
            if r.get("fill") != "none":
                c = COL[r.get("fill")]
                area[c] = area.get(c, 0) + int(r.get("width")) * int(r.get("height"))
        whole = sum(area.values())
        # Each state's share of the strip is its share of the pages (a
        # pixel's rounding at most per column).
        for k in ("shared", "diverged", own):
            share, want = area.get(k, 0) / whole, m[k] / total
            assert abs(share - want) < 0.04, (m["start"], side, k, share, want)
        other = "child_only" if own == "parent_only" else "parent_only"
        assert other not in area, (m["start"], side, "shows", other)
    if int(m["start"], 16) == addr:
        arena = m
assert arena["shared"] + arena["diverged"] + arena["parent_only"] + arena["child_only"] + arena["neither"] == 1080
print("cow svg ok:", len(rows), "rows")
PY
if [ "$(id -u)" = 0 ]; then
	grep -q ">shared 875  diverged 125<" cow.svg || fail "the arena's row does not say shared 875 diverged 125"
	grep -q ">parent only 20  child only 10<" cow.svg || fail "the arena's row does not say parent only 20 child only 10"
fi
if command -v rsvg-convert >/dev/null; then
	rsvg-convert cow.svg -o cow.png || fail "cow.svg does not render"
fi
ok "cow --format=svg: parent and child side by side, each state its share"

# The family picture: the tree, each member's RSS split into shared with
# its parent and diverged, to one scale, and the sharing histogram.
start_prefork
"$VMATLAS" family --format=svg -o fam.svg "$M" || fail "family --format=svg exited $?"
"$VMATLAS" family --format=json -o fam.json "$M" || fail "family --format=json exited $?"
python3 - fam.svg fam.json "$srcdir/tests" <<'PY' || fail "fam.svg"
import json, sys, xml.etree.ElementTree as ET
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[3])
from svgcheck import fmt_kb
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
fam = json.load(open(sys.argv[2]))["family"]
members = [g for g in root.iter(NS + "g") if g.get("class") == "member"]
assert len(members) == len(fam["processes"]), (len(members), len(fam["processes"]))
top = max(p["rss_kb"] for p in fam["processes"])
w = lambda kb: (400 * kb // top) or (1 if kb else 0)
for g, p in zip(members, fam["processes"]):
    texts = " ".join("".join(t.itertext()) for t in g.iter(NS + "text"))
    assert texts.startswith("%d %s" % (p["pid"], p["comm"])), texts
    # RSS and diverged move a little as the members run; the tree, the
    # words and the widths are one another's.
    bars = {r.get("class"): int(r.get("width")) for r in g.iter(NS + "rect") if r.get("class")}
    if "shared_with_parent_kb" in p:
        assert "shared with parent " in texts and " diverged " in texts, texts
        assert bars.get("shared", 0) > 0, (p["pid"], bars)
    assert abs(sum(bars.values()) - w(p["rss_kb"])) <= 4, (p["pid"], bars, w(p["rss_kb"]))
rows = [g for g in root.iter(NS + "g") if g.get("class") == "sharing"]
assert len(rows) == len(fam["sharing"]), (len(rows), len(fam["sharing"]))
for g, (k, kb) in zip(rows, fam["sharing"]):
    words = " ".join("".join(t.itertext()) for t in g.iter(NS + "text"))
    assert words == "k = %d %s" % (k, fmt_kb(kb)), (words, k, kb)
print("family svg ok:", len(members), "members,", len(rows), "sharing rows")
PY
if command -v rsvg-convert >/dev/null; then
	rsvg-convert fam.svg -o fam.png || fail "fam.svg does not render"
fi
ok "family --format=svg: the tree with each member's shared and diverged memory"
