#!/bin/bash
# /proc of another PID namespace: entered with a container's mount
# namespace only (nsenter -m), /proc's PID 1 is the container's init while
# ptrace would take the host's PID 1. Every command that takes a PID
# refuses in one line naming the namespace to run in, and touches nothing;
# inside the namespace (unshare -p -f --mount-proc) the same commands work
# on the namespace's own PIDs. Needs root and unshare/nsenter.
. "$TESTLIB"

require_root "needs root to make a PID namespace"
command -v unshare > /dev/null && command -v nsenter > /dev/null || skip "unshare or nsenter is not installed"
unshare -p -f --mount-proc true 2> /dev/null || skip "this kernel or container refuses new PID namespaces"

unshare -p -f --mount-proc sleep 300 &
U=$!
TEST_PIDS="$TEST_PIDS $U"
for i in $(seq 1 100); do S=$(tr -d ' ' < "/proc/$U/task/$U/children" 2> /dev/null); [ -n "$S" ] && break; sleep 0.05; done
[ -n "$S" ] || hard_error "unshare started nothing"
TEST_PIDS="$TEST_PIDS $S"
pat="another PID namespace's .*run vmatlas inside that PID namespace, pid:\[[0-9]+\]"
for cmd in "snapshot 1" "snapshot --freeze 1" "stacks 1" "addr 1 0x1000" "cow 1 2" "watch 1" "diff pid:1"; do
	# shellcheck disable=SC2086
	nsenter -t "$S" -m "$VMATLAS" $cmd > "$TEST_TMP/out" 2> "$TEST_TMP/err" < /dev/null
	rc=$?
	[ "$rc" = 1 ] || fail "$cmd: exit $rc, expected 1 ($(cat "$TEST_TMP/err"))"
	# A sanitizer build's runtime adds warnings of its own ("==PID==...").
	grep -v '^==[0-9]*==' "$TEST_TMP/err" > "$TEST_TMP/err1"
	mv "$TEST_TMP/err1" "$TEST_TMP/err"
	[ "$(wc -l < "$TEST_TMP/err")" = 1 ] || fail "$cmd: stderr is not one line: $(cat "$TEST_TMP/err")"
	grep -Eq -- "$pat" "$TEST_TMP/err" || fail "$cmd: '$(cat "$TEST_TMP/err")' does not say where to run"
	[ ! -s "$TEST_TMP/out" ] || fail "$cmd: wrote to stdout"
	ok "$cmd refused"
done
expect_eq "host PID 1 after all that: tracer" "$(proc_tracer 1)" 0

# Inside the namespace, with its own /proc: its PIDs are vmatlas's.
out=$(unshare -p -f --mount-proc sh -c '
	sleep 100 & s=$!
	# The forked shell becomes sleep with its exec: wait for that.
	for i in $(seq 1 100); do [ "$(cat /proc/$s/comm)" = sleep ] && break; sleep 0.02; done
	"$1" snapshot --format=json "$s" > "$2/in.json"; echo "rc=$? pid=$s"
	kill "$s"' sh "$VMATLAS" "$TEST_TMP")
expect_eq "snapshot inside the namespace" "$(echo "$out" | sed 's/ pid=.*//')" "rc=0"
expect_eq "the process it read" "$(json_eval "$TEST_TMP/in.json" '[d["processes"][0]["pid"], d["processes"][0]["comm"]]')" \
	"[$(echo "$out" | sed 's/.*pid=//'), \"sleep\"]"
exit 0
