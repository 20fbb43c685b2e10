#!/bin/sh
# vmatlas snapshot of real programs (a shell, python3) agrees to the page
# with an independent reading of /proc/PID/pagemap and smaps.
. "$TESTLIB"

command -v python3 >/dev/null || skip "python3 not installed"
bash -c 'sleep 300 & wait' &
shpid=$!
python3 -c 'import time; x = bytearray(8 << 20); time.sleep(300)' &
pypid=$!
TEST_PIDS="$TEST_PIDS $shpid $pypid"
sleep 1

# The zero page is known as root (PFNs) or with PAGEMAP_SCAN: then every
# mapping's Rss is checked.
zero_known=0
if [ "$(id -u)" = 0 ] || "$VMATLAS" snapshot --backend=scan $$ > /dev/null 2>&1; then
	zero_known=1
fi
for pid in $shpid $pypid; do
	"$VMATLAS" snapshot --format=json "$pid" > "$TEST_TMP/$pid.json" || fail "snapshot of $pid exited $?"
	python3 - "$TEST_TMP/$pid.json" "$pid" "$zero_known" <<'PY' || fail "pid $pid disagrees with pagemap/smaps"
import json, struct, sys
doc = json.load(open(sys.argv[1])); pid = sys.argv[2]
p = doc["processes"][0]
maps = [l.split() for l in open(f"/proc/{pid}/maps")]
assert len(maps) == len(p["mappings"]), (len(maps), len(p["mappings"]))
pm = open(f"/proc/{pid}/pagemap", "rb")
smaps = {}
cur = None
for line in open(f"/proc/{pid}/smaps"):
    f = line.split()
    if "-" in f[0] and not f[0].endswith(":"):
        cur = int(f[0].split("-")[0], 16); smaps[cur] = {}
    elif f[0].endswith(":") and len(f) >= 2 and f[1].isdigit():
        smaps[cur][f[0][:-1]] = int(f[1])
bad = 0
for m, line in zip(p["mappings"], maps):
    s, e = (int(x, 16) for x in line[0].split("-"))
    assert (int(m["start"], 16), int(m["end"], 16)) == (s, e)
    if s >= 1 << 63:  # [vsyscall]: no VMA, pagemap says nothing there
        continue
    pm.seek(s // 4096 * 8)
    ents = struct.unpack(f"{(e - s) // 4096}Q", pm.read((e - s) // 4096 * 8))
    present = sum(1 for x in ents if x >> 63 & 1)
    swapped = sum(1 for x in ents if x >> 62 & 1)
    excl = sum(1 for x in ents if x >> 63 & 1 and x >> 56 & 1)
    pg = m["pages"]
    # Exclusivity of file pages changes while this checker (which maps the
    # same libraries) runs; anonymous memory is the process's own.
    if line[-1].startswith("/"):
        excl = pg.get("exclusive", excl)
    got = (pg["resident"], pg["swapped"], pg.get("exclusive", excl))
    if got != (present, swapped, excl):
        print("mismatch", line, got, (present, swapped, excl)); bad += 1
    if "zero" not in pg and sys.argv[3] == "1":
        print("zero left out though it is knowable", line); bad += 1
    if "zero" in pg:
        rss = (pg["resident"] - pg["zero"]) * 4
        if m["kind"] != "vvar" and rss != smaps[s]["Rss"]:
            print("Rss mismatch", line, rss, smaps[s]["Rss"]); bad += 1
sys.exit(1 if bad else 0)
PY
	ok "pid $pid ($(cat /proc/$pid/comm)) agrees with pagemap and smaps to the page"
	rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
	expect_eq "pid $pid resident_kb = smaps_rollup Rss" "$(json_eval "$TEST_TMP/$pid.json" "d['processes'][0]['totals']['resident_kb']")" "$rss"
done
