#!/bin/sh
# Both pagemap backends give the same counts and page runs for every mapping, and AUTO
# falls back to pread when the kernel has no PAGEMAP_SCAN (simulated by
# tests/targets/noscan: the ioctl fails with ENOTTY as before Linux 6.7).
. "$TESTLIB"

command -v python3 >/dev/null || skip "python3 not installed"
start_target layout

"$VMATLAS" snapshot --format=json --pages --backend=scan "$TPID" > "$TEST_TMP/scan.json" || fail "--backend=scan exited $?"
"$VMATLAS" snapshot --format=json --pages --backend=pread "$TPID" > "$TEST_TMP/pread.json" || fail "--backend=pread exited $?"
VMATLAS_PAGEMAP_BACKEND=pread "$VMATLAS" snapshot --format=json --pages "$TPID" > "$TEST_TMP/env.json" || fail "VMATLAS_PAGEMAP_BACKEND=pread exited $?"

# Without the ioctl: --backend=scan is refused, AUTO falls back.
if "$TARGETS/noscan" "$VMATLAS" snapshot --backend=scan "$TPID" > /dev/null 2> "$TEST_TMP/err"; then
	fail "--backend=scan worked without PAGEMAP_SCAN: the simulation is not in effect"
fi
[ "$(wc -l < "$TEST_TMP/err")" = 1 ] || fail "--backend=scan without the ioctl: not one line: $(cat "$TEST_TMP/err")"
ok "--backend=scan without PAGEMAP_SCAN: $(cat "$TEST_TMP/err")"
"$TARGETS/noscan" "$VMATLAS" snapshot --format=json --pages "$TPID" > "$TEST_TMP/fallback.json" || fail "AUTO without PAGEMAP_SCAN exited $?"

python3 - "$TEST_TMP" <<'PY' || fail "backends disagree"
import json, sys
d = sys.argv[1]
docs = {n: json.load(open(f"{d}/{n}.json"))["processes"][0]["mappings"]
        for n in ("scan", "pread", "env", "fallback")}
keys = ("total", "resident", "swapped", "not_present")
bad = 0
for name in ("pread", "env", "fallback"):
    assert len(docs[name]) == len(docs["scan"]), name
    for a, b in zip(docs["scan"], docs[name]):
        assert a["start"] == b["start"], (a["start"], b["start"])
        if [a["pages"][k] for k in keys] != [b["pages"][k] for k in keys]:
            print("scan vs", name, a["start"], a["path"], a["pages"], b["pages"]); bad += 1
        # Every other count that both know (pread without root cannot
        # tell the zero page or a huge page: those are left out).
        both = set(a["pages"]) & set(b["pages"])
        if any(a["pages"][k] != b["pages"][k] for k in both):
            print("scan vs", name, a["start"], a["path"], a["pages"], b["pages"]); bad += 1
        if "zero" in both and a.get("runs") != b.get("runs"):
            print("runs: scan vs", name, a["start"], a["path"], a.get("runs"), b.get("runs")); bad += 1
# Only pread has exclusive counts of anonymous memory by default.
anon = [m for m in docs["fallback"] if m["kind"] == "anon" and m["pages"]["resident"]]
assert anon and all("exclusive" in m["pages"] for m in anon), "fallback did not read entries"
assert all("exclusive" not in m["pages"] for m in docs["scan"] if m["kind"] == "anon"), "scan read entries"
print(len(docs["scan"]), "mappings compared")
sys.exit(1 if bad else 0)
PY
ok "scan, pread, VMATLAS_PAGEMAP_BACKEND=pread and the ENOTTY fallback agree on every mapping"
