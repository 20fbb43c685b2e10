#!/bin/bash
# A process whose second thread execs it again and again (the thread id
# that execs is never the leader's: the kernel gives the leader's id to
# the thread that exec'd, tests/targets/execloop.c). Under the live screen
# it stays "running", never "gone", through 3 s of execs; its execs are
# not held back (at least half of its own rate, measured without vmatlas
# in the same run); quitting is prompt and leaves it untraced, at any
# moment of an exec.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

gen() { sed -n 's/^gen=0*\([0-9][0-9]*\)$/\1/p' "$READY.gen"; }
gen_rate() {
	local a b
	a=$(gen)
	sleep 2
	b=$(gen)
	echo $(( (b - a) / 2 ))
}

start_target execloop
base=$(gen_rate)
[ "$base" -ge 5 ] || skip "the target execs only $base times a second here"
tui_start 120 40 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^PID $TPID execloop running"
wait_for "attached \(left as found on quit\), following forks"
start=$(gen)
for i in $(seq 1 30); do
	s=$(screen)
	if echo "$s" | grep -Eq "^PID $TPID .* gone|has exited|is gone"; then
		echo "$s" >&2
		fail "after $(( $(gen) - start )) execs the screen says the process is gone"
	fi
	sleep 0.1
done
execs=$(( $(gen) - start ))
ok "$execs execs by a non-leader thread: the screen said running throughout"
traced=$(gen_rate)
ok "execs a second: $base alone, $traced under the live screen"
[ $(( traced * 2 )) -ge "$base" ] || fail "its execs were held back: $traced a second, alone $base"
wait_for "^PID $TPID execloop running"
tui_quit "" SR
ok "quit in $MS ms; every thread left running and untraced"

# Quitting while a thread execs: it waits in D state for the leader, which
# stops at its exit on the way; detaching must let the leader go rather
# than wait for the exec'ing thread (once 5 s). Each round quits at a
# random moment of the exec loop.
tm kill-session -t t
for round in 1 2 3 4 5 6 7 8; do
	tui_start 120 40 "$VMATLAS" -d 0.2 "$TPID"
	wait_for "attached \(left as found on quit\), following forks"
	sleep 0.$((RANDOM % 5))
	tui_quit "round $round: " SR
	tm kill-session -t t
done
ok "8 more quits amid the execs, each prompt and leaving it untraced"
exit 0
