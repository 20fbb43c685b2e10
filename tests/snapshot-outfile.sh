#!/bin/sh
# -o FILE: atomic, mode 0600 whatever the umask, never through a symlink,
# never over an existing file without --force, nothing left behind.
. "$TESTLIB"

start_target layout
d=$TEST_TMP/out
mkdir "$d"

(umask 000; "$VMATLAS" snapshot --format=json -o "$d/a.json" "$TPID") || fail "-o exited $?"
expect_eq "mode" "$(stat -c %a "$d/a.json")" 600
expect_eq "content is the snapshot" "$(json_eval "$d/a.json" "d['processes'][0]['pid']")" "$TPID"

# An existing file is kept without --force.
echo precious > "$d/keep"
"$VMATLAS" snapshot -o "$d/keep" "$TPID" 2> "$TEST_TMP/err" && fail "overwrote without --force"
grep -q "exists (use --force" "$TEST_TMP/err" || fail "message: $(cat "$TEST_TMP/err")"
expect_eq "existing file kept" "$(cat "$d/keep")" precious

"$VMATLAS" snapshot --force -o "$d/keep" "$TPID" || fail "--force exited $?"
grep -q "^pid $TPID " "$d/keep" || fail "--force did not replace the file"
expect_eq "replaced file mode" "$(stat -c %a "$d/keep")" 600
ok "--force replaces"

# A symlink at FILE is never followed, with or without --force.
echo victim > "$d/victim"
ln -s victim "$d/link"
for force in "" --force; do
	"$VMATLAS" snapshot $force -o "$d/link" "$TPID" 2> "$TEST_TMP/err" && fail "wrote through a symlink ($force)"
	grep -q "symbolic link" "$TEST_TMP/err" || fail "message: $(cat "$TEST_TMP/err")"
	expect_eq "symlink target untouched $force" "$(cat "$d/victim")" victim
	[ -L "$d/link" ] || fail "symlink replaced"
done

# A directory that does not exist, and a directory as FILE.
"$VMATLAS" snapshot -o "$d/nodir/x" "$TPID" 2> "$TEST_TMP/err" && fail "wrote into a missing directory"
grep -q "cannot create" "$TEST_TMP/err" || fail "message: $(cat "$TEST_TMP/err")"
"$VMATLAS" snapshot --force -o "$d" "$TPID" 2> "$TEST_TMP/err" && fail "wrote over a directory"
ok "bad destinations refused"

# No temporary files left anywhere.
expect_eq "files in the directory" "$(ls -A "$d" | tr '\n' ' ')" "a.json keep link victim "

# Without --format, the file's name chooses: .json / .json.gz JSON, .svg SVG,
# anything else text; --format wins over the name.
"$VMATLAS" snapshot -o "$d/n.json" "$TPID" || fail "-o n.json exited $?"
expect_eq "n.json is JSON" "$(json_eval "$d/n.json" "d['format']")" vmatlas-snapshot
"$VMATLAS" snapshot -o "$d/n.json.gz" "$TPID" || fail "-o n.json.gz exited $?"
expect_eq "n.json.gz is gzip'd JSON" "$(gzip -dc "$d/n.json.gz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" vmatlas-snapshot
"$VMATLAS" snapshot -o "$d/n.svg" "$TPID" || fail "-o n.svg exited $?"
expect_eq "n.svg is SVG" "$(python3 -c 'import sys,xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().tag)' "$d/n.svg")" "{http://www.w3.org/2000/svg}svg"
"$VMATLAS" snapshot -o "$d/n.txt" "$TPID" || fail "-o n.txt exited $?"
grep -q "^pid $TPID " "$d/n.txt" || fail "n.txt is not text"
"$VMATLAS" snapshot --format=text -o "$d/t.json" "$TPID" || fail "--format=text -o t.json exited $?"
grep -q "^pid $TPID " "$d/t.json" || fail "--format did not win over the name"
ok "the output name chooses the format unless --format is given"
rm -f "$d"/n.* "$d/t.json"

# An existing FIFO is never replaced, even with --force, and output
# written as it goes (a timeline, a launched program's snapshots at exit)
# never hangs waiting for a reader. A character device (as root, a copy of
# /dev/null) is written and stays the device.
mkfifo "$d/fifo"
targets=$d/fifo
[ "$(id -u)" = 0 ] && mknod "$d/null" c 1 3 2>/dev/null && targets="$targets $d/null"
for out in $targets; do
	for args in "snapshot --format=json $TPID" "snapshot --format=svg $TPID" \
		"snapshot --interval 0.1 --count 1 $TPID" "snapshot --at-exit -- true" \
		"view $srcdir/tests/data/good/minimal.json"; do
		timeout -s KILL 10 "$VMATLAS" ${args%% *} --force -o "$out" ${args#* } \
			> "$TEST_TMP/stdout" 2> "$TEST_TMP/err"
		rc=$?
		if [ -c "$out" ]; then
			[ "$rc" = 0 ] && [ ! -s "$TEST_TMP/err" ] ||
				fail "$args -o $out: exit $rc ($(cat "$TEST_TMP/err"))"
			ok "$args -o $out: the device is written"
		else
			[ "$rc" = 1 ] || fail "$args -o $out: exit $rc ($(cat "$TEST_TMP/err"))"
			expect_eq "$args -o $out: message" "$(cat "$TEST_TMP/err")" \
				"vmatlas: $out is not a regular file: refusing to write to it"
		fi
		[ -p "$out" ] || [ -c "$out" ] || fail "$args: $out was replaced"
	done
done
rm -f "$d/fifo" "$d/null"
