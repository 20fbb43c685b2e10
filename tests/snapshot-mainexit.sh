#!/bin/bash
# A process whose main thread called pthread_exit while another thread
# runs on is not "a zombie, no memory left": its leader is a zombie whose
# /proc/PID/maps is empty, and vmatlas reads the same memory through the
# live thread (tests/targets/mainexit.c): the region of 64 pages with 10
# written is there, exactly, under the process's pid; the live screen
# shows it running and says the main thread exited.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
start_target mainexit
REGION=$(ready_value region | cut -d" " -f1)
expect_eq "the leader" "$(proc_state "$TPID")" Z
"$VMATLAS" snapshot --format=json -o "$TEST_TMP/s.json" "$TPID" 2> "$TEST_TMP/err" ||
	fail "snapshot: $(cat "$TEST_TMP/err")"
expect_eq "pid, and the region's pages and resident pages" \
	"$(json_eval "$TEST_TMP/s.json" '[d["processes"][0]["pid"], mapping(d["processes"][0], "'"$REGION"'")["pages"]["total"], mapping(d["processes"][0], "'"$REGION"'")["pages"]["resident"]]')" \
	"[$TPID, 64, 10]"
tui_start 120 40 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^PID $TPID mainexit (running|sleeping)"
wait_for "main thread exited"
wait_for "^ +$(nox "$REGION") +anon +256K rw-p"
ok "the live screen shows it, and says the main thread exited"
keys q
expect_eq "exit status" "$(tui_exit_status)" 0
THREADS_CONTEXT="after quit: " threads_are "$TPID" ZSR
exit 0
