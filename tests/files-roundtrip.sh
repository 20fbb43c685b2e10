#!/bin/sh
# Snapshot -> file -> reader -> writer gives the same document; view and
# SVG give the live snapshot's numbers; gzip files round-trip; the SVG is
# well-formed XML with every region labelled, whatever the names hold.
. "$TESTLIB"

start_target layout
a=$TEST_TMP/a.json
"$VMATLAS" snapshot --format=json --pages -o "$a" "$TPID" || fail "snapshot exited $?"
"$VMATLAS" view --format=json "$a" > "$TEST_TMP/b.json" || fail "view exited $?"
cmp "$a" "$TEST_TMP/b.json" || fail "the document read back and written again differs"
ok "JSON round trip is identical"

# The same numbers as the live snapshot, to the page.
expect_eq "anon32 resident read back" \
	"$(json_eval "$TEST_TMP/b.json" "mapping(d['processes'][0], '$(ready_value anon32)')['pages']['resident']")" 1000
expect_eq "zero4 zero pages read back" \
	"$(json_eval "$TEST_TMP/b.json" "mapping(d['processes'][0], '$(ready_value zero4)')['pages']['zero']")" 100
"$VMATLAS" snapshot "$TPID" > "$TEST_TMP/live.txt" || fail "text snapshot exited $?"
"$VMATLAS" view --format=text "$a" > "$TEST_TMP/view.txt" || fail "view --format=text exited $?"
# Only the time of the snapshot may differ.
grep -v '^taken ' "$TEST_TMP/live.txt" > "$TEST_TMP/live.cmp"
grep -v '^taken ' "$TEST_TMP/view.txt" > "$TEST_TMP/view.cmp"
diff "$TEST_TMP/live.cmp" "$TEST_TMP/view.cmp" || fail "view of the file differs from the live text"
ok "view of the file shows the live snapshot's table"

# diff of the file against the process it came from: the target has not
# changed, so neither has anything the test controls.
"$VMATLAS" diff --format=json "$a" "pid:$TPID" > "$TEST_TMP/d.json" || fail "diff file pid: exited $?"
expect_eq "file vs live: added, removed, anon32 changed" "$(json_eval "$TEST_TMP/d.json" \
	"[len(d['added']), len(d['removed']), [c['start'] for c in d['changed']].count('$(ready_value anon32)')]")" "[0, 0, 0]"

# gzip: written with -o FILE.gz, read back by its magic bytes under any name.
"$VMATLAS" snapshot --format=json --pages -o "$TEST_TMP/a.json.gz" "$TPID" || fail "snapshot .gz exited $?"
gzip -t "$TEST_TMP/a.json.gz" || fail "not gzip"
expect_eq "gzip file mode" "$(stat -c %a "$TEST_TMP/a.json.gz")" 600
cp "$TEST_TMP/a.json.gz" "$TEST_TMP/renamed.json"
"$VMATLAS" view --format=json "$TEST_TMP/renamed.json" > "$TEST_TMP/gz.json" || fail "view of gzip exited $?"
gzip -dc "$TEST_TMP/a.json.gz" | cmp - "$TEST_TMP/gz.json" || fail "gzip round trip differs"
ok "gzip round trip (detected by content, not name)"

# SVG: well-formed, one labelled region per mapping in its kind's colour,
# rows as high as their pages say, the numbers of the file in each bar, the
# gaps and the mm boundaries as the text output gives them
# (tests/svgcheck.py). The live picture is a second look at the process:
# only its regions are compared.
"$VMATLAS" view "$a" --svg "$TEST_TMP/a.svg" || fail "view --svg exited $?"
"$VMATLAS" snapshot --format=svg "$TPID" > "$TEST_TMP/live.svg" || fail "snapshot --format=svg exited $?"
python3 "$srcdir/tests/svgcheck.py" "$TEST_TMP/a.svg" "$a" "$TEST_TMP/view.txt" 2500 || fail "a.svg"
python3 - "$TEST_TMP/live.svg" "$a" <<'PY' || fail "live.svg"
import json, sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
maps = json.load(open(sys.argv[2]))["processes"][0]["mappings"]
titles = [g.find(NS + "title").text for g in root.iter(NS + "g") if g.get("class") == "region"]
assert sorted(t.split()[-3] for t in titles) == sorted("%s-%s" % (m["start"], m["end"]) for m in maps)
PY
ok "SVG is well-formed and labels every region"

# Names the target controls cannot break the SVG: control characters, XML
# specials, noncharacters, bidi overrides.
python3 - "$a" "$TEST_TMP/hostile.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["processes"][0]
p["comm"] = "</text><script>alert(1)</script>\u0001"
for i, m in enumerate(p["mappings"]):
    if m["path"].startswith("/"):
        m["path"] = "/tmp/a&b<c>\"d'\u0007\u001b[31m\ufffe\uffff\u202e\u0085x%d" % i
json.dump(d, open(sys.argv[2], "w"))
PY
"$VMATLAS" view --svg "$TEST_TMP/hostile.svg" "$TEST_TMP/hostile.json" || fail "hostile view --svg exited $?"
python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$TEST_TMP/hostile.svg" || fail "hostile names broke the SVG"
grep -q "<script" "$TEST_TMP/hostile.svg" && fail "markup from a name reached the SVG"
ok "hostile names are escaped in the SVG"

# Names that are not UTF-8 (written with NAME_hex, exact bytes) and control
# characters from a real target: read back byte for byte, drawn safely.
start_target hostile names "arg-$(printf '\377\376')" plain
h=$TEST_TMP/h.json
"$VMATLAS" snapshot --format=json --pages -o "$h" "$TPID" || fail "hostile snapshot exited $?"
grep -q '"path_hex"' "$h" || fail "no path_hex in the hostile snapshot"
grep -q '"cmdline_hex"' "$h" || fail "no cmdline_hex in the hostile snapshot"
"$VMATLAS" view --format=json "$h" > "$TEST_TMP/h2.json" || fail "view of hostile snapshot exited $?"
cmp "$h" "$TEST_TMP/h2.json" || fail "hostile names changed on the way back"
"$VMATLAS" view "$h" --svg "$TEST_TMP/h.svg" || fail "hostile SVG exited $?"
python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$TEST_TMP/h.svg" || fail "hostile target broke the SVG"
ok "non-UTF-8 names round-trip exactly (NAME_hex) and stay safe in SVG"
