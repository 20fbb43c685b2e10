#!/bin/sh
# vmatlas's own memory grows with the number of page runs, not of pages:
# `snapshot --pages` of a process with a 1 TiB PROT_NONE reservation (2^28
# pages, never touched) beside 36 MiB of known pages stays small, and the
# reservation is one run.
. "$TESTLIB"

command -v python3 >/dev/null || skip "python3 not installed"
[ -x /usr/bin/time ] || skip "GNU time (/usr/bin/time) is needed to measure peak RSS"

# tests/targets/pages writes one line "big=.. small=.. reserve=.." when ready.
READY=$TEST_TMP/pages.ready
"$TARGETS/pages" "$READY" &
TPID=$!
TEST_PIDS="$TEST_PIDS $TPID"
for i in $(seq 1 200); do
	[ -s "$READY" ] && break
	kill -0 "$TPID" 2>/dev/null || hard_error "target pages exited early"
	sleep 0.05
done
[ -s "$READY" ] || hard_error "target pages did not get ready"
value() { tr ' ' '\n' < "$READY" | sed -n "s/^$1=//p"; }

# GNU time forks from a small process: a child's ru_maxrss carries over the
# forking process's RSS across exec (so python or the shell would not do).
/usr/bin/time -f %M -o "$TEST_TMP/rss" "$VMATLAS" snapshot --format=json --pages "$TPID" \
	> "$TEST_TMP/snap.json" || fail "snapshot --pages exited $?"
P='d["processes"][0]'
expect_eq "reserve pages" "$(json_eval "$TEST_TMP/snap.json" "mapping($P,'$(value reserve)')['pages']['total']")" 268435456
expect_eq "reserve runs" "$(json_eval "$TEST_TMP/snap.json" "mapping($P,'$(value reserve)')['runs']")" '268435456n'
# big (1000 pages written, 100 read) and small (1024 written), which the
# kernel may merge into one mapping.
expect_eq "big and small: resident, zero" "$(json_eval "$TEST_TMP/snap.json" "[sum(m['pages'][k] for m in {id(x): x for x in (mapping($P,'$(value big)'), mapping($P,'$(value small)'))}.values()) for k in ('resident', 'zero')]")" "[2124, 100]"
rss=$(tail -n 1 "$TEST_TMP/rss")
# One byte per page of the reservation would be 256 MiB, one bit 32 MiB.
[ "$rss" -lt 32768 ] || fail "vmatlas peak RSS $rss KiB for a 1 TiB reservation (want < 32 MiB)"
ok "vmatlas peak RSS $rss KiB with a 1 TiB reservation of 2^28 pages"
