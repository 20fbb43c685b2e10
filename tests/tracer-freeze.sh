#!/bin/sh
# vmatlas snapshot --freeze on real targets: every thread is stopped for the
# scan and left as it was found afterwards (running, or stopped), untraced.
. "$TESTLIB"

start_target threads
n=$(ready_value threads)
expect_eq "threads of the target" "$(ls /proc/$TPID/task | wc -l)" "$n"

"$VMATLAS" snapshot --freeze "$TPID" > "$TEST_TMP/out" 2> "$TEST_TMP/err" || fail "snapshot --freeze: $(cat "$TEST_TMP/err")"
grep -q '(frozen: target stopped for [0-9.]* ms)' "$TEST_TMP/out" || fail "text does not say how long the target was stopped"
ok "text says: $(grep -o 'frozen: target stopped for [0-9.]* ms' "$TEST_TMP/out")"
threads_are "$TPID" SR
ok "running target runs on, untraced"

"$VMATLAS" snapshot --freeze --format=json -o "$TEST_TMP/s.json" "$TPID" || fail "json --freeze"
expect_eq "json live" "$(json_eval "$TEST_TMP/s.json" 'd["live"]')" false
expect_eq "json frozen_ms > 0" "$(json_eval "$TEST_TMP/s.json" 'd["frozen_ms"] > 0')" true
"$VMATLAS" snapshot --format=json -o "$TEST_TMP/l.json" "$TPID" || fail "json live"
expect_eq "without --freeze: live" "$(json_eval "$TEST_TMP/l.json" 'd["live"]')" true
expect_eq "without --freeze: no frozen_ms" "$(json_eval "$TEST_TMP/l.json" '"frozen_ms" in d')" false

# A stopped target stays stopped, and SIGCONT resumes it.
kill -STOP "$TPID"
threads_are "$TPID" T
"$VMATLAS" snapshot --freeze "$TPID" > /dev/null || fail "snapshot --freeze of a stopped target"
threads_are "$TPID" T
sleep 0.2
threads_are "$TPID" T
ok "stopped target is still stopped (T), untraced"
kill -CONT "$TPID"
threads_are "$TPID" SR
ok "SIGCONT resumes it"

# Refusals and errors, one line each.
"$VMATLAS" snapshot --freeze $$ > /dev/null 2> "$TEST_TMP/err" && fail "--freeze of an ancestor succeeded"
grep -q "refusing to trace process $$: it is " "$TEST_TMP/err" || fail "ancestor: $(cat "$TEST_TMP/err")"
ok "$(cat "$TEST_TMP/err")"

make_zombie
zombie=$ZOMBIE
"$VMATLAS" snapshot --freeze "$zombie" > /dev/null 2> "$TEST_TMP/err" && fail "--freeze of a zombie succeeded"
grep -q "process $zombie is a zombie" "$TEST_TMP/err" || fail "zombie: $(cat "$TEST_TMP/err")"
ok "$(cat "$TEST_TMP/err")"

if command -v strace > /dev/null; then
	strace_attach "$TPID"
	spid=$SPID
	"$VMATLAS" snapshot --freeze "$TPID" > /dev/null 2> "$TEST_TMP/err" && fail "--freeze of a traced process succeeded"
	grep -q "already traced by process $spid (strace)" "$TEST_TMP/err" || fail "traced: $(cat "$TEST_TMP/err")"
	ok "$(cat "$TEST_TMP/err")"
	kill -INT "$spid"; wait "$spid" 2>/dev/null
	threads_are "$TPID" SR

	# strace -p TID traces one thread: that thread can be neither frozen
	# nor unwound, so neither is claimed.
	tid=$(ls "/proc/$TPID/task" | grep -vx "$TPID" | head -n 1)
	strace_attach "$tid"
	spid=$SPID
	for cmd in "snapshot --freeze" "stacks" "snapshot --stacks"; do
		"$VMATLAS" $cmd "$TPID" > "$TEST_TMP/out" 2> "$TEST_TMP/err" && fail "$cmd with a thread traced by strace succeeded"
		[ ! -s "$TEST_TMP/out" ] || fail "$cmd: wrote to stdout"
		[ "$(wc -l < "$TEST_TMP/err")" = 1 ] || fail "$cmd: stderr is not one line: $(cat "$TEST_TMP/err")"
		grep -q "thread $tid of process $TPID is already traced by process $spid (strace)" "$TEST_TMP/err" ||
			fail "$cmd, traced thread: $(cat "$TEST_TMP/err")"
		ok "$cmd: $(cat "$TEST_TMP/err")"
		[ "$(proc_tracer "$TPID")" = 0 ] || fail "$cmd: left the leader traced"
	done
	kill -INT "$spid"; wait "$spid" 2>/dev/null
	threads_are "$TPID" SR
fi

# A thread that cannot stop (a vfork parent waits uninterruptibly for its
# child): --freeze gives up once after 5 s, not a second time while
# detaching, and leaves every thread untraced; the thread goes on when the
# child exits.
start_target threads vfork
vtid=$(ready_value vfork_tid) child=$(ready_value vfork_child)
TEST_PIDS="$TEST_PIDS $child"
expect_eq "the vfork parent thread waits (D)" "$(proc_state "$vtid")" D
t0=$(date +%s%N)
"$VMATLAS" snapshot --freeze "$TPID" > "$TEST_TMP/out" 2> "$TEST_TMP/err" && fail "--freeze of a thread in D succeeded"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q "^vmatlas: --freeze: process $TPID: a thread did not stop within 5 seconds" "$TEST_TMP/err" ||
	fail "unstoppable thread: $(cat "$TEST_TMP/err")"
[ "$ms" -lt 8000 ] || fail "--freeze took $ms ms to give up: it waited for the thread twice"
ok "$(cat "$TEST_TMP/err") (after $ms ms)"
threads_are "$TPID" SRD
kill "$child"
threads_are "$TPID" SR
ok "the vfork parent runs on once its child exits, untraced"
exit 0
