#!/bin/sh
# `vmatlas demo` in a terminal opens the live screen on the COW view of the
# demo program: its first worker's divergence grows across refreshes (the
# 8192 pages of the arena, all written before the fork, are shared or
# diverged); the Tree view shows three workers eroding at three paces; the
# tab line says the demo is killed on quit, and quitting kills it (parent
# and forked workers); it runs on a terminal of its own (Output view).
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

tui_start 120 40 "$VMATLAS" demo --ascii -d 0.2
wait_for "^PID [0-9]+ vmatlas-demo running"
DPID=$(screen | sed -n 's/^PID \([0-9]*\) .*/\1/p' | head -n 1)
CPID=$(cat /proc/"$DPID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' | head -n 1)
[ -n "$CPID" ] || fail "the demo has no forked child"
TEST_PIDS="$TEST_PIDS $DPID $CPID"
wait_for "parent $DPID vmatlas-demo -> child $CPID vmatlas-demo-w1"
if [ "$(id -u)" = 0 ]; then
	wait_for "^exact \(PFN\)"
else
	wait_for "^ESTIMATE \(exclusive bit\)"
fi

# arena_diverged: the arena's row (8192 pages): shared + diverged = 8192,
# nothing only in one of them; prints the diverged count.
arena_diverged() {
	screen | awk '$2 == 8192 && NF >= 7 {
		if ($3 + $4 != 8192 || $5 != 0 || $6 != 0) { print "bad:" $0; exit }
		print $4; exit }'
}
last=
for round in 1 2 3; do
	for i in $(seq 1 40); do
		d=$(arena_diverged)
		case $d in bad:*) fail "arena row: ${d#bad:}" ;; esac
		[ -n "$d" ] && { [ -z "$last" ] || [ "$d" -gt "$last" ]; } && break
		sleep 0.05
	done
	[ -n "$d" ] || { screen >&2; fail "no arena row on the COW view"; }
	[ -z "$last" ] || [ "$d" -gt "$last" ] || fail "diverged did not grow: $last then $d"
	last=$d
done
wait_for "^copied +[1-9][0-9.]* pages/s"
ok "the COW view shows the child's divergence growing ($last pages)"
wait_for "^1 Layout .* 9 Output  demo \(killed on quit\), following forks$"
expect_eq "the demo's standard output" "$(readlink /proc/"$DPID"/fd/1 | sed 's/[0-9]*$/N/')" /dev/pts/N
[ "$(readlink /proc/"$DPID"/fd/1)" != "$(tm display -p -t t '#{pane_tty}')" ] ||
	fail "the demo writes on the screen's terminal"
keys o
wait_for "^vmatlas-demo's terminal: 0 lines  i: type to it$"
keys 6
ok "the tab says the demo is killed on quit; it has a terminal of its own"

# The heap grows while watched: the Maps view marks it grown.
keys 1
wait_for " heap .*\[heap\]"
keys 2 / heap Enter
wait_for "^> +[0-9a-f]+ +[0-9a-f]+ rw-p heap" 5
ok "the demo's heap grows live"
# The family view: three workers, each copying the arena at its own pace
# (32, 8 and 2 pages every 100 ms), the first fastest.
keys 7
wait_for "^family of $DPID: footprint "
rates() {
	screen | awk -v p="$DPID" '$2 == p && $9 ~ /^[0-9.]+$/ { printf "%s ", $9 }'
}
for i in $(seq 1 60); do
	set -- $(rates)
	[ $# = 3 ] && awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { exit !(a > b && b > c && c > 0) }' && break
	sleep 0.1
done
[ $# = 3 ] || { screen >&2; fail "the family view does not show three workers with rates"; }
awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { exit !(a > b && b > c && c > 0) }' ||
	fail "erosion rates not in the workers' order: $1 $2 $3 kB/s"
ok "the family view shows three workers eroding at three paces ($1 $2 $3 kB/s)"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
for p in $DPID $CPID; do
	for i in $(seq 1 100); do [ -d "/proc/$p" ] || break; sleep 0.05; done
	[ ! -d "/proc/$p" ] || fail "demo process $p still running after quit"
done
ok "demo processes gone"
