#!/bin/sh
# The Maps view marks what changed since the last refresh, for one refresh:
# pages that became resident (*), a mapping that grew (>) or shrank (<) in
# place, and one that was removed (-, kept one refresh with its last
# numbers); tests/targets/changer.c makes one change per SIGUSR1.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target changer
TOUCH=$(nox "$(ready_value touch)")
GROW=$(nox "$(ready_value grow)")
GONE=$(nox "$(ready_value gone)")
tui_start 120 40 "$VMATLAS" -d 0.5 "$TPID"
keys 2
wait_for "^  +$TOUCH +[0-9a-f]+ rw-p anon +256K +40K +0K \[anon\]$"
wait_for "^  +$GROW +[0-9a-f]+ rw-p anon +64K +4K +0K \[anon\]$"
wait_for "^  +$GONE +[0-9a-f]+ rw-p anon +128K +128K +0K \[anon\]$"

# step N: the target's Nth change, made between two refreshes.
step() {
	local i
	kill -USR1 "$TPID"
	for i in $(seq 1 100); do grep -q "^step$1\$" "$READY" && return 0; sleep 0.05; done
	hard_error "the target did not make change $1"
}

# 40 more of the 64 pages written: 50 resident.
step 1
wait_for "^\* +$TOUCH +[0-9a-f]+ rw-p anon +256K +200K +0K \[anon\]$" 2
wait_for "^  +$TOUCH +[0-9a-f]+ rw-p anon +256K +200K " 2
ok "pages became resident: marked *, for one refresh"

# 16 read-write pages become 32, then 8, at the same start.
step 2
wait_for "^> +$GROW +[0-9a-f]+ rw-p anon +128K +4K +0K \[anon\]$" 2
wait_for "^  +$GROW +[0-9a-f]+ rw-p anon +128K " 2
ok "grown mapping marked >"
step 3
wait_for "^< +$GROW +[0-9a-f]+ rw-p anon +32K +4K +0K \[anon\]$" 2
wait_for "^  +$GROW +[0-9a-f]+ rw-p anon +32K " 2
ok "shrunk mapping marked <"

# Unmapped: shown once more, marked -, then gone.
step 4
wait_for "^- +$GONE +[0-9a-f]+ ---- anon +128K +gone +gone \[anon\]$" 2
wait_not "^. +$GONE " 2
ok "removed mapping marked -, then gone"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
