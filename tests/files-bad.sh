#!/bin/sh
# The snapshot reader rejects broken files with one clear line naming the
# file and the place, exit status 1, no crash (the sanitizer build runs
# this too): the corpus in tests/data/bad (expected messages in EXPECTED),
# plus what is made here: deep nesting, huge arrays, gzip garbage, a gzip
# bomb, a FIFO, a device, a directory, a file over the size limit.
. "$TESTLIB"
data=$srcdir/tests/data

# expect_reject FILE MESSAGE: view FILE fails with exactly one line that
# names FILE and contains MESSAGE.
expect_reject() {
	rc=0
	timeout 60 "$VMATLAS" view --format=json "$1" > "$TEST_TMP/out" 2> "$TEST_TMP/err" || rc=$?
	[ "$rc" = 1 ] || fail "$1: exit status $rc, expected 1 ($(cat "$TEST_TMP/err"))"
	[ "$(wc -l < "$TEST_TMP/err")" = 1 ] || fail "$1: not one line: $(cat "$TEST_TMP/err")"
	[ ! -s "$TEST_TMP/out" ] || fail "$1: wrote output"
	grep -qF "vmatlas: $1: " "$TEST_TMP/err" || fail "$1: message does not name the file: $(cat "$TEST_TMP/err")"
	grep -qF -- "$2" "$TEST_TMP/err" || fail "$1: got '$(cat "$TEST_TMP/err")', expected '$2'"
}

n=0
cd "$data/bad" || hard_error "no corpus"
while IFS='	' read -r file msg; do
	case $file in '#'*|'') continue ;; esac
	expect_reject "$file" "$msg"
	n=$((n + 1))
done < EXPECTED
for f in *.json *.jsonl; do
	grep -q "^$f	" EXPECTED || fail "$f has no expected message in EXPECTED"
done
ok "$n corpus files rejected with their messages"

# Good files: a newer minor revision with unknown members still loads, and
# a timeline cut inside its last line keeps the complete ones, with a warning.
cd "$data/good" || hard_error "no good corpus"
"$VMATLAS" view --format=json newer-minor.json > "$TEST_TMP/n.json" || fail "newer-minor.json rejected"
"$VMATLAS" view --format=text newer-minor.json > "$TEST_TMP/n.txt" || fail "newer-minor.json rejected"
"$VMATLAS" view --format=text minimal.json > "$TEST_TMP/m.txt" || fail "minimal.json rejected"
cmp -s "$TEST_TMP/n.txt" "$TEST_TMP/m.txt" || fail "unknown members changed the model"
ok "unknown members of a newer minor revision leave the model as it was"
# Those of the document, a process and a mapping are written back as read.
expect_eq "unknown members written back" "$(json_eval "$TEST_TMP/n.json" \
	"[d['future'], d['processes'][0]['cgroup'], d['processes'][0]['mappings'][0]['vmflags']]")" \
	'[{"x": [1, 2]}, "/a", ["rd", "ex"]]'

"$VMATLAS" diff --format=json interrupted.jsonl > "$TEST_TMP/i.json" 2> "$TEST_TMP/err" || fail "interrupted.jsonl rejected: $(cat "$TEST_TMP/err")"
grep -qF "warning: interrupted.jsonl: line 3: incomplete last snapshot ignored" "$TEST_TMP/err" || fail "no warning: $(cat "$TEST_TMP/err")"
expect_eq "snapshots kept" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["a"]["index"], d["b"]["index"])' "$TEST_TMP/i.json")" "1 2"
cd "$TEST_TMP" || hard_error "no tmp"

# A thread's unwind_end is one of three names; it and a frame's guessed
# flag read back as written.
python3 - "$data/good/minimal.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fr = [{"pc": "0x401000", "symbol": "pause", "offset": "0x32", "object": "/bin/x"},
      {"pc": "0x401100", "symbol": "main", "offset": "0x8", "object": "/bin/x", "guessed": True}]
d["processes"][0]["threads"] = [{"tid": 1, "name": "x", "state": "S", "sp": "0x7ff0",
                                 "stack": None, "frames": fr, "unwind_end": "no_unwind_info"}]
