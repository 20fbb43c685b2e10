#!/bin/sh
# vmatlas family on a prefork target with known writes (tests/targets/
# prefork.c: a master with a 1000-page region, three workers rewriting 100,
# 200 and 300 of its pages, a grandchild rewriting 50 more): every number
# checked. RSS, PSS, USS, swap and swap PSS against smaps_rollup read here;
# as root shared/diverged, the footprint and the sharing histogram against
# this test's own PFN comparison of every pagemap; without root the
# estimate, said as such. A member stopped with SIGSTOP stays stopped and
# nothing is left traced.
. "$TESTLIB"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"

start_prefork

# Worker 2 is stopped by its user: it must stay so.
kill -STOP "$W2"
for i in $(seq 1 100); do [ "$(proc_state "$W2")" = T ] && break; sleep 0.02; done
expect_eq "worker 2 stopped before" "$(proc_state "$W2")" T

if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv is needed to run as nobody"
	AS_USER="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	AS_USER=""
fi

# rollups FILE: every member's smaps_rollup, in kB, as JSON.
rollups() {
	python3 - "$1" $M $W1 $W2 $W3 $G <<'EOF'
import json, sys
out = {}
for pid in sys.argv[2:]:
    kb = {}
    for line in open("/proc/%s/smaps_rollup" % pid):
        k, _, v = line.partition(":")
        if v.strip().endswith(" kB"):
            kb[k] = int(v.split()[0])
    out[pid] = kb
json.dump(out, open(sys.argv[1], "w"))
EOF
}

# family_json FILE [AS...]: vmatlas family --format=json of the master into
# FILE, with every member's smaps_rollup read just before and just after.
family_json() {
	local f=$1
	shift
	rollups "$f.before"
	"$@" "$VMATLAS" family --format=json "$M" > "$f" || fail "family --format=json exited $?"
	rollups "$f.after"
}

# check_doc FILE LABEL PRECISION: what holds with or without PFNs.
check_doc() {
	python3 - "$1" "$2" "$3" "$M" "$W1" "$W2" "$W3" "$G" "$ADDR" <<'EOF' || fail "$2: the family document is wrong"
import json, sys
doc, label, precision = sys.argv[1:4]
m, w1, w2, w3, g = map(int, sys.argv[4:9])
addr = int(sys.argv[9], 16)
d = json.load(open(doc))
before, after = json.load(open(doc + ".before")), json.load(open(doc + ".after"))
f = d["family"]
bad = []
def check(what, got, want):
    if got != want:
        bad.append("%s: got %r, expected %r" % (what, got, want))
check("root", f["root"], m)
check("precision", f["precision"], precision)
procs = f["processes"]
# Tree order, like ps f: the master, worker 1 and its grandchild, 2, 3.
check("tree order", [p["pid"] for p in procs], [m, w1, g, w2, w3])
check("depths", [p["depth"] for p in procs], [0, 1, 2, 1, 1])
check("ppids", [p["ppid"] for p in procs][1:], [m, w1, m, m])
check("documented processes", sorted(p["pid"] for p in d["processes"]), sorted([m, w1, w2, w3, g]))
# The kernel's own numbers, read here just before and after vmatlas (the
# family is idle). They agree but for the PSS of the [vdso] page, which
# every process on the machine maps: its share moves by a few bytes as
# processes come and go, and may cross a kB; vmatlas's must lie between.
def between(what, got, a, b):
    if not min(a, b) <= got <= max(a, b):
        bad.append("%s: got %r, smaps_rollup said %r before and %r after" % (what, got, a, b))
for p in procs:
    kb0, kb1 = before[str(p["pid"])], after[str(p["pid"])]
    for key, name in (("Rss", "rss_kb"), ("Pss", "pss_kb"), ("Swap", "swap_kb"),
                      ("SwapPss", "swap_pss_kb")):
        between("%d %s" % (p["pid"], name), p[name], kb0[key], kb1[key])
    between("%d uss_kb" % p["pid"], p["uss_kb"], kb0["Private_Clean"] + kb0["Private_Dirty"],
            kb1["Private_Clean"] + kb1["Private_Dirty"])
    check("%d rss_kb" % p["pid"], kb0["Rss"], kb1["Rss"])
    check("%d comm" % p["pid"], p["comm"], "prefork")
    check("%d has a parent" % p["pid"], "shared_with_parent_kb" in p, p["pid"] != m)
check("rss_sum_kb", f["rss_sum_kb"], sum(p["rss_kb"] for p in procs))
# The region: every member against the master.
reg = [x for x in f["mappings"] if int(x["start"], 16) == addr]
check("region listed once", len(reg), 1)
if reg:
    got = {s["pid"]: (s["shared_kb"], s["diverged_kb"]) for s in reg[0]["processes"]}
    check("region erosion", got, {w1: (3600, 400), w2: (3200, 800), w3: (2800, 1200), g: (3400, 600)})
check("sharing k", [k for k, _ in f["sharing"]], [1, 2, 3, 4, 5])
check("footprint = histogram", f["footprint_kb"], sum(kb for _, kb in f["sharing"]))
for b in bad:
    print(label + ": " + b)
sys.exit(1 if bad else 0)
EOF
	ok "$2: tree, smaps_rollup numbers, region erosion"
}

