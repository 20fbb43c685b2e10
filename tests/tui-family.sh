#!/bin/sh
# The Tree view is the family view: on the prefork target (tests/targets/
# prefork.c) every member with its title, RSS, PSS, USS, shared with and
# diverged from its parent and its rate, the footprint and the histogram on
# top, all as `vmatlas family --format=json` says; sortable by a column. A
# worker stopped with SIGSTOP stays stopped, and quitting leaves every
# member untraced.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"

start_prefork
kill -STOP "$W2"
for i in $(seq 1 100); do [ "$(proc_state "$W2")" = T ] && break; sleep 0.02; done

tui_start 160 24 "$VMATLAS" -d 0.3 "$M"
wait_for "^PID $M prefork"
keys 7
wait_for "^family of $M: footprint "
# Every member's row, the grandchild under worker 1 (two levels deep).
wait_for "^ +$G +$W1 sleeping .*    \`- prefork $READY"
# Stopped by its user, then held by the tracer that follows it: traced.
wait_for "^ +$W2 +$M (stopped|traced) "
"$VMATLAS" family --format=json "$M" > "$TEST_TMP/fam.json" || fail "family exited $?"
if [ "$(id -u)" = 0 ]; then PREC="exact \\(PFN\\)"; else PREC="ESTIMATE \\(exclusive bit\\)"; fi

# The screen against the JSON, sizes as the screen prints them (fmt_kb).
# Two refreshes later, the idle members copy nothing: 0.0 kB/s.
sleep 0.7
screen > "$TEST_TMP/screen.txt"
python3 - "$TEST_TMP/fam.json" "$TEST_TMP/screen.txt" "$PREC" <<'EOF' || { cat "$TEST_TMP/screen.txt"; fail "the family view disagrees with vmatlas family"; }
import json, re, sys
f = json.load(open(sys.argv[1]))["family"]
lines = open(sys.argv[2]).read().splitlines()
def fmt_kb(kb):
    if kb < 1024:
        return "%dK" % kb
    v, u = float(kb), 0
    while v >= 1024 and u < 5:
        v /= 1024
        u += 1
    return ("%.1f%s" if v < 10 else "%.0f%s") % (v, "KMGTPE"[u])
bad = []
saves = max(f["rss_sum_kb"] - f["footprint_kb"], 0)
head = "family of %d: footprint %s  sum of RSS %s  sharing saves %s  " % (
    f["root"], fmt_kb(f["footprint_kb"]), fmt_kb(f["rss_sum_kb"]), fmt_kb(saves))
if not any(l.startswith(head) and re.search(sys.argv[3] + "$", l) for l in lines):
    bad.append("no line %r + precision" % head)
hist = "mapped by k:" + "".join("  %d: %s" % (k, fmt_kb(kb)) for k, kb in f["sharing"])
if hist not in lines:
    bad.append("no line %r" % hist)
for p in f["processes"]:
    rows = [l for l in lines if re.match(r"^ +%d +%d " % (p["pid"], p["ppid"]), l)]
    par = "shared_with_parent_kb" in p
    want = [fmt_kb(p["rss_kb"]), fmt_kb(p["pss_kb"]), fmt_kb(p["uss_kb"]),
            fmt_kb(p["shared_with_parent_kb"]) if par else "-",
            fmt_kb(p["diverged_from_parent_kb"]) if par else "-", "0.0" if par else "-"]
    if len(rows) != 1 or rows[0].split()[3:9] != want:
        bad.append("row of %d: %r, expected %r" % (p["pid"], rows, want))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
ok "rows, footprint and histogram as vmatlas family says"

# Sorted by RSS (the second column after the tree): the master first.
keys '>' '>'
wait_for "^ +PID +PPID STATE +RSSv "
wait_for "< >: sort \\(RSS\\)"
expect_eq "first row sorted by RSS" "$(screen | grep -A1 '^ *PID *PPID' | sed -n '2s/^ *\([0-9]*\) .*/\1/p')" "$M"
keys I
wait_for "^ +PID +PPID STATE +RSS\\^ "
ok "sorted by a column, and inverted"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "worker 2 still stopped" "$(proc_state "$W2")" T
for p in $M $W1 $W2 $W3 $G; do
	expect_eq "$p untraced after quit" "$(proc_tracer "$p")" 0
done
kill -CONT "$W2"