json.dump(d, open("threads.json", "w"))
d["processes"][0]["threads"][0]["unwind_end"] = "sideways"
json.dump(d, open("bad-unwind-end.json", "w"))
PY
expect_reject bad-unwind-end.json 'unknown unwind_end "sideways" (depth, no_unwind_info, no_progress or budget)'
"$VMATLAS" view --format=json threads.json > "$TEST_TMP/t.json" || fail "threads.json rejected"
expect_eq "unwind_end and guessed read back" \
	"$(json_eval "$TEST_TMP/t.json" '[(t["unwind_end"], [f.get("guessed") for f in t["frames"]]) for t in d["processes"][0]["threads"]]')" \
	'[["no_unwind_info", [null, true]]]'

# Deep nesting: jansson's depth limit, not a stack overflow.
python3 -c 'import sys; sys.stdout.write("[" * 200000 + "]" * 200000)' > deep.json
expect_reject deep.json "maximum parsing depth reached"
python3 -c 'import sys; sys.stdout.write("{\"format\":\"vmatlas-snapshot\",\"version\":1,\"x\":" + "{\"a\":" * 100000 + "1" + "}" * 100001)' > deep2.json
expect_reject deep2.json "maximum parsing depth reached"
ok "deep nesting"

# Huge arrays: a million runs for an eight-page mapping, a million
# processes of the wrong type.
python3 - "$data/good/minimal.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["processes"][0]["mappings"][1]["runs"] = [["resident", 1]] * 1000000
json.dump(d, open("huge-runs.json", "w"), separators=(",", ":"))
d["processes"] = [7] * 1000000
json.dump(d, open("huge-procs.json", "w"), separators=(",", ":"))
PY
expect_reject huge-runs.json "processes[0].mappings[1].runs[8][1]: runs cover more than the mapping's 8 pages"
expect_reject huge-procs.json "processes[0]: expected a process object, found an integer"
ok "huge arrays"

# gzip: garbage after the magic bytes, a truncated stream, a bomb.
printf '\037\213\010\000garbage, not deflate data' > garbage.gz
expect_reject garbage.gz "not valid gzip data"
gzip -c "$data/good/minimal.json" | head -c 200 > cut.json.gz
expect_reject cut.json.gz "the gzip data is truncated"
python3 - <<'PY'
import zlib
c = zlib.compressobj(9, zlib.DEFLATED, 31)
z = bytes(1 << 20)
with open("bomb.gz", "wb") as f:
    for _ in range(1100):
        f.write(c.compress(z))
    f.write(c.flush())
PY
expect_reject bomb.gz "decompresses to more than 1 GiB"
# 24 MB of "{}," within the size limit: its JSON tree alone would take
# GiBs (every {} is an object with its hash table).
python3 - <<'PY'
import gzip
with gzip.open("objects.json.gz", "wb", 9) as f:
    f.write(b"[" + b"{}," * (8 << 20) + b"{}]")
PY
expect_reject objects.json.gz "line 1: a snapshot that needs more than 1 GiB of memory to parse: refused"
ok "gzip garbage, truncation and bombs"

# Not regular files: refused at once, never waiting on a FIFO's writer.
mkfifo fifo
expect_reject fifo "not a regular file (a FIFO)"
expect_reject /dev/null "not a regular file (a device)"
mkdir dir
expect_reject dir "not a regular file (a directory)"
expect_reject missing.json "cannot open: No such file or directory"
truncate -s 1100M sparse.json
expect_reject sparse.json "too large"
ok "FIFO, device, directory, missing and oversized files"

# Exact bytes of names that are not UTF-8 (NAME_hex) are what is read.
"$VMATLAS" view --format=text "$data/good/hex-names.json" > "$TEST_TMP/hex.txt" || fail "hex-names.json rejected"
grep -qF '/usr/bin/\xff' "$TEST_TMP/hex.txt" || fail "path_hex not used: $(grep usr "$TEST_TMP/hex.txt")"
grep -qF 'layout \xfe' "$TEST_TMP/hex.txt" || fail "cmdline_hex not used: $(grep cmdline "$TEST_TMP/hex.txt")"
ok "NAME_hex members give the names' bytes"
