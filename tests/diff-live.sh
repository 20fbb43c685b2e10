#!/bin/sh
# vmatlas diff of a target before and after it maps, unmaps, grows, shrinks
# and moves regions (tests/targets/mapper.c) reports exactly those changes,
# from files (one of them gzip) and from a live process alike.
. "$TESTLIB"

start_target mapper
before=$TEST_TMP/before.json
after=$TEST_TMP/after.json.gz
"$VMATLAS" snapshot --format=json --pages -o "$before" "$TPID" || fail "snapshot before exited $?"
kill -USR1 "$TPID"
for i in $(seq 1 100); do grep -q '^ready' "$READY.done" 2>/dev/null && break; sleep 0.05; done
grep -q '^ready' "$READY.done" || hard_error "mapper did not apply its changes"
"$VMATLAS" snapshot --format=json --pages -o "$after" "$TPID" || fail "snapshot after exited $?"
gzip -t "$after" || fail "-o FILE.gz is not gzip"

"$VMATLAS" diff --format=json --pages "$before" "$after" > "$TEST_TMP/diff.json" || fail "diff exited $?"
"$VMATLAS" diff --format=json --pages "$before" "pid:$TPID" > "$TEST_TMP/diff-live.json" || fail "diff with pid: exited $?"

for d in diff.json diff-live.json; do
python3 - "$TEST_TMP/$d" "$READY" "$READY.done" <<'PY' || fail "$d"
import json, sys
d = json.load(open(sys.argv[1]))
kv = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l)
kv2 = dict(l.strip().split("=", 1) for l in open(sys.argv[3]) if "=" in l)
R = int(kv["reserve"], 16); MiB = 1 << 20
notguard = lambda ms: [m for m in ms if m["kind"] not in ("guard", "reserved")]

rem = notguard(d["removed"])
assert [(m["start"], m["end"]) for m in rem] == [(hex(R + MiB), hex(R + 5 * MiB))], rem
assert rem[0]["pages"]["resident"] == 1024, rem[0]["pages"]

add = notguard(d["added"])
fresh = int(kv2["fresh"], 16)
assert [(m["start"], m["end"]) for m in add] == [(hex(fresh), hex(fresh + 8 * MiB))], add
assert add[0]["pages"]["resident"] == 300, add[0]["pages"]

chg = {c["start"]: c for c in notguard(d["changed"])}
g = chg.pop(hex(R + 6 * MiB))
assert g["changes"] == ["pages"], g
assert g["delta"]["resident_pages"] == 50 and g["delta"]["not_present_pages"] == -50, g["delta"]
assert g["delta"]["resident_kb"] == 200 and g["delta"]["virtual_kb"] == 0, g["delta"]
assert g["ranges"] == [{"start": hex(R + 6 * MiB), "end": hex(R + 6 * MiB + 50 * 4096),
                        "pages": 50, "from": "not_present", "to": "resident"}], g["ranges"]

w = chg.pop(hex(R + 9 * MiB))
assert "grown" in w["changes"] and "moved" not in w["changes"], w
assert w["end"] == hex(R + 11 * MiB) and w["a_end"] == hex(R + 10 * MiB), w
assert w["delta"]["virtual_kb"] == 1024 and w["delta"]["not_present_pages"] == 256, w["delta"]
assert w["ranges"] == [{"start": hex(R + 10 * MiB), "end": hex(R + 11 * MiB), "pages": 256,
                        "from": "unmapped", "to": "not_present"}], w["ranges"]

t = chg.pop(hex(R + 14 * MiB))
assert t["changes"] == ["shrunk", "pages"], t
assert t["end"] == hex(R + 15 * MiB) and t["a_end"] == hex(R + 16 * MiB), t
assert t["delta"]["virtual_kb"] == -1024 and t["delta"]["resident_pages"] == -20, t["delta"]
assert t["delta"]["not_present_pages"] == -236 and t["delta"]["resident_kb"] == -80, t["delta"]
assert t["ranges"] == [{"start": hex(R + 15 * MiB), "end": hex(R + 15 * MiB + 20 * 4096), "pages": 20,
                        "from": "resident", "to": "unmapped"},
                       {"start": hex(R + 15 * MiB + 20 * 4096), "end": hex(R + 16 * MiB), "pages": 236,
                        "from": "not_present", "to": "unmapped"}], t["ranges"]

f = chg.pop(hex(int(kv2["file"], 16)))
assert "moved" in f["changes"] and f["a_start"] == kv["file"], f
assert f["path"] == kv["file_path"], f
# Nothing else changed but the guard ranges around the regions, and the
# residency of code the target ran to make the changes (libc pages).
assert all(c["changes"] == ["pages"] and c["kind"] != "anon" and
           not R <= int(c["start"], 16) < R + 64 * MiB for c in chg.values()), chg
# Totals by kind: the anonymous regions above, to the kB
# (virtual -4M gone +1M wide -1M thin +8M fresh; resident -1024 +50 -20 +300 pages).
assert d["totals"]["by_kind"]["anon"] == {"virtual_kb": 4096, "resident_kb": -2776, "swapped_kb": 0}, \
    d["totals"]["by_kind"]["anon"]
print("diff ok")
PY
ok "$d: removed, added, grown, shrunk, moved, page deltas and anon totals exact"
done

# Text output names the same changes.
"$VMATLAS" diff "$before" "$after" > "$TEST_TMP/diff.txt" || fail "text diff exited $?"
grep -q "^removed" "$TEST_TMP/diff.txt" && grep -q "^added" "$TEST_TMP/diff.txt" &&
	grep -q "^moved" "$TEST_TMP/diff.txt" && grep -q "^grown" "$TEST_TMP/diff.txt" &&
	grep -q "^shrunk" "$TEST_TMP/diff.txt" ||
	fail "text diff lacks a change: $(cat "$TEST_TMP/diff.txt")"
ok "text diff"

# --pages needs runs.
"$VMATLAS" snapshot --format=json -o "$TEST_TMP/noruns.json" "$TPID" || fail "snapshot exited $?"
"$VMATLAS" diff --pages "$before" "$TEST_TMP/noruns.json" > /dev/null 2> "$TEST_TMP/err" && fail "--pages without runs succeeded"
grep -q "has no per-page states" "$TEST_TMP/err" || fail "message: $(cat "$TEST_TMP/err")"
ok "--pages without runs refused"

# Two runs of one program: ASLR puts the executable and its libraries at
# other addresses, yet each is matched to itself (path + offset) and moved.
[ "$(cat /proc/sys/kernel/randomize_va_space)" != 0 ] || skip "ASLR is off: the second run is at the same addresses"
start_target symbols
run1=$TPID
start_target symbols
"$VMATLAS" diff --format=json "pid:$run1" "pid:$TPID" > "$TEST_TMP/runs.json" || fail "diff of two runs exited $?"
python3 - "$TEST_TMP/runs.json" "/proc/$run1/maps" <<'PY' || fail "two runs of one program not matched"
import json, sys
d = json.load(open(sys.argv[1]))
named = [(f[5], int(f[2], 16)) for f in map(str.split, open(sys.argv[2]))
         if len(f) > 5 and f[5].startswith("/")]
assert not [m["path"] for m in d["added"] + d["removed"] if m["path"]], "named mapping added/removed"
moved = [(c["path"], int(c["offset"], 16)) for c in d["changed"]
         if "moved" in c["changes"] and c["path"].startswith("/")]
assert sorted(moved) == sorted(named), (sorted(moved), sorted(named))
print(len(moved), "file mappings matched across runs")
PY
ok "two runs: every file mapping matched and moved"
