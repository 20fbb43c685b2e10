#!/bin/sh
# The JSON document follows man/vmatlas-snapshot.5, and --pages run-length
# encodes every page of every mapping.
. "$TESTLIB"

start_target layout
out=$TEST_TMP/snap.json
"$VMATLAS" snapshot --format=json --pages "$TPID" > "$out" || fail "snapshot exited $?"

python3 - "$out" "$(ready_value anon32)" <<'PY' || fail "schema check"
import json, re, sys
d = json.load(open(sys.argv[1]))
anon32 = int(sys.argv[2], 16)
HEX = re.compile(r"^0x[0-9a-f]+$")
assert d["format"] == "vmatlas-snapshot" and d["version"] == 2
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", d["taken_at"]), d["taken_at"]
h = d["host"]
assert isinstance(h["kernel"], str) and h["page_size"] == 4096
assert isinstance(h["pfn_visible"], bool) and isinstance(h["swap_total_kb"], int)
p = d["processes"][0]
for k in ("pid", "ppid", "comm", "exe", "cmdline", "mm", "mappings", "totals"):
    assert k in p, k
for k in ("start_code", "end_code", "start_data", "end_data", "start_brk", "brk",
          "start_stack", "arg_start", "arg_end", "env_start", "env_end"):
    assert HEX.match(p["mm"][k]), (k, p["mm"][k])
kinds = {"text", "rodata", "data", "bss", "heap", "stack", "anon", "file", "shm",
         "vdso", "vvar", "vsyscall", "guard", "reserved", "other"}
states = {"resident", "file", "zero", "thp", "swapped", "not_present"}
prev_end = 0
for m in p["mappings"]:
    for k in ("start", "end", "offset"):
        assert HEX.match(m[k]), (k, m[k])
    s, e = int(m["start"], 16), int(m["end"], 16)
    assert prev_end <= s < e, m
    prev_end = e
    assert m["kind"] in kinds, m["kind"]
    pg = m["pages"]
    assert pg["total"] == (e - s) // 4096
    assert pg["resident"] + pg["swapped"] + pg["not_present"] == pg["total"]
    # "r7n": a count (1 when left out) before each state's letter.
    assert re.match(r"^([1-9][0-9]*)?[nrfzhs]([1-9][0-9]*[nrfzhs]|[nrfzhs])*$", m["runs"]), m["runs"][:40]
    names = dict(n="not_present", r="resident", f="file", z="zero", h="thp", s="swapped")
    runs = [[names[l], int(c or 1)] for c, l in re.findall(r"([0-9]*)([a-z])", m["runs"])]
    assert all(a[0] != b[0] for a, b in zip(runs, runs[1:])), "neighbours of one state"
    assert sum(n for _, n in runs) == pg["total"], m
    assert all(st in states for st, _ in runs)
    present = sum(n for st, n in runs if st in ("resident", "file", "zero", "thp"))
    assert present == pg["resident"], (m, present)
    assert sum(n for st, n in runs if st == "swapped") == pg["swapped"]
    if m["start"] == hex(anon32):
        expect = [["resident", 1], ["not_present", 7]] * 999 + [["resident", 1], ["not_present", 199]]
        assert runs == expect, runs[:6]
        assert m["runs"] == "r7n" * 999 + "r199n", m["runs"][:20]
t = p["totals"]
assert t["virtual_kb"] == sum((int(m["end"], 16) - int(m["start"], 16)) // 1024 for m in p["mappings"])
assert sum(k["virtual_kb"] for k in t["by_kind"].values()) == t["virtual_kb"]
print("schema ok")
PY
ok "schema and runs"

# Without --pages there are no runs.
"$VMATLAS" snapshot --format=json "$TPID" > "$TEST_TMP/nopages.json" || fail "snapshot exited $?"
expect_eq "no runs without --pages" "$(json_eval "$TEST_TMP/nopages.json" "any('runs' in m for m in d['processes'][0]['mappings'])")" false

# Several PIDs: one document, one process each.
"$VMATLAS" snapshot --format=json "$TPID" $$ > "$TEST_TMP/two.json" || fail "two pids exited $?"
expect_eq "two processes" "$(json_eval "$TEST_TMP/two.json" "[p['pid'] for p in d['processes']]")" "[$TPID, $$]"