# Reading the vDSO's ELF headers from a process's memory (to type its
# mappings) faults the [vdso] pages in: once, before anything is measured.
"$VMATLAS" family "$M" > /dev/null || fail "family exited $?"

# ---- without root: the estimate -----------------------------------------
family_json "$TEST_TMP/est.json" $AS_USER
check_doc "$TEST_TMP/est.json" estimate estimate
$AS_USER "$VMATLAS" family "$M" > "$TEST_TMP/est.txt" || fail "text family as a user exited $?"
grep -q '^precision: estimate (PFNs need root' "$TEST_TMP/est.txt" || fail "text estimate does not say so"
ok "text says it is an estimate"

[ "$(id -u)" = 0 ] || skip "the exact (PFN) numbers need root; the estimate passed"

# ---- as root: exact --------------------------------------------------------
family_json "$TEST_TMP/pfn.json"
check_doc "$TEST_TMP/pfn.json" pfn pfn

# As root with no swap in use, RSS, PSS and USS come from the pagemap walk
# and /proc/kpagecount: no member's smaps_rollup is read (the numbers just
# checked against smaps_rollup are the walk's).
swap_used() { awk '/^SwapTotal:/ { t = $2 } /^SwapFree:/ { f = $2 } END { print t - f }' /proc/meminfo; }
if command -v strace >/dev/null && [ "$(swap_used)" = 0 ]; then
	# (LeakSanitizer cannot run under ptrace.)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=openat -o "$TEST_TMP/opens" "$VMATLAS" family "$M" > /dev/null ||
		fail "family under strace exited $?"
	if [ "$(swap_used)" = 0 ]; then
		expect_eq "smaps_rollup opened without swap" "$(grep -c smaps_rollup "$TEST_TMP/opens")" 0
	fi
fi

# This test's own comparison: every pagemap read here, PFN against PFN.
python3 - "$TEST_TMP/pfn.json" "$M" "$W1" "$W2" "$W3" "$G" <<'EOF' || fail "vmatlas disagrees with the pagemap PFNs"
import json, struct, sys
d = json.load(open(sys.argv[1]))
f = d["family"]
pids = list(map(int, sys.argv[2:7]))
def maps(pid):
    out = []
    for line in open("/proc/%d/maps" % pid):
        a, b = line.split()[0].split("-")
        out.append((int(a, 16), int(b, 16)))
    return out
