#!/bin/sh
# Hostile names: mapped files named with escape sequences, OSC, BEL, C1,
# \r, \b, \t, invalid UTF-8, a right-to-left override, a newline, a file
# literally named "x (deleted)" beside a really deleted one (told apart in
# the text too: the live file's space shows as \x20), a 4 KiB path,
# an escape sequence as comm, a 1 MiB command line. Text output shows them
# escaped (no control byte reaches the terminal) and aligned; JSON gives
# back every name byte for byte.
. "$TESTLIB"

# 10 arguments of 100 KiB: a 1 MiB command line (one argument may not
# exceed 128 KiB, MAX_ARG_STRLEN).
big=$(python3 -c 'print("A" * 102400)')
start_target hostile names $big $big $big $big $big $big $big $big $big $big
dir=$TEST_TMP/h

"$VMATLAS" snapshot "$TPID" > "$TEST_TMP/out.txt" 2> "$TEST_TMP/err" || fail "text snapshot: $(cat "$TEST_TMP/err")"
"$VMATLAS" snapshot --format=json -o "$TEST_TMP/s.json" "$TPID" || fail "json snapshot"

python3 - "$TEST_TMP/out.txt" "$TEST_TMP/s.json" "$dir" <<'PY' || fail "see above"
import json, os, re, sys
txt, js, d = sys.argv[1], sys.argv[2], os.fsencode(sys.argv[3])
bad = 0
def no(msg):
    global bad
    print("FAIL:", msg); bad += 1

# --- text: nothing a terminal would act on ---
raw = open(txt, "rb").read()
try:
    t = raw.decode("utf-8")
except UnicodeDecodeError as e:
    no("text output is not valid UTF-8: %s" % e); t = raw.decode("utf-8", "replace")
for ch in t:
    o = ord(ch)
    if (o < 0x20 and ch != "\n") or 0x7f <= o <= 0x9f or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        no("text output holds U+%04X" % o); break
rows = [l for l in t.split("\n") if os.fsdecode(d) in l and re.match("[0-9a-f]{16} [0-9a-f]{16} ", l)]
if len(rows) != 14:
    no("expected 14 table rows naming the hostile files, got %d" % len(rows))
# aligned: the path column starts at the same place in every row
cols = {l.index(os.fsdecode(d)) for l in rows}
if len(cols) != 1:
    no("path column not aligned: %s" % cols)
for want in ["esc-\\x1b[31mred\\x1b[0m", "osc-\\x1b]0;owned\\x07", "c1-\\x9b2J", "bad-utf8-\\xff\\xfe\\xc0\\xaf",
             "/gone (deleted)", "/x\\x20(deleted)"]:
    if not any(want in l for l in rows):
        no("text does not show %r" % want)

# --- JSON: exact bytes back ---
doc = json.load(open(js))
p = doc["processes"][0]
def val(o, k):
    return bytes.fromhex(o[k + "_hex"]) if k + "_hex" in o else o[k].encode("utf-8")
got = {}
for m in p["mappings"]:
    path = val(m, "path")
    if path.startswith(d + b"/"):
        got[path[len(d) + 1:]] = m
expect = {}
for n in os.listdir(d):
    if n.startswith(b"d" * 200):
        continue
    expect[n.replace(b"\n", b"\\012")] = True   # the kernel writes \n as \012
for n in expect:
    if n not in got:
        no("JSON lost %r" % n)
    elif got[n].get("deleted"):
        no("%r marked deleted" % n)
if b"gone" not in got or got[b"gone"].get("deleted") is not True:
    no("the deleted file is not marked deleted")
if b"x (deleted)" not in got:
    no("x (deleted) not told apart from a deleted file")
deep = [k for k in got if k.endswith(b"/deep")]
if len(deep) != 1 or len(deep[0]) != 20 * 201 + 4:
    no("4 KiB path missing or cut: %r" % [len(k) for k in deep])
if val(p, "comm") != b"\x1b]0;t\x07\x9b\xff":
    no("comm not exact: %r" % val(p, "comm"))
cmd = p["cmdline"]
if len(cmd) != 13 or any(a != "A" * 102400 for a in cmd[3:]):
    no("1 MiB command line not exact (%d arguments)" % len(cmd))
sys.exit(1 if bad else 0)
PY
ok "text escaped and aligned, JSON exact for $(ls "$dir" | wc -l) hostile names, comm and a 1 MiB command line"

# 100,000 mappings: bounded time and memory, every one reported.
n=100000
max=$(cat /proc/sys/vm/max_map_count)
if [ "$max" -lt $((n + 1000)) ]; then
	if [ "$(id -u)" = 0 ] && echo $((n + 1000)) > /proc/sys/vm/max_map_count 2>/dev/null; then
		OLD_MAX_MAP_COUNT=$max
		restore_max_map_count() { echo "$OLD_MAX_MAP_COUNT" > /proc/sys/vm/max_map_count; }
		CLEANUP_HOOKS="$CLEANUP_HOOKS restore_max_map_count"
	else
		n=$((max - 1000))
		echo "note: vm.max_map_count is $max and cannot be raised: $n mappings"
	fi
fi
start_target hostile many "$n"
timeout 120 "$VMATLAS" snapshot --format=json -o "$TEST_TMP/many.json" "$TPID" || fail "snapshot of $n mappings"
got=$(json_eval "$TEST_TMP/many.json" 'len(d["processes"][0]["mappings"])')
[ "$got" -ge "$n" ] || fail "$got mappings reported, expected at least $n"
ok "$got mappings reported"
