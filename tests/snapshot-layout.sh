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

expect_eq "16 MiB PROT_NONE kind" "$(json_eval "$out" "mapping($P,'$g')['kind']")" reserved
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

# Sections: every allocated section of the executable (readelf -S), moved by
# the load bias and clipped to each mapping; the anonymous bss tail has .bss.
command -v readelf >/dev/null || skip "readelf (binutils) not installed"
readelf -SW "$TARGETS/layout" > "$TEST_TMP/sections.txt"
python3 - "$out" "$TARGETS/layout" "$TEST_TMP/sections.txt" <<'PY' || fail "sections disagree with readelf"
import json, re, sys
p = json.load(open(sys.argv[1]))["processes"][0]
exe = sys.argv[2]
secs = []
for line in open(sys.argv[3]):
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*A\S*)\s", line)
    if m and int(m.group(3), 16) > 0:
        secs.append((m.group(1), int(m.group(2), 16), int(m.group(2), 16) + int(m.group(3), 16)))
maps = p["mappings"]
first = [i for i, m in enumerate(maps) if m["path"] == exe]
bias = int(maps[first[0]]["start"], 16)  # PIE: the first PT_LOAD is at 0
mine = [maps[i] for i in first] + [maps[first[-1] + 1]]
assert mine[-1]["path"] == "" and mine[-1]["kind"] == "bss", mine[-1]
bad = 0
for m in mine:
    s, e = int(m["start"], 16), int(m["end"], 16)
    want = [(n, "%#x" % max(a + bias, s), "%#x" % min(b + bias, e)) for n, a, b in secs
            if a + bias < e and b + bias > s]
    got = [(x["name"], x["start"], x["end"]) for x in m.get("sections", [])]
    if got != want:
        print("mapping", m["start"], "got", got, "want", want); bad += 1
assert any(x["name"] == ".bss" for x in mine[-1]["sections"])
print("sections of", len(mine), "mappings agree with readelf")
sys.exit(bad)
PY
ok "sections of every mapping of the executable, and .bss in its anonymous tail"

# soft_dirty: every written page is soft-dirty (nothing cleared the bits),
# and the count is left out where the kernel keeps no soft-dirty bits.
kernel_sd=$(kernel_soft_dirty)
if [ "$kernel_sd" = yes ]; then
	expect_eq "anon32 soft_dirty" "$(json_eval "$out" "mapping($P,'$a32')['pages'].get('soft_dirty')")" 1000
else
	expect_eq "soft_dirty left out (no CONFIG_MEM_SOFT_DIRTY)" "$(json_eval "$out" "'soft_dirty' in mapping($P,'$a32')['pages']")" false
fi

# The program image area holds the executable's mappings and its bss tail,
# and nothing of the libraries.
img=$(sed -n '/== program image/,/low reserve/p' "$TEST_TMP/snap.txt")
exe=$(readlink "/proc/$TPID/exe")
expect_eq "executable's mappings in the image" "$(echo "$img" | grep -c " $exe")" \
	"$(grep -c " $exe\$" "/proc/$TPID/maps")"
echo "$img" | grep -q '| bss ' || fail "the bss tail is not in the program image"
echo "$img" | grep -q 'libc' && fail "a library is in the program image"
ok "program image: the executable's $(grep -c " $exe\$" "/proc/$TPID/maps") mappings and its bss"
