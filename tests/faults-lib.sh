# Helpers for the fault recording tests (sourced after lib.sh).

# record NAME ARGS...: vmatlas faults ARGS in the background, its output
# in $TEST_TMP/NAME.out, until it says it records; its pid in VM_NAME.
record() {
	local name=$1 i
	shift
	"$VMATLAS" faults "$@" > "$TEST_TMP/$name.out" 2> "$TEST_TMP/$name.err" &
	eval "VM_$name=\$!"
	TEST_PIDS="$TEST_PIDS $!"
	for i in $(seq 1 200); do
		grep -q 'recording' "$TEST_TMP/$name.err" && return 0
		sleep 0.05
	done
	hard_error "vmatlas faults $* did not start: $(cat "$TEST_TMP/$name.err")"
}
# finish NAME: Ctrl-C ends the recording; the report follows, exit 0, and
# stderr holds only the line that said it records.
finish() {
	eval "kill -INT \$VM_$1; wait \$VM_$1"
	rc=$?
	[ "$rc" = 0 ] || fail "$1: exit $rc: $(cat "$TEST_TMP/$1.err")"
	[ "$(wc -l < "$TEST_TMP/$1.err")" = 1 ] || fail "$1: stderr: $(cat "$TEST_TMP/$1.err")"
}
# until_done: the target appended "done" to its ready file.
until_done() {
	local i
	for i in $(seq 1 200); do grep -q '^done' "$READY" && return 0; sleep 0.05; done
	hard_error "the target did not finish"
}
