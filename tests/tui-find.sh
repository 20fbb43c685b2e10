#!/bin/sh
# Search (/) and filter (\) in every list view, applied letter by letter
# as they are typed, in the view where they are typed (never the Maps
# view): Stacks (threads and frames), Sections (names), Tree (pid, name,
# title), Output (lines); Esc undoes a search or clears a filter. `a`
# takes what 'vmatlas addr' takes: hex with or without 0x, SYMBOL and
# SYMBOL+OFFSET, and its prompt says so; the Layout view, a picture of the
# whole address space, says it has no filter.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

tui_type() { tm send-keys -t t -l "$1"; }
# highlighted ERE: the line matching ERE is drawn on a yellow (search) or
# cyan (selection) background.
on_bg() { tm capture-pane -e -p -t t | sed 's/\x1b\[[0-9;]*m//g' | grep -n -E -- "$2" | head -n 1 | cut -d: -f1 |
	{ read -r n; [ -n "$n" ] && tm capture-pane -e -p -t t | sed -n "${n}p" | grep -q "\\[$1m"; }; }

start_target symbols
FUNC=$(ready_value func)
TA=$(ready_value tid_a)
TB=$(ready_value tid_b)
tui_start 120 16 "$VMATLAS" --ascii -d 0.3 "$TPID"
wait_for "^PID $TPID symbols"

# Stacks: the filter narrows the threads as it is typed.
keys 5
wait_for "^thread $TB "
keys '\'
tui_type "thread_"
wait_for "^filter: thread_  \(2 of 3 threads; "
keys b
wait_for "^filter: thread_b  \(1 of 3 threads; "
wait_for "^thread $TB "
screen | grep -Eq "^thread ($TPID|$TA) " && fail "a filtered-out thread is shown"
keys Enter
wait_for "^thread $TB "
screen | grep -Eq "^ +START.* PERM KIND" && fail "the filter jumped to the Maps view"
ok "Stacks: the filter keeps the thread in thread_b, as typed, in this view"
keys Escape
wait_not "^filter: "
ok "Esc clears the filter"
# Search: the first match is scrolled to as it is typed (the main
# thread's stack fills the 12 lines first).
keys Home
screen | grep -q " thread_b+" && hard_error "thread_b's frame is on the first page already"
keys /
tui_type "thread_b"
wait_for "Search \(Enter keeps it for n N, Esc goes back\): thread_b"
wait_for "^  #[0-9] +0x[0-9a-f]{16} thread_b\+0x[0-9a-f]+ (at [^ ]+ )?in ([.][.][.]/)?[^ ]*tests/targets/symbols$"
on_bg 43 "thread_b\+" || fail "the match is not highlighted"
keys Enter n
wait_for "only this thread or frame matches 'thread_b'"
keys / Escape
ok "Stacks: /thread_b scrolls to its frame, highlighted; n finds only it"

# Sections of the executable: filter and search by name.
keys a
wait_for "^Address \(hex, 0x optional; SYMBOL; SYMBOL\+OFFSET\):$"
tui_type "$FUNC"
keys Enter
wait_for "0x$FUNC is in text \(r-xp\)"
ok "a: hex without 0x"
keys a
tui_type "vm_known_func+0x10"
keys Enter
wait_for "0x$(printf '%x' $((0x$FUNC + 16))) \(vm_known_func\+0x10\) is in text \(r-xp\)"
keys a
tui_type "vm_known_func"
keys Enter
wait_for "0x$FUNC \(vm_known_func\) is in text \(r-xp\)"
keys a
tui_type "no_such_symbol"
keys Enter
wait_for "no symbol 'no_such_symbol' in process $TPID"
keys a
tui_type "12abz"
keys Enter
wait_for "'12abz' is not an address \(HEX, 0xHEX, SYMBOL or SYMBOL\+OFFSET\)"
ok "a: SYMBOL, SYMBOL+OFFSET; an unknown name and a bad number are said so, as vmatlas addr says them"
keys 4
wait_for "^ +START +END +SIZE PERM SECTION$"
keys '\'
tui_type ".tex"
wait_for "^filter: \.tex  \(1 section; "
wait_for "^ +[0-9a-f]+ +[0-9a-f]+ +[0-9.]+[BKM] r-xp \.text$"
keys Enter Escape /
tui_type ".fini"
wait_for "^ +[0-9a-f]+ +[0-9a-f]+ +[0-9.]+[BKM] r-xp \.fini$"
on_bg 43 "\.fini$" || fail "the .fini section is not highlighted"
keys Enter
wait_for "^ +START +END +SIZE PERM SECTION$"
ok "Sections: filter and search by name, in this view"

keys 1 '\'
wait_for "the Layout view has no filter \(F4 filters Maps, Sections, Stacks, Tree\); / searches here"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
tui_stop

# A launched tree: its Tree and Output views.
cat > "$TEST_TMP/tree.sh" <<'PROG'
i=1
while [ $i -le 40 ]; do echo "line $i"; i=$((i + 1)); done
echo "beta one"
echo "beta two"
(exec -a "pg: worker" sleep 301) &
(exec -a "pg: checkpointer" sleep 302) &
wait
PROG
tui_start 120 16 "$VMATLAS" -d 0.3 -- bash "$TEST_TMP/tree.sh"
wait_for "^PID [0-9]+ bash running"
keys 7
wait_for "pg: checkpointer 302$"
keys '\'
tui_type "work"
wait_for "^1 process match the filter 'work' "
wait_for "\`- pg: worker 301$"
screen | grep -q "checkpointer" && fail "the filter kept the checkpointer"
keys Enter Escape
wait_for "pg: checkpointer 302$"
keys /
tui_type "checkp"
wait_for "Search .*: checkp$"
on_bg 46 "pg: checkpointer 302$" || fail "the search did not select the checkpointer"
keys Enter Enter
wait_for "^PID [0-9]+ sleep "
ok "Tree: filter and search by title; Enter shows the process found"

keys o
wait_for "^bash's terminal: 42 lines  i: type to it$"
keys '\'
tui_type "beta"
wait_for "^filter: beta  \(2 of 42 lines; "
expect_eq "lines kept" "$(screen | sed -n '4,5p' | tr '\n' '|')" "beta one|beta two|"
keys Enter Escape /
# From the first line shown (line 32), wrapping: line 17 comes to the top.
tui_type "17"
wait_for "Search .*: 17$"
expect_eq "top line after /17" "$(screen | sed -n 4p)" "line 17"
keys Enter
ok "Output: filter and search lines"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
