#!/bin/sh
# Shared memory on a real process: a SysV segment, a memfd and shared
# anonymous memory are kind shm, a file really named "x (deleted)" is not
# deleted, an unlinked file is; each with its exact page counts, and Rss as
# smaps says.
. "$TESTLIB"

command -v python3 >/dev/null || skip "python3 not installed"
start_target shmkinds
out=$TEST_TMP/snap.json
"$VMATLAS" snapshot --format=json "$TPID" > "$out" || fail "snapshot exited $?"
P='d["processes"][0]'
row() { json_eval "$out" "(lambda m: [m['kind'], m['path'], m.get('deleted', False)] + [m['pages'][k] for k in ('total', 'resident', 'file_or_shared')])(mapping($P, '$(ready_value "$1")'))"; }

expect_eq "sysv" "$(row sysv)" '["shm", "/SYSV00000000", true, 16, 3, 3]'
expect_eq "memfd" "$(row memfd)" '["shm", "/memfd:vmatlas test", true, 16, 5, 5]'
expect_eq "shared anonymous" "$(row shanon)" '["shm", "/dev/zero", true, 16, 7, 7]'
expect_eq "file named '(deleted)'" "$(row space)" "[\"file\", \"$READY.with space (deleted)\", false, 16, 11, 11]"
expect_eq "unlinked file" "$(row gone)" "[\"file\", \"$READY.gone\", true, 16, 13, 13]"

# Rss of each, as smaps says.
for k in sysv memfd shanon space gone; do
	a=$(ready_value $k)
	rss=$(awk -v s="$(printf '%x' "$a")" '$1 ~ "^"s"-" {m = 1; next} m && /^Rss:/ {print $2; exit}' "/proc/$TPID/smaps")
	expect_eq "$k resident_kb = smaps Rss" "$(json_eval "$out" "mapping($P,'$a')['pages']['resident'] * 4")" "$rss"
done

# The text marks what is deleted, and keeps the real name's " (deleted)"
# apart from the kernel's marker.
"$VMATLAS" snapshot "$TPID" > "$TEST_TMP/snap.txt" || fail "text snapshot exited $?"
grep -q " shm .* /SYSV00000000 (deleted)\$" "$TEST_TMP/snap.txt" || fail "no SysV row in the text"
grep -q " file .* $READY.gone (deleted)\$" "$TEST_TMP/snap.txt" || fail "no deleted row in the text"
grep -q " file .* $READY.with space\\\\x20(deleted)\$" "$TEST_TMP/snap.txt" || fail "the real name is not told apart: $(grep 'with space' "$TEST_TMP/snap.txt")"
ok "text rows of shm and deleted files"