def entries(fd, a, b):
    fd.seek(a // 4096 * 8)
    raw = fd.read((b - a) // 4096 * 8)
    return struct.unpack("<%dQ" % (len(raw) // 8), raw)
kpf = open("/proc/kpageflags", "rb")
def is_zero(pfn):
    kpf.seek(pfn * 8)
    return struct.unpack("<Q", kpf.read(8))[0] >> 24 & 1
pm = {p: open("/proc/%d/pagemap" % p, "rb") for p in pids}
owners = {}
for p in pids:
    for a, b in maps(p):
        for e in entries(pm[p], a, b):
            if e >> 63 & 1:
                pfn = e & (1 << 55) - 1
                if not is_zero(pfn):
                    owners.setdefault(pfn, set()).add(p)
hist = {}
for s in owners.values():
    hist[len(s)] = hist.get(len(s), 0) + 4
want = [[k, hist.get(k, 0)] for k in range(1, len(pids) + 1)]
bad = []
if f["sharing"] != want:
    bad.append("sharing: vmatlas %r, pagemaps %r" % (f["sharing"], want))
if f["footprint_kb"] != 4 * len(owners):
    bad.append("footprint: vmatlas %d, pagemaps %d" % (f["footprint_kb"], 4 * len(owners)))
# Against the parent: mappings starting at the same address, over the part
# both cover (as vmatlas cow compares).
ppid = {p["pid"]: p["ppid"] for p in f["processes"]}
for p in f["processes"]:
    c = p["pid"]
    if c == pids[0]:
        continue
    par = ppid[c]
    pm_par = dict(maps(par))
    sh = dv = 0
    for a, b in maps(c):
        if a not in pm_par:
            continue
        b = min(b, pm_par[a])
        for x, y in zip(entries(pm[par], a, b), entries(pm[c], a, b)):
            hx, hy = x >> 62 & 3, y >> 62 & 3
            if not hx or not hy:
                continue
            if x >> 63 & 1 and y >> 63 & 1:
                same = x & (1 << 55) - 1 == y & (1 << 55) - 1
            elif x >> 62 & 1 and y >> 62 & 1:
                same = x & (1 << 55) - 1 == y & (1 << 55) - 1
            else:
                same = False
            if same:
                sh += 4
            else:
                dv += 4
    if (p["shared_with_parent_kb"], p["diverged_from_parent_kb"]) != (sh, dv):
        bad.append("%d against %d: vmatlas %d/%d, pagemaps %d/%d" % (c, par,
                   p["shared_with_parent_kb"], p["diverged_from_parent_kb"], sh, dv))
print("pagemaps: footprint %d kB, sharing %r" % (4 * len(owners), want))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
ok "shared, diverged, footprint and sharing equal the PFN comparison of every pagemap"

# The region's part of the histogram, from the pagemaps alone: the target's
# layout as documented (a check of the check).
python3 - "$ADDR" "$M" "$W1" "$W2" "$W3" "$G" <<'EOF' || fail "the region's pages are not as the target says"
import struct, sys
addr = int(sys.argv[1], 16)
owners = {}
for p in map(int, sys.argv[2:]):
    with open("/proc/%d/pagemap" % p, "rb") as f:
        f.seek(addr // 4096 * 8)
        for e in struct.unpack("<1000Q", f.read(8000)):
            owners.setdefault(e & (1 << 55) - 1, set()).add(p)
hist = {}
for s in owners.values():
    hist[len(s)] = hist.get(len(s), 0) + 1
print(sorted(hist.items()))
sys.exit(0 if hist == {1: 650, 2: 100, 3: 100, 4: 150, 5: 650} else 1)
EOF
ok "region histogram k=1..5: 650 100 100 150 650 pages"

# The text: one row a process, indented like ps f, the same numbers.
"$VMATLAS" family "$M" > "$TEST_TMP/pfn.txt" || fail "text family exited $?"
grep -q '^precision: pfn (physical frames compared: exact)' "$TEST_TMP/pfn.txt" || fail "text precision"
python3 - "$TEST_TMP/pfn.json" "$TEST_TMP/pfn.txt" <<'EOF' || fail "the text table disagrees with the JSON"
import json, re, sys
f = json.load(open(sys.argv[1]))["family"]
text = open(sys.argv[2]).read()
bad = []
for p in f["processes"]:
    if p["pid"] == f["root"]:
        cols = "- - -"
    else:
        t = p["shared_with_parent_kb"] + p["diverged_from_parent_kb"]
        cols = "%d %d %.1f%%" % (p["shared_with_parent_kb"], p["diverged_from_parent_kb"],
                                 100.0 * p["diverged_from_parent_kb"] / t if t else 0)
    ind = "" if p["depth"] == 0 else " " * (4 * (p["depth"] - 1) + 1) + "\\_ "
    want = "%d %d %d %d %d %d %s" % (p["pid"], p["rss_kb"], p["pss_kb"], p["uss_kb"],
                                     p["swap_kb"], p["swap_pss_kb"], cols)
    rows = [l for l in text.splitlines() if re.match(r"^ *%d " % p["pid"], l)]
    # PSS moves by the vDSO's share as processes start and exit anywhere
    # (see check_doc): the kB may differ by one between two runs.
    cols = rows[0].split() if len(rows) == 1 else []
    if cols and abs(int(cols[2]) - p["pss_kb"]) <= 1:
        cols[2] = str(p["pss_kb"])
    if len(rows) != 1 or " ".join(cols[:9]) != want or \
       not rows[0].endswith("  " + ind + p["title"]):
        bad.append("row of %d: %r, expected %r ... %r" % (p["pid"], rows, want, ind + p["title"]))
if "footprint %d kB" % f["footprint_kb"] not in text or "sum of RSS %d kB" % f["rss_sum_kb"] not in text:
    bad.append("footprint line")
for k, kb in f["sharing"]:
    if kb and not re.search(r"^  k=%d +%d kB$" % (k, kb), text, re.M):
        bad.append("sharing k=%d" % k)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
ok "text rows, footprint and histogram"

# The metrics: every value of the JSON, in bytes, with HELP and TYPE lines.
"$VMATLAS" family --format=prom "$M" > "$TEST_TMP/fam.prom" || fail "prom exited $?"
python3 - "$TEST_TMP/pfn.json" "$TEST_TMP/fam.prom" <<'EOF' || fail "the metrics disagree with the JSON"
import json, re, sys
f = json.load(open(sys.argv[1]))["family"]
got, typed, helped = {}, set(), set()
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    m = re.match(r"^# (HELP|TYPE) (\S+) (.+)$", line)
    if m:
        (helped if m.group(1) == "HELP" else typed).add(m.group(2))
        if m.group(1) == "TYPE" and m.group(3) != "gauge":
            sys.exit("not a gauge: " + line)
        continue
    m = re.match(r'^(\w+)\{([^}]*)\} (\d+)$', line)
    if not m:
        sys.exit("not a sample: %r" % line)
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
    got[(m.group(1), labels.get("pid"), labels.get("mapped_by"))] = int(m.group(3))
    if labels.get("root") != str(f["root"]) or ("pid" in labels and labels.get("comm") != "prefork"):
        sys.exit("labels: " + line)
want = {}
for p in f["processes"]:
    pid = str(p["pid"])
    for name, key in (("rss", "rss_kb"), ("pss", "pss_kb"), ("uss", "uss_kb"), ("swap", "swap_kb"),
                      ("swap_pss", "swap_pss_kb"), ("shared_with_parent", "shared_with_parent_kb"),
                      ("diverged_from_parent", "diverged_from_parent_kb")):
        if key in p:
            want[("vmatlas_family_process_%s_bytes" % name, pid, None)] = 1024 * p[key]
want[("vmatlas_family_footprint_bytes", None, None)] = 1024 * f["footprint_kb"]
want[("vmatlas_family_rss_sum_bytes", None, None)] = 1024 * f["rss_sum_kb"]
for k, kb in f["sharing"]:
    want[("vmatlas_family_sharing_bytes", None, str(k))] = 1024 * kb
want[("vmatlas_family_exact", None, None)] = 1
# PSS may move by a kB between two runs (the vDSO's share, see check_doc).
for k in want:
    if k[0] == "vmatlas_family_process_pss_bytes" and abs(got.get(k, 0) - want[k]) <= 1024:
        got[k] = want[k]
names = {k[0] for k in got}
if got != want or names != typed or names != helped:
    sys.exit("metrics %r\nexpected %r" % (sorted(got.items()), sorted(want.items())))
EOF
ok "metrics: every value, HELP and TYPE"
if command -v promtool >/dev/null; then
	promtool check metrics < "$TEST_TMP/fam.prom" > "$TEST_TMP/promtool.out" 2>&1 ||
		fail "promtool check metrics: $(cat "$TEST_TMP/promtool.out")"
	ok "promtool check metrics passes"
else
	echo "promtool (Debian package prometheus) is not installed: not run"
fi

# Several roots: both trees, each root without a parent in the family.
sleep 300 &
S=$!
TEST_PIDS="$TEST_PIDS $S"
"$VMATLAS" family --format=json "$M" "$S" > "$TEST_TMP/two.json" || fail "family of two roots exited $?"
expect_eq "two roots: members, depths" \
	"$(json_eval "$TEST_TMP/two.json" "[(p['pid'], p['depth'], 'shared_with_parent_kb' in p) for p in d['family']['processes'] if p['depth'] == 0]")" \
	"[[$M, 0, false], [$S, 0, false]]"
expect_eq "two roots: six processes, k up to 6" \
	"$(json_eval "$TEST_TMP/two.json" "[len(d['family']['processes']), len(d['processes']), d['family']['sharing'][-1][0]]")" "[6, 6, 6]"
"$VMATLAS" family "$M" "$S" | grep -q "^family of $M (prefork) and 1 more root: 6 processes$" ||
	fail "the text does not name the second root"
kill "$S"
ok "several roots"

# The document reads back whole: view writes the same family object.
"$VMATLAS" view --format=json "$TEST_TMP/pfn.json" > "$TEST_TMP/back.json" || fail "view of the family exited $?"
expect_eq "family read back" "$(json_eval "$TEST_TMP/back.json" "d['family'] == json.load(open('$TEST_TMP/pfn.json'))['family']")" true
"$VMATLAS" view --format=text "$TEST_TMP/pfn.json" > "$TEST_TMP/back.txt" || fail "view --format=text exited $?"
grep -q "^family of $M (prefork): 5 processes$" "$TEST_TMP/back.txt" || fail "view's text has no family table"
expect_eq "view's text: the family table as family prints it" \
	"$(sed -n '/^family of /,$p' "$TEST_TMP/back.txt" | grep -c "^ *[0-9]* .*prefork")" 5
# A family object that does not add up is refused in one line.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["family"]["processes"][1]; p["pss_kb"]=p["rss_kb"]+1; json.dump(d,open(sys.argv[2],"w"))' \
	"$TEST_TMP/pfn.json" "$TEST_TMP/bad.json"
"$VMATLAS" view --format=json "$TEST_TMP/bad.json" > /dev/null 2> "$TEST_TMP/err"; rc=$?
expect_eq "bad family exit" $rc 1
expect_eq "bad family message" "$(cat "$TEST_TMP/err")" \
	"vmatlas: $TEST_TMP/bad.json: line 1: family.processes[1]: pss_kb and uss_kb cannot exceed rss_kb"

# Stopped stays stopped; nothing is traced.
expect_eq "worker 2 still stopped" "$(proc_state "$W2")" T
for p in $M $W1 $W2 $W3 $G; do
	expect_eq "$p not traced" "$(proc_tracer "$p")" 0
done
kill -CONT "$W2"

# Bad input: one clear line, non-zero exit.
"$VMATLAS" family 2>"$TEST_TMP/err"; rc=$?
expect_eq "no PID exit" $rc 2
expect_eq "no PID lines" "$(wc -l < "$TEST_TMP/err")" 1
"$VMATLAS" family 999999999 2>"$TEST_TMP/err"; rc=$?
expect_eq "missing PID exit" $rc 1
expect_eq "missing PID lines" "$(wc -l < "$TEST_TMP/err")" 1
grep -q '^vmatlas: ' "$TEST_TMP/err" || fail "message: $(cat "$TEST_TMP/err")"
"$VMATLAS" family --format=html "$M" 2>"$TEST_TMP/err"; rc=$?
expect_eq "html format exit" $rc 2
ok "bad input"

# Workers that come and go: a root whose children live 10 to 80 ms. Every
# run ends 0 with the root first and only live-or-just-ended members; a
# member that exits, or is a zombie, while it is read is left out.
sh -c 'while :; do for i in 1 2 3 4 5 6 7 8; do sleep 0.0$i & done; wait; done' &
CHURN=$!
CLEANUP_HOOKS="$CLEANUP_HOOKS churn_stop"
churn_stop() { kill "$CHURN" 2>/dev/null; }
sleep 0.3
bad=0
for i in $(seq 1 40); do
	"$VMATLAS" family --format=json "$CHURN" > "$TEST_TMP/churn.json" 2> "$TEST_TMP/err" || {
		bad=$((bad + 1)); echo "run $i: $(cat "$TEST_TMP/err")" >&2; continue; }
	expect_eq "churn run $i: the root first" \
		"$(json_eval "$TEST_TMP/churn.json" 'd["family"]["processes"][0]["pid"]')" "$CHURN"
done
expect_eq "runs of a churning family that failed" "$bad" 0
kill "$CHURN"
ok "a family whose workers come and go is read every time"
