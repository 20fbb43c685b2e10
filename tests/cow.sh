#!/bin/sh
# vmatlas cow on a forked pair with a known layout (tests/targets/cow.c:
# 1000 pages written before fork, 125 of them rewritten by the child, 10
# written by the child only, 20 by the parent only after fork, 50 never):
# exact as root, checked against the PFNs of both pagemaps read here; the
# exclusive-bit estimate without root, said as such in every output.
. "$TESTLIB"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"

start_cow_pair

# cow_of FILE FIELD: FIELD of the compared mapping at ADDR in FILE's "cow".
cow_of() {
	json_eval "$1" "[m['$2'] for m in d['cow'][0]['mappings'] if int(m['start'],16)==$ADDR][0]"
}

check_counts() { # FILE LABEL
	expect_eq "$2 shared" "$(cow_of "$1" shared)" 875
	expect_eq "$2 diverged" "$(cow_of "$1" diverged)" 125
	expect_eq "$2 parent_only" "$(cow_of "$1" parent_only)" 20
	expect_eq "$2 child_only" "$(cow_of "$1" child_only)" 10
	expect_eq "$2 neither" "$(cow_of "$1" neither)" 50
	expect_eq "$2 pair" "$(json_eval "$1" "[d['cow'][0]['parent'], d['cow'][0]['child']]")" "[$P, $C]"
	expect_eq "$2 both processes" "$(json_eval "$1" "sorted(p['pid'] for p in d['processes'])")" "[$P, $C]"
}

# As an unprivileged user: the estimate (the target runs as that user).
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv is needed to run as nobody"
	AS_USER="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	AS_USER=""
fi
$AS_USER "$VMATLAS" cow --format=json "$P" "$C" > "$TEST_TMP/est.json" || fail "cow as a user exited $?"
expect_eq "user precision" "$(json_eval "$TEST_TMP/est.json" "d['cow'][0]['precision']")" exclusive-bit
expect_eq "user pfn_visible" "$(json_eval "$TEST_TMP/est.json" "d['host']['pfn_visible']")" false
check_counts "$TEST_TMP/est.json" "estimate"
$AS_USER "$VMATLAS" cow "$P" "$C" > "$TEST_TMP/est.txt" || fail "text cow as a user exited $?"
grep -q '^precision: exclusive-bit (an ESTIMATE' "$TEST_TMP/est.txt" || fail "text estimate does not say so"
ok "text says it is an estimate"
# The text row: counts and percentages of the 1080 pages, and the strip (64
# cells of 16.9 pages, each state in proportion to its pages: the first 59
# cells hold the 1000 pages of which one in eight diverged, so 7 of them
# are '#'; then child only, parent only, neither).
grep -A1 "^0x0*${ADDR#0x} " "$TEST_TMP/est.txt" > "$TEST_TMP/row.txt"
grep -Eq "^0x[0-9a-f]{16} 0x[0-9a-f]{16} anon +1080 +875 +81\.0% +125 +11\.6% +20 +10 +50 *$" "$TEST_TMP/row.txt" ||
	fail "text row: $(cat "$TEST_TMP/row.txt")"
expect_eq "text strip" "$(sed -n '2s/^ *//p' "$TEST_TMP/row.txt")" "[===$(printf '#=======%.0s' $(seq 1 7))CP...]"

[ "$(id -u)" = 0 ] || skip "the exact (PFN) comparison needs root; the estimate passed"

"$VMATLAS" cow --format=json --pages "$P" "$C" > "$TEST_TMP/pfn.json" || fail "cow exited $?"
expect_eq "precision" "$(json_eval "$TEST_TMP/pfn.json" "d['cow'][0]['precision']")" pfn
check_counts "$TEST_TMP/pfn.json" "pfn"
# Every page's state, in order: diverged every 8th page of the first 1000.
expect_eq "runs: diverged every 8th page, then 10 C, 20 P, 50 neither" \
	"$(json_eval "$TEST_TMP/pfn.json" "[runs(m) for m in d['cow'][0]['mappings'] if int(m['start'],16)==$ADDR][0] == \
		[['diverged',1],['shared',7]]*125 + [['child_only',10],['parent_only',20],['neither',50]]")" true

# An independent check: both pagemaps read here, PFN against PFN.
python3 - "$P" "$C" "$ADDR" "$TEST_TMP/pfn.json" <<'EOF' || fail "vmatlas disagrees with the pagemap PFNs"
import json, struct, sys
p, c, addr, doc = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3], 16), sys.argv[4]
def entries(pid):
    with open("/proc/%d/pagemap" % pid, "rb") as f:
        f.seek(addr // 4096 * 8)
        return struct.unpack("<1080Q", f.read(1080 * 8))
n = dict(shared=0, diverged=0, parent_only=0, child_only=0, neither=0)
for a, b in zip(entries(p), entries(c)):
    ha, hb = a >> 63 & 1, b >> 63 & 1
    if ha and hb:
        n["shared" if a & (1 << 55) - 1 == b & (1 << 55) - 1 else "diverged"] += 1
    else:
        n["parent_only" if ha else "child_only" if hb else "neither"] += 1
m = [m for m in json.load(open(doc))["cow"][0]["mappings"] if int(m["start"], 16) == addr][0]
got = {k: m[k] for k in n}
print("pagemap:", n, "vmatlas:", got)
sys.exit(0 if got == n and n["diverged"] == 125 else 1)
EOF
ok "counts equal the PFN comparison of both pagemaps"

"$VMATLAS" cow "$P" "$C" > "$TEST_TMP/pfn.txt" || fail "text cow exited $?"
grep -q '^precision: pfn' "$TEST_TMP/pfn.txt" || fail "text does not state pfn precision"
grep -Eq "^$(printf '0x%016x' "$ADDR") .* anon +1080 +875 +81\.0% +125 +11\.6% +20 +10 +50" "$TEST_TMP/pfn.txt" ||
	fail "text row of the mapping: $(grep "$(printf '%016x' "$ADDR")" "$TEST_TMP/pfn.txt")"
ok "text row"

# Bad input: one clear line, non-zero exit.
"$VMATLAS" cow "$P" 2>"$TEST_TMP/err" && fail "one PID accepted"
expect_eq "usage error lines" "$(wc -l < "$TEST_TMP/err")" 1
"$VMATLAS" cow "$P" "$P" 2>/dev/null; expect_eq "same pid exit" $? 2
"$VMATLAS" cow "$P" 999999999 2>"$TEST_TMP/err"; rc=$?
[ $rc = 1 ] || fail "missing child exited $rc"
expect_eq "missing child lines" "$(wc -l < "$TEST_TMP/err")" 1
grep -q '^vmatlas: ' "$TEST_TMP/err" || fail "message: $(cat "$TEST_TMP/err")"
ok "bad input"
