#!/bin/sh
# A target that spawns and reaps threads, execs, or exits during a snapshot:
# vmatlas succeeds or says the process exited, never hangs, and leaves the
# target untraced and running (or lets it go when it exited).
. "$TESTLIB"

# snap ARGS...: run vmatlas snapshot with a 20 s limit; sets RC and ERR.
snap() {
	timeout -k 2 20 "$VMATLAS" snapshot "$@" > /dev/null 2> "$TEST_TMP/err"
	RC=$?
	ERR=$(cat "$TEST_TMP/err")
	[ "$RC" != 124 ] && [ "$RC" != 137 ] || fail "vmatlas snapshot $* hung"
}

# Threads created and joined all the time, with and without --freeze.
start_target churn threads
for i in $(seq 1 15); do
	snap --freeze "$TPID"
	[ "$RC" = 0 ] || fail "--freeze on a thread-churning target: exit $RC: $ERR"
	snap "$TPID"
	[ "$RC" = 0 ] || fail "snapshot of a thread-churning target: exit $RC: $ERR"
done
threads_are "$TPID" SR
ok "30 snapshots of a target churning threads; left running and untraced"
kill -KILL "$TPID"

# A target that keeps calling exec.
start_target churn exec 100
for i in $(seq 1 15); do
	for f in "" --freeze; do
		snap $f "$TPID"
		case "$RC" in
		0) ;;
		1) echo "$ERR" | grep -q -e "exec'd during the snapshot" -e "changed during the snapshot" -e "changed while" ||
			fail "exec during a snapshot: unexpected message: $ERR" ;;
		*) fail "exec during a snapshot: exit $RC: $ERR" ;;
		esac
	done
done
threads_are "$TPID" SR
ok "snapshots of a target that execs every 20 ms; left running and untraced"

# Targets that exit while being read: success or one line saying so.
exited=0
for ms in 5 10 20 30 40 60 80 100 150 200; do
	start_target churn exit $ms
	snap --freeze "$TPID"
	case "$RC" in
	0) ;;
	1) echo "$ERR" | grep -q -e "exited" -e "no such process" -e "zombie" ||
		fail "exit during a snapshot: unexpected message: $ERR"
	   [ "$(echo "$ERR" | wc -l)" = 1 ] || fail "more than one line: $ERR"
	   exited=$((exited + 1)) ;;
	*) fail "exit during a snapshot: exit $RC: $ERR" ;;
	esac
	# The target's parent (this shell) reaps it: vmatlas did not keep it.
	wait "$TPID" 2>/dev/null
	[ ! -e "/proc/$TPID" ] || fail "target $TPID left behind after it exited"
done
ok "10 targets exiting during snapshots ($exited reported as exited); none left behind"
