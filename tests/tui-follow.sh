#!/bin/sh
# The live screen follows the watched tree: a child forked while watched
# appears in the Tree view (followed: traced by vmatlas), the COW view
# compares it with its parent exactly, an exec gives the child its new
# layout, a save holds the whole tree with its COW pair, and quitting
# leaves parent and child running and untraced (tests/targets/spawner.c
# describes the layouts).
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"

start_target spawner
P=$TPID
REGION=$(ready_value region)
R=$(nox "$REGION")
tui_start 140 40 "$VMATLAS" -d 0.2 "$P"
wait_for "^PID $P spawner running"
wait_for "attached \(left as found on quit\), following forks"
VPID=$(pgrep -f "^$VMATLAS -d 0.2 $P$")
keys 7
wait_for "^ +$P +[0-9]+ [a-z]+ .* spawner( [^ ]+)* +<- shown$"
ok "the tree shows the watched process"

# A child forked while watched: in the tree, followed.
kill -USR1 "$P"
for i in $(seq 1 100); do C=$(ready_value child); [ -n "$C" ] && break; sleep 0.05; done
[ -n "$C" ] || fail "the target did not fork"
TEST_PIDS="$TEST_PIDS $C"
wait_for "^ +$C +$P [a-z]+ .* \`- spawner( [^ ]+)*$"
expect_eq "the child's tracer" "$(proc_tracer_pid "$C")" "$VPID"
ok "a child forked while watched is in the tree and followed"

# Its COW divergence from the parent (c on the child in the tree): the
# region has 10 diverged, 90 shared pages, 0 parent- or child-only.
keys Down c
wait_for "parent $P spawner -> child $C spawner"
wait_for "^$R +256 +90 +10 +0 +0 "
if [ "$(id -u)" = 0 ]; then
	wait_for "^exact \(PFN\)"
else
	wait_for "^ESTIMATE \(exclusive bit\)"
fi
ok "the COW view compares the new child with its parent"

# Saved from the screen: both processes and their pair.
keys s
wait_for "saved vmatlas-$P-[0-9-]+\.json \(2 processes, 1 COW pair\)"
F=$(ls "$TEST_TMP"/vmatlas-"$P"-*.json | head -n 1)
expect_eq "saved tree" "$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
c=d["cow"][0]
m=[m for m in c["mappings"] if int(m["start"],16)==int(sys.argv[2],16)][0]
print(sorted(p["pid"] for p in d["processes"]), c["parent"], c["child"], m["shared"], m["diverged"])' "$F" "$REGION")" \
	"$(python3 -c "print(sorted([$P, $C]))") $P $C 90 10"

# The child execs: shown with its new layout (48 pages, 5 written).
keys 7
wait_for "^ +$C +$P .*spawner"
keys Down Enter
wait_for "^PID $C spawner"
kill -USR2 "$C"
for i in $(seq 1 100); do E=$(ready_value execd); [ -n "$E" ] && break; sleep 0.05; done
[ -n "$E" ] || fail "the child did not exec"
keys 3 a "$E" Enter
wait_for "^$(nox "$E")-[0-9a-f]+ rw-p anon 192K"
wait_for "^48 pages: 5 resident, 0 swapped, 43 not present"
ok "the exec'd child is shown with its new layout"

# Quit: parent and child left running and untraced.
quit_leaves_sleeping "$P" "$C"
ok "quitting leaves the attached tree running and untraced"
