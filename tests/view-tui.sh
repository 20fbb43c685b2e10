#!/bin/sh
# vmatlas view FILE opens the live screen on a saved snapshot with no
# process behind it: the file's mappings and numbers; in a timeline [ and ]
# step between snapshots; the header says when each was taken and the line
# beside the tabs (or, at 80 columns, above the key bar) which one it is.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target layout
anon32=$(ready_value anon32)
"$VMATLAS" snapshot --format=json --pages -o "$TEST_TMP/snap.json.gz" "$TPID" || fail "snapshot exited $?"
"$VMATLAS" snapshot --interval 0.05 --count 2 -o "$TEST_TMP/tl.jsonl" "$TPID" || fail "capture exited $?"
kill -KILL "$TPID"
wait "$TPID" 2>/dev/null

# taken_at of snapshot N (1-based) of FILE as the header shows it.
taken() {
	python3 -c 'import sys, gzip, json, datetime
f = sys.argv[1]
o = gzip.open if f.endswith(".gz") else open
text = o(f, "rt").read()
try:
    d = json.loads(text)
except ValueError:
    d = json.loads(text.splitlines()[int(sys.argv[2]) - 1])
t = datetime.datetime.strptime(d["taken_at"][:19], "%Y-%m-%dT%H:%M:%S")
print(t.strftime("%Y-%m-%d %H:%M:%S UTC"))' "$TEST_TMP/$1" "$2"
}

tui_start 160 50 "'$VMATLAS' view snap.json.gz"
wait_for "^PID $TPID layout file +virt .* swap [0-9.]+[KMG]  $(taken snap.json.gz 1)$"
wait_for "8 Faults  snap\.json\.gz$"
# anon32: 32 MiB with 1000 resident pages (3.9M), read from the file.
wait_for "^ *$(nox "$anon32") +anon +32M rw-p .* res +3\.9M"
ok "the screen shows the file's mappings and numbers"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0

tm kill-session -t t
tui_start 160 50 "'$VMATLAS' view tl.jsonl"
wait_for "8 Faults  snapshot 2 of 2  \(\[ \] step\)  tl\.jsonl$"
wait_for "  $(taken tl.jsonl 2)$"
keys '['
wait_for "snapshot 1 of 2  \(\[ \] step\)  tl\.jsonl$"
wait_for "  $(taken tl.jsonl 1)$"
keys '['
wait_for "this is the first snapshot"
keys ']'
wait_for "snapshot 2 of 2  \(\[ \] step\)  tl\.jsonl$"
ok "[ and ] step through the timeline"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0

# 80x24, ASCII, no colour: nothing important is cut. The line that says
# which snapshot is shown goes above the key bar whole; the header keeps
# the time; a long path keeps its file name.
tm kill-session -t t
cp "$TEST_TMP/tl.jsonl" "$TEST_TMP/a-long-timeline-name-pushing-it-off.jsonl"
tui_start 80 24 "'$VMATLAS' view --ascii --no-color a-long-timeline-name-pushing-it-off.jsonl"
wait_for "^snapshot 2 of 2  \(\[ \] step\)  a-long-timeline-name-pushing-it-off\.jsonl$"
wait_for "^1 Layout 2 Maps 3 Pages 4 Sections 5 Stacks 6 COW 7 Tree 8 Faults$"
wait_for "  $(taken tl.jsonl 2)$"
keys 2
wait_for " \.\.\./targets/layout$"
ok "80x24: status whole, header time, paths keep their file name"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0

# Not a terminal: the text form, not the screen.
"$VMATLAS" view "$TEST_TMP/snap.json.gz" | grep -q "^START " || fail "view into a pipe prints no table"
ok "view into a pipe prints text"
