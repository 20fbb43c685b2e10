#!/bin/sh
# vmatlas snapshot reports the target's known layout to the page.
. "$TESTLIB"

start_target layout
out=$TEST_TMP/snap.json
"$VMATLAS" snapshot --format=json "$TPID" > "$out" || fail "snapshot exited $?"

a32=$(ready_value anon32); z4=$(ready_value zero4); sh=$(ready_value shfile)
g=$(ready_value guard)
P='d["processes"][0]'

expect_eq "pid" "$(json_eval "$out" "$P['pid']")" "$TPID"
expect_eq "anon32 kind" "$(json_eval "$out" "mapping($P,'$a32')['kind']")" anon
expect_eq "anon32 total" "$(json_eval "$out" "mapping($P,'$a32')['pages']['total']")" 8192
expect_eq "anon32 resident" "$(json_eval "$out" "mapping($P,'$a32')['pages']['resident']")" 1000
expect_eq "anon32 not present" "$(json_eval "$out" "mapping($P,'$a32')['pages']['not_present']")" 7192
expect_eq "anon32 swapped" "$(json_eval "$out" "mapping($P,'$a32')['pages']['swapped']")" 0
# Exclusive counts of anonymous memory only when asked (they need a pread).
expect_eq "anon32 exclusive (not asked)" "$(json_eval "$out" "mapping($P,'$a32')['pages'].get('exclusive')")" null
"$VMATLAS" snapshot --exclusive --format=json "$TPID" > "$TEST_TMP/excl.json" || fail "snapshot --exclusive exited $?"
expect_eq "anon32 exclusive" "$(json_eval "$TEST_TMP/excl.json" "mapping($P,'$a32')['pages'].get('exclusive')")" 1000

# Read, never written: the zero page, present in pagemap, not in Rss.
expect_eq "zero4 resident" "$(json_eval "$out" "mapping($P,'$z4')['pages']['resident']")" 100
expect_eq "zero4 zero" "$(json_eval "$out" "mapping($P,'$z4')['pages'].get('zero')")" 100

expect_eq "shfile kind" "$(json_eval "$out" "mapping($P,'$sh')['kind']")" file
expect_eq "shfile resident" "$(json_eval "$out" "mapping($P,'$sh')['pages']['resident']")" 10
expect_eq "shfile file_or_shared" "$(json_eval "$out" "mapping($P,'$sh')['pages'].get('file_or_shared')")" 10
expect_eq "shfile path" "$(json_eval "$out" "mapping($P,'$sh')['path']")" "$(ready_value shfile_path)"

expect_eq "guard kind" "$(json_eval "$out" "mapping($P,'$g')['kind']")" guard
expect_eq "guard resident" "$(json_eval "$out" "mapping($P,'$g')['pages']['resident']")" 0

expect_eq "main is text" "$(json_eval "$out" "mapping($P,'$(ready_value main)')['kind']")" text
expect_eq "data_var is data" "$(json_eval "$out" "mapping($P,'$(ready_value data_var)')['kind']")" data
expect_eq "[heap] kind" "$(json_eval "$out" "[m['kind'] for m in $P['mappings'] if m['path']=='[heap]'][0]")" heap
expect_eq "[stack] kind" "$(json_eval "$out" "[m['kind'] for m in $P['mappings'] if m['path']=='[stack]'][0]")" stack
expect_eq "[vdso] kind" "$(json_eval "$out" "[m['kind'] for m in $P['mappings'] if m['path']=='[vdso]'][0]")" vdso
# The last page of bss_buf lies in the anonymous bss tail after the data segment.
bss_end=$(printf '0x%x' $(( $(ready_value bss_buf) + 1048575 )))
expect_eq "bss_buf end is bss" "$(json_eval "$out" "mapping($P,'$bss_end')['kind']")" bss

# Totals agree with the kernel's own accounting.
rss=$(awk '/^Rss:/ {print $2}' "/proc/$TPID/smaps_rollup")
expect_eq "resident_kb = smaps_rollup Rss" "$(json_eval "$out" "$P['totals']['resident_kb']")" "$rss"
# Each kind's totals: the smaps Rss and Swap of the mappings of that kind.
python3 - "$out" "/proc/$TPID/smaps" <<'PY' || fail "totals by kind disagree with smaps"
import json, sys
p = json.load(open(sys.argv[1]))["processes"][0]
smaps, cur = {}, None
for line in open(sys.argv[2]):
    f = line.split()
    if "-" in f[0] and not f[0].endswith(":"):
        cur = int(f[0].split("-")[0], 16); smaps[cur] = {}
    elif f[0] in ("Rss:", "Swap:"):
        smaps[cur][f[0][:-1]] = int(f[1])
want = {}
for m in p["mappings"]:
    s = int(m["start"], 16)
    if s >= 1 << 63:  # [vsyscall]: not in smaps
        continue
    k = want.setdefault(m["kind"], [0, 0, 0])
    k[0] += (int(m["end"], 16) - s) // 1024
    k[1] += smaps[s]["Rss"]; k[2] += smaps[s]["Swap"]
got = {k: [v["virtual_kb"], v["resident_kb"], v["swapped_kb"]]
       for k, v in p["totals"]["by_kind"].items()}
got.get("vsyscall", [0])[0] -= 4
got = {k: v for k, v in got.items() if k != "vsyscall" or v != [0, 0, 0]}
print("by kind:", got)
sys.exit(0 if got == want and want["anon"][1] >= 4000 else 1)
PY
ok "totals by kind = smaps of the mappings of each kind"

# Text output: the same mapping, human-readable, and the picture.
"$VMATLAS" snapshot "$TPID" > "$TEST_TMP/snap.txt" || fail "text snapshot exited $?"
row=$(grep "^$(printf '%016x' "$a32") " "$TEST_TMP/snap.txt") || fail "no text row for anon32"
set -- $row
expect_eq "text row perms/kind/size/rss/swap/notpres" "$3 $4 $5 $6 $7 $8" "rw-p anon 32M 3.9M 0K 28M"
grep -q '== stack ==' "$TEST_TMP/snap.txt" || fail "no stack area in the picture"
grep -q '== heap ==' "$TEST_TMP/snap.txt" || fail "no heap area in the picture"
grep -q 'program image' "$TEST_TMP/snap.txt" || fail "no program image in the picture"
grep -q 'start_stack=' "$TEST_TMP/snap.txt" || fail "no start_stack marker"
grep -q 'brk=' "$TEST_TMP/snap.txt" || fail "no brk marker"
ok "text output"
