#!/bin/bash
# Signal storm: SIGINT, SIGTERM, SIGHUP or SIGPIPE at a random moment of
# `vmatlas snapshot --freeze -o FILE` (while attaching, frozen, scanning,
# writing), many times for STORM_SECONDS (20). Every time: vmatlas exits 0
# or 128 + the signal, the target is as it was found (running, or stopped
# when it was stopped) with TracerPid 0 on every thread, and the output
# directory holds either nothing or a whole snapshot, never a temporary file.
. "$TESTLIB"

start_target threads
vmatlas_exe=$(readlink -f "$VMATLAS")
out=$TEST_TMP/storm
mkdir "$out"
sigs=(INT TERM HUP PIPE)
declare -A signum=([INT]=2 [TERM]=15 [HUP]=1 [PIPE]=13)
end=$(( $(date +%s) + ${STORM_SECONDS:-20} ))
iter=0 interrupted=0 completed=0
while [ "$(date +%s)" -lt "$end" ]; do
	iter=$((iter + 1))
	sig=${sigs[RANDOM % 4]}
	delay=0.$(printf %03d $((RANDOM % 10)))
	if [ $((iter % 3)) = 0 ]; then mode=stopped; kill -STOP "$TPID"; want=T; else mode=running; want=SR; fi
	rm -f "$out"/*
	"$VMATLAS" snapshot --freeze --format=json -o "$out/s.json" "$TPID" 2> "$TEST_TMP/err" &
	vpid=$!
	# Until the exec, the child is this shell, whose traps would run
	# (and kill the target in cleanup): signal vmatlas only.
	while [ "$(readlink "/proc/$vpid/exe" 2>/dev/null)" != "$vmatlas_exe" ] && kill -0 "$vpid" 2>/dev/null; do :; done
	sleep "$delay"
	kill -"$sig" "$vpid" 2>/dev/null
	wait "$vpid"
	rc=$?
	THREADS_CONTEXT="iteration $iter ($sig after ${delay}s, target $mode): " threads_are "$TPID" "$want"
	case $rc in
	0)
		completed=$((completed + 1))
		json_eval "$out/s.json" 'd["live"]' > /dev/null || fail "iteration $iter: exit 0 but the snapshot is not whole"
		;;
	$((128 + ${signum[$sig]})))
		interrupted=$((interrupted + 1))
		[ -z "$(ls -A "$out")" ] || fail "iteration $iter ($sig after ${delay}s): left $(ls -A "$out")"
		;;
	*)
		fail "iteration $iter ($sig after ${delay}s): exit $rc, expected 0 or $((128 + ${signum[$sig]})): $(cat "$TEST_TMP/err")"
		;;
	esac
	[ "$mode" = stopped ] && kill -CONT "$TPID"
	THREADS_CONTEXT="iteration $iter, after SIGCONT: " threads_are "$TPID" SR
done
ok "$iter runs: $interrupted interrupted, $completed completed; target left as found every time"
[ "$interrupted" -gt 0 ] || fail "no run was interrupted: the storm tested nothing"
exit 0
