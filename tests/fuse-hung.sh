#!/bin/bash
# A file mapped from a FUSE mount whose daemon is stopped (SIGSTOP): any
# read of it, even fstat(), would wait for the daemon for ever. vmatlas
# never touches files on FUSE, NFS or CIFS mounts (told by their type in
# /proc/PID/mountinfo, which needs no answer from them) unless asked with
# --read-remote: snapshot, snapshot --freeze and the live screen finish at
# once with the mapping typed by its permissions (and say so), and the
# target is left as found. Asked to read it, vmatlas gives up after
# --read-timeout and says so. Once the daemon runs again, --read-remote
# reads the file, after --freeze has let the target go. The mount is an
# ext2 image served by fuse2fs.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

require_root "needs root to mount with FUSE"
command -v fuse2fs > /dev/null && command -v mke2fs > /dev/null || skip "fuse2fs or mke2fs is not installed"
[ -c /dev/fuse ] || skip "no /dev/fuse"
MNT=$TEST_TMP/mnt
mkdir "$MNT"
dd if=/dev/zero of="$TEST_TMP/img" bs=1M count=8 status=none && mke2fs -q -F "$TEST_TMP/img" ||
	hard_error "cannot make an ext2 image"
fuse2fs -f "$TEST_TMP/img" "$MNT" -o fakeroot > "$TEST_TMP/fuse.log" 2>&1 &
FP=$!
fuse_off() {
	kill -CONT "$FP" 2> /dev/null
	umount -l "$MNT" 2> /dev/null
	kill "$FP" 2> /dev/null
	wait "$FP" 2> /dev/null
	return 0
}
CLEANUP_HOOKS="fuse_off $CLEANUP_HOOKS"
for i in $(seq 1 100); do grep -q " $MNT " /proc/self/mountinfo && break; sleep 0.05; done
grep -q " $MNT .* - fuse" /proc/self/mountinfo || skip "fuse2fs cannot mount here: $(cat "$TEST_TMP/fuse.log")"
cp "$TARGETS/sigrate" "$MNT/obj" || hard_error "cannot write to the FUSE mount"
start_target mapfiles "$MNT/obj"
MAP=0x$(ready_value map)

kill -STOP "$FP"
# Past FUSE's attribute cache (1 s): a stat now asks the daemon.
sleep 1.5

t0=$(date +%s%N)
timeout -k 1 30 "$VMATLAS" snapshot --format=json -o "$TEST_TMP/s.json" "$TPID" 2> "$TEST_TMP/err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] || fail "snapshot with the FUSE daemon stopped: exit $rc after $ms ms: $(cat "$TEST_TMP/err")"
[ "$ms" -lt 10000 ] || fail "snapshot took $ms ms"
expect_eq "the FUSE mapping, typed by its permissions, unread" \
	"$(json_eval "$TEST_TMP/s.json" '(lambda m: m["kind"] + " " + m["unread"])(mapping(d["processes"][0], "'"$MAP"'"))')" "text remote"
grep -q "FUSE, NFS or CIFS mounts were not read" "$TEST_TMP/err" || fail "snapshot did not say it left the file unread: $(cat "$TEST_TMP/err")"
ok "snapshot in $ms ms, the file left unread and said so"

timeout -k 1 30 "$VMATLAS" snapshot --freeze -o "$TEST_TMP/f.json" "$TPID" 2> "$TEST_TMP/err" ||
	fail "snapshot --freeze with the FUSE daemon stopped: $(cat "$TEST_TMP/err")"
THREADS_CONTEXT="after --freeze: " threads_are "$TPID" S
ok "snapshot --freeze: the target left running"

tui_start 120 40 "$VMATLAS" -d 0.2 "$TPID"
wait_for "^PID $TPID mapfiles running" 10
keys 2
wait_for "^ +$(nox "$MAP") +[0-9a-f]+ r-xp text .*/mnt/obj" 10
keys / "mnt/obj" Enter 4
wait_for "file not read: on a FUSE, NFS or CIFS mount" 10 || fail "the Sections view does not say the file was not read"
keys q
expect_eq "live screen exit status" "$(tui_exit_status)" 0
THREADS_CONTEXT="after the live screen: " threads_are "$TPID" S
expect_eq "the FUSE daemon, still stopped" "$(proc_state "$FP")" T

