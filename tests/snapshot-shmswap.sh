#!/bin/sh
# Shared memory paged out to swap (shared anonymous, memfd, SysV shm, a
# tmpfs file mapped shared and private) is counted swapped, not "not
# present", page by page where it lies, and agrees with smaps for every
# mapping and with smaps_rollup; as a user (no map_files) the counts come
# from smaps (root: needs a private swap file).
. "$TESTLIB"

[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || skip "/dev/shm is not tmpfs"
with_swap 256M
start_target shmswap
[ "$(awk '/^Swap:/ {print $2}' "/proc/$TPID/smaps_rollup")" -gt 0 ] || skip "MADV_PAGEOUT paged nothing out"
out=$TEST_TMP/snap.json

# SMAPS_CHECK FILE: every mapping's swapped pages and RSS are smaps' Swap
# and Rss, and the totals are smaps_rollup's.
smaps_check() {
	python3 - "$1" "$TPID" <<'PY' || fail "$2: disagrees with smaps"
import json, sys, re
d = json.load(open(sys.argv[1])); p = d["processes"][0]; pid = sys.argv[2]
ps = d["host"]["page_size"] // 1024
sm = {}; cur = None
for line in open("/proc/%s/smaps" % pid):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
    if m:
        cur = (int(m.group(1), 16), int(m.group(2), 16)); sm[cur] = {}
    elif cur and line.split(":")[0] in ("Rss", "Swap"):
        sm[cur][line.split(":")[0]] = int(line.split()[1])
bad = 0
for m in p["mappings"]:
    k = (int(m["start"], 16), int(m["end"], 16))
    if k not in sm or m["path"] == "[vsyscall]":
        continue
    pg = m["pages"]
    got = (pg["swapped"] * ps, (pg["resident"] - pg.get("zero", 0)) * ps)
    want = (sm[k]["Swap"], sm[k]["Rss"])
    if got != want:
        print(m["start"], m["path"], "swap, rss", got, "smaps", want); bad += 1
roll = {l.split(":")[0]: int(l.split()[1]) for l in open("/proc/%s/smaps_rollup" % pid) if l.split(":")[0] in ("Rss", "Swap")}
if p["totals"]["swapped_kb"] != roll["Swap"]:
    print("swapped_kb", p["totals"]["swapped_kb"], "smaps_rollup", roll["Swap"]); bad += 1
sys.exit(bad > 0)
PY
	ok "$2: every mapping's swap and RSS = smaps, swapped_kb = smaps_rollup"
}

sw() { json_eval "$out" "mapping(d['processes'][0],'$(ready_value $1)')['pages']['$2']"; }
# RUNS KEY: the mapping's runs, compact: "swapped 2, file 2, ...".
runs() { json_eval "$out" "', '.join('%s %d' % (s, n) for s, n in runs(mapping(d['processes'][0],'$(ready_value $1)')))"; }

for backend in auto pread; do
	"$VMATLAS" snapshot --backend=$backend --pages --format=json "$TPID" > "$out" || fail "snapshot exited $?"
	expect_eq "$backend: shared anonymous 16 MiB swapped" "$(sw shanon swapped)" 4096
	expect_eq "$backend: shared anonymous not present" "$(sw shanon not_present)" 0
	expect_eq "$backend: shared anonymous runs" "$(runs shanon)" "swapped 4096"
	expect_eq "$backend: memfd swapped" "$(sw memfd swapped)" 32
	expect_eq "$backend: memfd runs" "$(runs memfd)" \
		"$(python3 -c "print(', '.join(['swapped 2, file 2'] * 16))")"
	expect_eq "$backend: SysV shm swapped" "$(sw sysv swapped)" 8
	expect_eq "$backend: SysV shm runs" "$(runs sysv)" "swapped 8, file 8"
	expect_eq "$backend: tmpfs file shared: swapped" "$(sw tmpsh swapped)" 8
	expect_eq "$backend: tmpfs file private: swapped (4 copies, 8 of the file)" "$(sw tmppriv swapped)" 12
	expect_eq "$backend: tmpfs file private runs" "$(runs tmppriv)" "file 4, swapped 12"
	smaps_check "$out" "$backend"
done

# Without --pages: the same counts.
"$VMATLAS" snapshot --format=json "$TPID" > "$out" || fail "snapshot exited $?"
expect_eq "no runs: shared anonymous swapped" "$(sw shanon swapped)" 4096
expect_eq "no runs: tmpfs file private swapped" "$(sw tmppriv swapped)" 12
smaps_check "$out" "no runs"

# The text table says SWAP 16M for the shared anonymous region.
"$VMATLAS" snapshot "$TPID" > "$TEST_TMP/snap.txt" || fail "snapshot (text) exited $?"
grep -E "^0*$(ready_value shanon | sed 's/^0x//') .* shm +16M +0K +16M +0K " "$TEST_TMP/snap.txt" > /dev/null ||
	fail "text row of the shared anonymous region: $(grep "$(ready_value shanon | sed 's/^0x//')" "$TEST_TMP/snap.txt")"
ok "text: shm 16M, RSS 0K, SWAP 16M, NOTPRES 0K"

# addr: a swapped page of shared memory is swapped, its neighbour present.
m=$(ready_value memfd)
"$VMATLAS" addr --format=json "$TPID" "$m" "$(printf '0x%x' $((m + 2 * 4096)))" > "$TEST_TMP/addr.json" || fail "addr exited $?"
expect_eq "addr: memfd page 0, page 2" \
	"$(json_eval "$TEST_TMP/addr.json" "[[a['page']['present'], a['page']['swapped'], a['page'].get('shared_memory_swap')] for a in d]")" \
	"[[false, true, true], [true, false, null]]"
# (Page 4: addr's look at the object's ELF header read page 0 back in.)
"$VMATLAS" addr "$TPID" "$(printf '0x%x' $((m + 4 * 4096)))" | grep -q "page: *swapped (shared memory" ||
	fail "addr text does not say swapped (shared memory...)"
ok "addr text: swapped (shared memory...)"

# The same target as a user: no map_files, so smaps gives the counts, and
# the runs of the mappings whose swapped pages cannot be placed are left out.
command -v setpriv > /dev/null || skip "setpriv is needed to run as nobody"
id nobody > /dev/null 2>&1 || skip "no user nobody"
AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
chmod 1777 "$TEST_TMP"
kill "$TPID"
START_AS=$AS_USER start_target shmswap
[ "$(awk '/^Swap:/ {print $2}' "/proc/$TPID/smaps_rollup")" -gt 0 ] || skip "MADV_PAGEOUT paged nothing out"
$AS_USER "$VMATLAS" snapshot --pages --format=json "$TPID" > "$out" ||
	fail "snapshot as nobody exited $?"
expect_eq "user: shared anonymous swapped" "$(sw shanon swapped)" 4096
expect_eq "user: memfd swapped" "$(sw memfd swapped)" 32
expect_eq "user: tmpfs file private swapped" "$(sw tmppriv swapped)" 12
expect_eq "user: runs left out where pages cannot be placed" \
	"$(json_eval "$out" "'runs' in mapping(d['processes'][0],'$(ready_value memfd)')")" false
smaps_check "$out" "user"
$AS_USER "$VMATLAS" addr "$TPID" "$(ready_value memfd)" | grep -q "whether it is swapped needs CAP_SYS_ADMIN" ||
	fail "addr as a user does not say that it cannot tell"
ok "addr as a user: cannot tell without CAP_SYS_ADMIN"
"$VMATLAS" view "$out" --format=json > /dev/null || fail "the user's snapshot does not read back"
ok "the user's snapshot reads back"
