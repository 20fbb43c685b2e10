#!/bin/sh
# The Stacks view of a 2000-thread process keeps it running: each thread
# is stopped alone, only to copy its registers and stack, and the view
# stops threads at most 2% of the time. Measured from outside (the share
# of thread states sampled from /proc that are "t", tracing stop) and
# from inside (a target thread that counts the time it lost in gaps over
# 50 ms); the view shows the threads' functions; q quits at once and
# leaves every thread running and untraced.
# Runs alone: it measures the share of time the target loses.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target manythreads
n=$(ready_value threads)
tui_start 160 50 "$VMATLAS" -d 0.1 "$TPID"
wait_for "^1 Layout" 10
keys 5
wait_for "parked_thread" 10
ticks() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$READY.ticks"; }
w0=$(ticks wall_ms) l0=$(ticks lost_ms)
# 5 s of the Stacks view, every thread's state sampled every 50 ms (at
# least 5 times on a loaded machine).
python3 - "$TPID" > "$TEST_TMP/states" <<'PY'
import os, sys, time
pid = sys.argv[1]
seen = stopped = 0
end = time.time() + 5
while time.time() < end:
    for t in os.listdir("/proc/%s/task" % pid):
        try:
            s = open("/proc/%s/task/%s/stat" % (pid, t)).read()
        except OSError:
            continue
        seen += 1
        stopped += s[s.rindex(")") + 2] == "t"
    time.sleep(0.05)
print(seen, stopped)
PY
w1=$(ticks wall_ms) l1=$(ticks lost_ms)
read seen stopped < "$TEST_TMP/states"
[ "$seen" -gt $((n * 5)) ] || hard_error "only $seen thread states sampled"
echo "sampled $seen thread states, $stopped in tracing stop; the ticker lost $((l1 - l0)) of $((w1 - w0)) ms"
[ $((stopped * 100)) -le $((seen * 2)) ] || fail "$stopped of $seen thread states were tracing stops (over 2%)"
ok "at most 2% of the thread states sampled were tracing stops"
[ $(((l1 - l0) * 100)) -le $(((w1 - w0) * 5)) ] || fail "the ticker lost $((l1 - l0)) of $((w1 - w0)) ms (over 5%)"
ok "the ticker thread lost at most 5% of its time"
# Threads are unwound a slice at a time: some are shown by now, each with
# the function it waits in.
screen | grep -q "^thread $TPID " || fail "the main thread is not shown"
line=$(grep -n '^		pause();' "$srcdir/tests/targets/manythreads.c" | head -n 1 | cut -d: -f1)
screen | grep -Eq "parked_thread\+0x[0-9a-f]+ at manythreads\.c:$line " ||
	fail "no source line manythreads.c:$line for parked_thread"
ok "frames show their source line"
# The round goes on to the last thread created, the ticker.
keys End
wait_for " ticker\+0x" 60
ok "the last thread is unwound too"
quit_leaves_sleeping "$TPID"
threads_are "$TPID" S
expect_eq "threads after quit" "$(ls /proc/$TPID/task | wc -l)" "$n"
exit 0
