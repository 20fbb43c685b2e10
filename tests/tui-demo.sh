#!/bin/sh
# `vmatlas demo` in a terminal opens the live screen on the demo program;
# quitting stops the demo (parent and forked child).
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

tui_start 120 40 "$VMATLAS" demo -d 0.2
wait_for "^PID [0-9]+ vmatlas-demo running"
wait_for " heap .*\[heap\]"
DPID=$(screen | sed -n 's/^PID \([0-9]*\) .*/\1/p' | head -n 1)
CPID=$(cat /proc/"$DPID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' | head -n 1)
[ -n "$CPID" ] || fail "the demo has no forked child"
TEST_PIDS="$TEST_PIDS $DPID $CPID"
# The heap grows while watched: the Maps view marks it grown.
keys 2 / heap Enter
wait_for "^> +[0-9a-f]+ +[0-9a-f]+ rw-p heap" 5
ok "the demo's heap grows live"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
for p in $DPID $CPID; do
	for i in $(seq 1 100); do [ -d "/proc/$p" ] || break; sleep 0.05; done
	[ ! -d "/proc/$p" ] || fail "demo process $p still running after quit"
done
ok "demo processes gone"
