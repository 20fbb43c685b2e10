#!/bin/sh
# A launched program's end is kept: snapshot -- PROGRAM exits with the
# program's status (128 + N when signal N killed it), as time and strace do,
# and the live screen says how it ended.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

ulimit -c 0 2>/dev/null
cd "$TEST_TMP" || hard_error "no test directory"

# status ARGS...: vmatlas snapshot's exit status for ARGS.
status() {
	rm -f run.jsonl
	"$VMATLAS" snapshot "$@" > out 2> err
	echo $?
}
expect_eq "exit 3" "$(status --at-exit -o run.jsonl -- sh -c 'exit 3')" 3
[ -s run.jsonl ] || fail "no snapshot of the program that exited 3"
[ ! -s err ] || fail "stderr: $(cat err)"
expect_eq "exit 0" "$(status --at-exit -o run.jsonl -- sh -c 'exit 0')" 0
expect_eq "killed by SIGSEGV" "$(status --at-exit -o run.jsonl -- sh -c 'kill -SEGV $$')" 139
expect_eq "killed by SIGKILL" "$(status --at-exit -o run.jsonl -- sh -c 'kill -KILL $$')" 137
# Following forks, the status is the program's, given when the whole tree
# has ended.
expect_eq "exit 5 with a child still running" \
	"$(status --follow-forks --at-exit -o run.jsonl -- sh -c 'sleep 0.3 & exit 5')" 5
expect_eq "lines of the tree" "$(wc -l < run.jsonl)" 2
# --count ends a program that still runs: that is no failure of it.
expect_eq "--count stops it" "$(status --interval 0.05 --count 2 -o run.jsonl -- sleep 30)" 0

# The screen says how it ended.
tui_start 120 30 "'$VMATLAS' -- sh -c 'sleep 0.5; exit 3'"
wait_for "The process exited 3: this is its last picture"
keys q
expect_eq "screen exit status" "$(tui_exit_status)" 0
tm kill-session -t t
tui_start 120 30 "'$VMATLAS' -- sh -c 'sleep 0.5; kill -SEGV \$\$'"
wait_for "The process was killed by SIGSEGV: this is its last picture"
keys q
expect_eq "screen exit status" "$(tui_exit_status)" 0
