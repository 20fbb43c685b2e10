#!/bin/sh
# The live screen on a target with a known layout: each view shows the
# expected mappings and exact numbers, and the keys work (views, address
# jump, sort, filter, search, pause, interval, save, help, quit).
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target tuitarget
W8=$(nox "$(ready_value watch8)")
tui_start 120 44 "$VMATLAS" -d 0.2 "$TPID"

# Header and Layout view: the region drawn with its resident size.
wait_for "^PID $TPID tuitarget running +virt .* every 0\.2s"
wait_for "kernel space"
wait_for "^ +$W8 +anon +8\.0M rw-p \[anon\].* res +1\.2M$"
wait_for "<- start_brk brk"
ok "layout view"

# Maps view: the row of the 8 MiB mapping (2048 pages, 300 written).
keys 2
wait_for "START\^ +END +PERM +KIND +SIZE +RSS +SWAP PATH"
wait_for "^ +$W8 +[0-9a-f]+ rw-p anon +8\.0M +1\.2M +0K \[anon\]$"
ok "maps view"

# Pages view through an address jump: exact counts and the grid.
keys a "0x$W8" Enter
wait_for "0x$W8 is in anon \(rw-p\)"
keys 3
wait_for "^$W8-[0-9a-f]+ rw-p anon 8\.0M: \[anon\]"
wait_for "^2048 pages: 300 resident, 0 swapped, 1748 not present"
wait_for "^one cell = one page"
wait_for "^ +$W8 #\.#\.#\.#\."
wait_for "^page 0x$W8 \(#0\): resident"
keys Right
wait_for "^page 0x[0-9a-f]+ \(#1\): not present"
ok "pages view"

# Sort the maps by size, largest first: the 8 MiB mapping is the top row.
keys 2 '>' '>' '>' '>' I
wait_for "SIZEv"
screen | sed -n 4p | grep -Eq "^ +$W8 " || { screen >&2; fail "largest mapping not first"; }
ok "sort by size"

# Filter by an address inside the mapping: only that row remains.
keys '\' "0x$W8" Enter
wait_for "filter: 0x$W8 +\(1 of [0-9]+ mappings"
[ "$(screen | grep -Ec '^ +[0-9a-f]{12} ')" = 1 ] || { screen >&2; fail "filter left other rows"; }
keys Escape
wait_not "filter: "
ok "filter"

# Search for libc: the Pages view then shows the selected libc mapping.
keys / libc Enter 3
wait_for "^[0-9a-f]+-[0-9a-f]+ r..p [a-z]+ .*libc"
ok "search"

# Pause: a mapping made meanwhile does not appear until resumed.
keys 2 p
wait_for "PAUSED"
map_fresh
sleep 0.6
screen | grep -q "^. +$FRESH " && fail "a paused screen was refreshed"
keys p
wait_for "^. +$FRESH +[0-9a-f]+ rw-s shm +2\.0M +68K" 3
ok "pause and resume"

# Interval keys.
keys +
wait_for "every 0\.5s"
keys -
wait_for "every 0\.2s"
ok "interval keys"

# s saves the snapshot as JSON named with the pid.
keys s
wait_for "saved vmatlas-$TPID-[0-9]{8}-[0-9]{6}\.json"
F=$(ls "$TEST_TMP"/vmatlas-"$TPID"-*.json)
expect_eq "saved pid" "$(json_eval "$F" "d['processes'][0]['pid']")" "$TPID"
expect_eq "saved 8 MiB mapping resident" "$(json_eval "$F" "mapping(d['processes'][0], '0x$W8')['pages']['resident']")" 300

# Help opens and any key closes it.
keys h
wait_for "Any key closes this help"
wait_for "is killed when vmatlas quits"
keys x
wait_not "Any key closes this help"
ok "help"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
expect_eq "state after quit" "$(proc_state "$TPID")" S
