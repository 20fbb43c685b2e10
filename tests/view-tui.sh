#!/bin/sh
# vmatlas view FILE opens the live screen on a saved snapshot with no
# process behind it: the file's mappings and numbers; in a timeline [ and ]
# step between snapshots and the header says which one and when.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target layout
anon32=$(ready_value anon32)
"$VMATLAS" snapshot --format=json --pages -o "$TEST_TMP/snap.json.gz" "$TPID" || fail "snapshot exited $?"
"$VMATLAS" snapshot --interval 0.05 --count 2 -o "$TEST_TMP/tl.jsonl" "$TPID" || fail "capture exited $?"
kill -KILL "$TPID"
wait "$TPID" 2>/dev/null

tui_start 160 50 "'$VMATLAS' view snap.json.gz"
wait_for "snap.json.gz  taken 20"
# anon32: 32 MiB with 1000 resident pages (3.9M), read from the file.
wait_for "^ *$(nox "$anon32") +anon +32M rw-p .* res +3\.9M"
ok "the screen shows the file's mappings and numbers"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0

tm kill-session -t t
tui_start 160 50 "'$VMATLAS' view tl.jsonl"
wait_for "tl.jsonl  snapshot 2/2  taken 20"
keys '['
wait_for "tl.jsonl  snapshot 1/2  taken 20"
keys '['
wait_for "this is the first snapshot"
keys ']'
wait_for "tl.jsonl  snapshot 2/2"
ok "[ and ] step through the timeline"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0

# Not a terminal: the text form, not the screen.
"$VMATLAS" view "$TEST_TMP/snap.json.gz" | grep -q "^START " || fail "view into a pipe prints no table"
ok "view into a pipe prints text"
