#!/bin/sh
# The Pages view's cursor names the nearest symbol: after `a` to a known
# function and a known global, the cursor line shows them at offset 0 in
# their sections; a page of anonymous memory names none. Paused, a newly
# selected mapping's pages are read with r.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target symbols
FUNC=$(ready_value func)
DATA=$(ready_value data)
tui_start 160 40 "$VMATLAS" -d 0.3 "$TPID"
wait_for "^PID $TPID symbols"
keys 3 a "0x$FUNC" Enter
wait_for "0x$FUNC is in text"
wait_for "^page 0x[0-9a-f]+ \(#[0-9]+\): [a-z/ ]+  in \.text  vm_known_func\+0x0( |$)"
ok "a function's page names the function"
keys a "0x$DATA" Enter
wait_for "^page 0x[0-9a-f]+ \(#[0-9]+\): [a-z/ ]+  in \.data  vm_data_var\+0x0( |$)"
ok "a global's page names the global"
# The heap: no object, no symbol.
keys 2 / heap Enter 3
wait_for "^[0-9a-f]+-[0-9a-f]+ rw-p heap "
wait_for "^page 0x[0-9a-f]+ \(#0\): [a-z/ ]+( |$)"
screen | grep -E "^page 0x" | grep -Eq "  in |\+0x" && { screen >&2; fail "a heap page named a symbol"; }
ok "a heap page names no symbol"
# Paused, the next mapping's pages wait for r. With "heap" searched, n
# finds only the heap again; an empty search clears it, and n then goes to
# the next mapping.
keys p
wait_for PAUSED
keys n
wait_for "only this mapping matches 'heap'"
keys / Enter n
wait_for "^paused: r reads the pages of this mapping"
keys r
wait_for "^page 0x[0-9a-f]+ \(#0\): "
keys p
ok "paused: r reads the pages of a newly selected mapping"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
