#!/bin/sh
# Output files under stress: a full disk and SIGKILL in the middle of the
# write leave the old file intact and no temporary file behind.
. "$TESTLIB"

start_target hostile many 20000
old="old snapshot, must survive"

# SIGKILL at random moments while writing a multi-megabyte JSON document.
dir=$TEST_TMP/k
mkdir "$dir"
i=0 whole=0 killed=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	printf '%s\n' "$old" > "$dir/s.json"
	"$VMATLAS" snapshot --format=json --force -o "$dir/s.json" "$TPID" 2>/dev/null &
	v=$!
	sleep "0.$(( RANDOM % 10 ))"
	kill -KILL "$v" 2>/dev/null
	wait "$v" 2>/dev/null
	[ "$(ls -A "$dir")" = s.json ] || fail "run $i: left $(ls -A "$dir" | tr '\n' ' ')"
	if [ "$(cat "$dir/s.json")" = "$old" ]; then
		killed=$((killed + 1))
	else
		json_eval "$dir/s.json" 'len(d["processes"][0]["mappings"])' > /dev/null ||
			fail "run $i: s.json is neither the old file nor a whole snapshot"
		whole=$((whole + 1))
	fi
done
ok "SIGKILL during the write, 20 runs: old file kept $killed times, whole new file $whole times, nothing else left"

# A full disk: a small tmpfs (needs root to mount).
if [ "$(id -u)" = 0 ] && mkdir "$TEST_TMP/mnt" && mount -t tmpfs -o size=256k tmpfs "$TEST_TMP/mnt" 2>/dev/null; then
	umount_it() { umount "$TEST_TMP/mnt"; }
	CLEANUP_HOOKS="$CLEANUP_HOOKS umount_it"
	printf '%s\n' "$old" > "$TEST_TMP/mnt/s.json"
	"$VMATLAS" snapshot --format=json --force -o "$TEST_TMP/mnt/s.json" "$TPID" > /dev/null 2> "$TEST_TMP/err" &&
		fail "a snapshot larger than the file system was written"
	grep -q "No space left on device" "$TEST_TMP/err" || fail "full disk: $(cat "$TEST_TMP/err")"
	expect_eq "old file after a full disk" "$(cat "$TEST_TMP/mnt/s.json")" "$old"
	expect_eq "files left on the full disk" "$(ls -A "$TEST_TMP/mnt" | tr '\n' ' ')" "s.json "
	ok "$(cat "$TEST_TMP/err")"
else
	echo "SKIP part: a full disk needs root to mount a small tmpfs"
fi
exit 0