# Asked to read it (--read-remote), vmatlas waits for the file a bounded
# time (--read-timeout, 2 s by default), on a worker thread: then it gives
# up, types the mapping by its permissions, marks it "unread": "timeout"
# and says so; the device's other files are not tried meanwhile. The
# target runs all along, also with --freeze.
# LeakSanitizer's check at exit stops every thread with ptrace, which
# waits for ever for the worker still in the FUSE read: not with it.
NOLSAN=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
for freeze in "" --freeze; do
	t0=$(date +%s%N)
	ASAN_OPTIONS=$NOLSAN timeout -k 1 30 "$VMATLAS" --read-remote --read-timeout 0.5 snapshot $freeze --format=json \
		-o "$TEST_TMP/t$freeze.json" "$TPID" 2> "$TEST_TMP/err"
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$rc" = 0 ] || fail "--read-remote $freeze with the daemon stopped: exit $rc after $ms ms: $(cat "$TEST_TMP/err")"
	[ "$ms" -lt 5000 ] || fail "--read-remote --read-timeout 0.5 $freeze took $ms ms"
	expect_eq "the FUSE mapping unread $freeze" \
		"$(json_eval "$TEST_TMP/t$freeze.json" '(lambda m: m["kind"] + " " + m["unread"])(mapping(d["processes"][0], "'"$MAP"'"))')" "text timeout"
	expect_eq "mappings marked unread $freeze" \
		"$(json_eval "$TEST_TMP/t$freeze.json" 'len([m for m in d["processes"][0]["mappings"] if "unread" in m])')" 1
	grep -q 'did not answer within the deadline were not read' "$TEST_TMP/err" ||
		fail "--read-remote $freeze did not say it gave up: $(cat "$TEST_TMP/err")"
	THREADS_CONTEXT="after --read-remote $freeze: " threads_are "$TPID" S
	ok "--read-remote $freeze gave up on the file in $ms ms, said so, the target left running"
done
# The JSON reads back with its mark.
"$VMATLAS" view --format=json "$TEST_TMP/t.json" > "$TEST_TMP/back.json" ||
	fail "view of the document with an unread mapping exited $?"
expect_eq "the mark read back" \
	"$(json_eval "$TEST_TMP/back.json" 'mapping(d["processes"][0], "'"$MAP"'")["unread"]')" timeout
# The live screen, asked to read it, refreshes on: each refresh waits for
# the hung device no more (its read is still out), and q quits at once.
tui_stop
tui_start 120 40 ASAN_OPTIONS=$NOLSAN "$VMATLAS" --read-remote --read-timeout 0.5 -d 0.2 "$TPID"
wait_for "^PID $TPID mapfiles running" 10
keys 2
wait_for "^ +$(nox "$MAP") +[0-9a-f]+ r-xp text .*/mnt/obj" 10
keys / "mnt/obj" Enter 4
wait_for "file not read: it did not answer in time" 10 || fail "the Sections view does not say the file timed out"
tui_quit "the live screen with a read out (--read-remote): " S

# Given time to wait (--read-timeout 60) with --freeze, vmatlas waits on
# the daemon only once the target runs again: the target is neither
# stopped nor traced while vmatlas waits, and the snapshot completes when
# the daemon goes on.
"$VMATLAS" --read-remote --read-timeout 60 snapshot --freeze --format=json -o "$TEST_TMP/w.json" "$TPID" 2> "$TEST_TMP/err" &
VP=$!
TEST_PIDS="$TEST_PIDS $VP"
waits() { cat /proc/$VP/task/*/stack 2> /dev/null | grep -q fuse; }
for i in $(seq 1 200); do waits && break; sleep 0.05; done
waits || fail "vmatlas --read-remote is not waiting on the FUSE daemon: $(cat /proc/$VP/task/*/stack 2> /dev/null)"
THREADS_CONTEXT="while vmatlas waits on the daemon: " threads_are "$TPID" S
kill -CONT "$FP"
wait "$VP" || fail "snapshot --freeze --read-remote: $(cat "$TEST_TMP/err")"
expect_eq "the FUSE mapping read once the daemon answered" \
	"$(json_eval "$TEST_TMP/w.json" '(lambda m: m["kind"] + " " + str(m.get("unread")))(mapping(d["processes"][0], "'"$MAP"'"))')" "file None"
ok "--freeze read the file only after letting the target go"

# The daemon answers again: asked, the file is read (an ELF object mapped
# whole is no segment of it: a plain file mapping).
kill -CONT "$FP"
timeout -k 1 30 "$VMATLAS" --read-remote snapshot --format=json -o "$TEST_TMP/r.json" "$TPID" 2> "$TEST_TMP/err" ||
	fail "snapshot --read-remote: $(cat "$TEST_TMP/err")"
expect_eq "the FUSE mapping read with --read-remote" \
	"$(json_eval "$TEST_TMP/r.json" 'mapping(d["processes"][0], "'"$MAP"'")["kind"]')" file
[ ! -s "$TEST_TMP/err" ] || fail "--read-remote still says: $(cat "$TEST_TMP/err")"
exit 0
