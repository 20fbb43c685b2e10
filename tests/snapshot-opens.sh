#!/bin/sh
# A snapshot opens each mapped object once, not once per mapping of it: a
# python3 process maps each of its libraries three to five times (text,
# rodata, data, relro), and vmatlas opens /proc/PID/map_files/ once per
# distinct file (device and inode), as strace counts it.
. "$TESTLIB"

command -v python3 >/dev/null || skip "python3 not installed"
command -v strace >/dev/null || skip "strace is not installed"
python3 -c 'import json, ssl, time; time.sleep(300)' &
pypid=$!
TEST_PIDS="$TEST_PIDS $pypid"
sleep 1

# LeakSanitizer cannot run under ptrace (a sanitizer build).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=openat,openat2 -o "$TEST_TMP/trace" \
	"$VMATLAS" snapshot --format=json "$pypid" > "$TEST_TMP/s.json" ||
	fail "snapshot exited $?"
opens=$(grep -c "/proc/$pypid/map_files/" "$TEST_TMP/trace")
# What vmatlas can open: regular files of the maps, by device and inode
# (not [vdso], [heap], anonymous memory). Without CAP_SYS_ADMIN, map_files
# cannot be followed and each file is opened by its path instead.
objects=$(awk '$5 != 0 && $6 ~ /^\// { print $4 ":" $5 }' "/proc/$pypid/maps" | sort -u | wc -l)
fmaps=$(awk '$5 != 0 && $6 ~ /^\// { n++ } END { print n }' "/proc/$pypid/maps")
[ "$fmaps" -gt "$objects" ] || hard_error "python3 maps no object more than once ($fmaps mappings, $objects files)"
if [ "$(id -u)" = 0 ]; then
	[ "$opens" = "$objects" ] ||
		fail "map_files opened $opens times for $objects files ($fmaps file mappings)"
else
	paths=$(awk '$5 != 0 && $6 ~ /^\// { print $6 }' "/proc/$pypid/maps" | sort -u)
	n=0
	for p in $paths; do
		c=$(grep -cF "\"$p\"" "$TEST_TMP/trace")
		[ "$c" -le 1 ] || fail "$p opened $c times"
		n=$((n + c))
	done
	[ "$n" -le "$objects" ] || fail "files opened $n times for $objects files"
fi
ok "$objects files of $fmaps file mappings, each opened once"
exit 0
