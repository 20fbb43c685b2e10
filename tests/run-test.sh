#!/bin/sh
# Runs one behaviour test under `make check` (SH_LOG_COMPILER), with a time
# limit. A test whose header has the line "# Runs alone: ..." compares rates
# on this machine, so it runs with no other test beside it: every test holds
# the build tree's test lock, shared, and such a test holds it exclusively
# (`make -j2 check` still runs all the others two at a time).
# usage: run-test.sh SHELL TEST (SHELL: the shell configure found, which
# the tests are written for; the environment's SHELL may be unset or dash).
sh=$1
test=$2
lock=${TEST_LOCK:-${TMPDIR:-/tmp}/vmatlas-tests.lock}
mode=-s
grep -q '^# Runs alone: ' "$test" && mode=-x
command -v flock > /dev/null || exec timeout -k 5 300 "$sh" "$test"
exec flock -o "$mode" "$lock" timeout -k 5 300 "$sh" "$test"
