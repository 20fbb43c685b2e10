#!/bin/sh
# Separate debug files and snapshot files are names someone else chooses:
# a .gnu_debuglink name beside a library, in a directory its user owns, may
# be a FIFO, or a symlink to a FIFO or to a file that user cannot read.
# vmatlas never opens anything but a regular file (a FIFO's blocked writer
# does not wake), and follows a symlink only in a directory that only root
# can write. The same for `view`, which may be handed a symlink to a FIFO.
. "$TESTLIB"

require_root "needs root: a library directory owned by another user, and a file that user cannot read"
command -v objcopy >/dev/null && command -v strip >/dev/null || skip "objcopy/strip (binutils) not installed"
command -v setpriv >/dev/null || skip "setpriv is needed to run as nobody"
id nobody >/dev/null 2>&1 || skip "no user nobody"
AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
chmod 1777 "$TEST_TMP"
T=$TARGETS/symbols

# The debug file, with the CRC the stripped program's .gnu_debuglink gives:
# root's, mode 0600, where nobody cannot read it.
mkdir -m 700 "$TEST_TMP/secret"
objcopy --only-keep-debug "$T" "$TEST_TMP/secret/symbols.debug"
chmod 600 "$TEST_TMP/secret/symbols.debug"
strip --strip-all -o "$TEST_TMP/symbols.stripped" "$T"
objcopy --add-gnu-debuglink="$TEST_TMP/secret/symbols.debug" "$TEST_TMP/symbols.stripped"

# A directory holding the stripped program and, as its debug file, $2.
# $1: owner (nobody or root).
program_dir() {
	d=$TEST_TMP/d$RANDOM
	mkdir -m 755 "$d"
	cp "$TEST_TMP/symbols.stripped" "$d/symbols"
	chmod 755 "$d/symbols"
	eval "$2"
	chown -h "$1" "$d" "$d/symbols"
	[ -e "$d/symbols.debug" ] || [ -L "$d/symbols.debug" ] || [ -p "$d/symbols.debug" ] || hard_error "no debug name made"
}
# A writer blocked on opening FIFO $1; it touches $1.woke when let through.
fifo_writer() {
	mkfifo -m 666 "$1"
	sh -c 'echo x > "$1" && touch "$1.woke"' sh "$1" &
	TEST_PIDS="$TEST_PIDS $!"
	WRITER=$!
}
# symbol_of DIR: the symbol vmatlas gives the function of the program in
# DIR, run as nobody.
symbol_of() {
	TARGETS=$1 START_AS=$AS_USER start_target symbols
	"$VMATLAS" addr --format=json "$TPID" "0x$(ready_value func)" > "$TEST_TMP/a.json" || fail "addr exited $?"
	json_eval "$TEST_TMP/a.json" 'd["symbol"]["name"] if d["symbol"] else None'
	kill "$TPID"
}
writer_asleep() {
	sleep 0.2
	[ ! -e "$1.woke" ] && kill -0 "$WRITER" 2>/dev/null || fail "the writer of $1 woke: vmatlas opened the FIFO"
	ok "the writer of $1 still waits"
}

# Controls: the debug file as a plain file in nobody's directory, and as a
# symlink in a directory only root can write, is found.
program_dir nobody 'cp "$TEST_TMP/secret/symbols.debug" "$d/symbols.debug"; chown nobody "$d/symbols.debug"'
expect_eq "a plain debug file beside the program" "$(symbol_of "$d")" vm_known_func
program_dir root 'ln -s "$TEST_TMP/secret/symbols.debug" "$d/symbols.debug"'
expect_eq "a symlink in a directory only root can write" "$(symbol_of "$d")" vm_known_func

# A symlink in nobody's directory to the file nobody cannot read: not followed.
program_dir nobody 'ln -s "$TEST_TMP/secret/symbols.debug" "$d/symbols.debug"'
expect_eq "a symlink in nobody's directory to root's file" "$(symbol_of "$d")" null
# Its .debug/ directory, nobody's too.
program_dir nobody 'mkdir "$d/.debug"; ln -s "$TEST_TMP/secret/symbols.debug" "$d/.debug/symbols.debug"; chown -h nobody "$d/.debug" "$d/.debug/symbols.debug"; touch "$d/symbols.debug"'
expect_eq "a symlink in nobody's .debug/ to root's file" "$(symbol_of "$d")" null

# A symlink to a FIFO with a blocked writer, and the FIFO itself.
fifo_writer "$TEST_TMP/fifo1"
program_dir root 'ln -s "$TEST_TMP/fifo1" "$d/symbols.debug"'
expect_eq "a symlink to a FIFO (root's directory)" "$(symbol_of "$d")" null
writer_asleep "$TEST_TMP/fifo1"
fifo_writer "$TEST_TMP/fifo2"
program_dir nobody 'ln -s "$TEST_TMP/fifo2" "$d/symbols.debug"'
expect_eq "a symlink to a FIFO (nobody's directory)" "$(symbol_of "$d")" null
writer_asleep "$TEST_TMP/fifo2"
program_dir nobody 'fifo_writer "$d/symbols.debug"'
expect_eq "a FIFO as the debug file" "$(symbol_of "$d")" null
writer_asleep "$d/symbols.debug"

# view: a symlink to a FIFO is refused before it is opened.
fifo_writer "$TEST_TMP/fifo3"
ln -s "$TEST_TMP/fifo3" "$TEST_TMP/snap.json"
expect_error "view of a symlink to a FIFO" 1 "not a regular file (a FIFO)" view --format=text "$TEST_TMP/snap.json"
writer_asleep "$TEST_TMP/fifo3"
ln -s /dev/null "$TEST_TMP/dev.json"
expect_error "view of a symlink to a device" 1 "not a regular file (a device)" view --format=text "$TEST_TMP/dev.json"
exit 0
