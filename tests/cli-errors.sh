#!/bin/sh
# Bad input to addr, stacks, view, diff (and cow): one line on stderr naming the
# cause, the exit status of its kind (2 usage, 1 failure), nothing on stdout
# and no output file.
. "$TESTLIB"

nopid=$(( $(cat /proc/sys/kernel/pid_max) + 1 ))
start_target layout
make_zombie

expect_error "addr: no operands" 2 "addr: need a PID and at least one address" addr
expect_error "addr: no address" 2 "addr: need a PID and at least one address" addr "$TPID"
expect_error "addr: bad pid" 2 "'12x' is not a process ID" addr 12x 0x1000
expect_error "addr: no such process" 1 "no such process: $nopid" addr "$nopid" 0x1000
expect_error "addr: zombie" 1 "process $ZOMBIE is a zombie" addr "$ZOMBIE" 0x1000
expect_error "--read-timeout 0" 2 "--read-timeout wants seconds from 0.001 to 3600, not '0'" --read-timeout 0 snapshot "$TPID"
expect_error "--read-timeout without seconds" 2 "--read-timeout wants seconds from 0.001 to 3600, not ''" snapshot "$TPID" --read-timeout
expect_error "--read-timeout=x" 2 "--read-timeout wants seconds from 0.001 to 3600, not 'x'" --read-timeout=x snapshot "$TPID"
expect_error "addr: bad hex" 2 "addr: '0xzz' is not an address" addr "$TPID" 0xzz
expect_error "addr: 65-bit" 2 "addr: '0x1ffffffffffffffff' is not an address" addr "$TPID" 0x1ffffffffffffffff
expect_error "addr: bad offset" 2 "addr: 'main+0xzz' is not an address" addr "$TPID" main+0xzz
# A "+" not followed by a digit is part of a name (operator+).
expect_error "addr: a name with +" 1 "addr: no symbol 'main+zz' in process $TPID" addr "$TPID" main+zz
expect_error "addr: unknown symbol" 1 "addr: no symbol 'no_such_symbol_q' in process $TPID" addr "$TPID" no_such_symbol_q
expect_error "addr: svg" 2 "addr: unknown format 'svg' (text or json)" addr --format=svg "$TPID" 0x1000
expect_error "addr: unknown option" 2 "addr: unrecognized option '--bogus'" addr --bogus "$TPID" 0x1000

expect_error "stacks: no pid" 2 "stacks: need exactly one PID" stacks
expect_error "stacks: two pids" 2 "stacks: need exactly one PID" stacks "$TPID" "$TPID"
expect_error "stacks: bad pid" 2 "'-' is not a process ID" stacks -- -
expect_error "stacks: no such process" 1 "no such process: $nopid" stacks "$nopid"
expect_error "stacks: zombie" 1 "process $ZOMBIE is a zombie" stacks "$ZOMBIE"
expect_error "stacks: svg" 2 "stacks: unknown format 'svg' (text or json)" stacks -f svg "$TPID"
expect_error "stacks: unknown option" 2 "stacks: unrecognized option '-x'" stacks -x "$TPID"
threads_are "$TPID" "SR"

good=$TEST_TMP/good.json
"$VMATLAS" snapshot --format=json -o "$good" "$TPID" || fail "snapshot exited $?"
expect_error "view: no file" 2 "view: no FILE given" view
expect_error "view: two files" 2 "view: one FILE only" view "$good" "$good"
expect_error "view: missing file" 1 "$TEST_TMP/none.json: cannot open: No such file or directory" view "$TEST_TMP/none.json"
expect_error "view: directory" 1 "$TEST_TMP: not a regular file (a directory): refused" view "$TEST_TMP"
expect_error "view: bad index" 2 "--index=2: the file holds 1 snapshot" view --index=2 "$good"
expect_error "view: unknown format" 2 "unknown format 'xml'" view --format=xml "$good"
expect_error "view: svg into a missing directory" 1 "cannot create $TEST_TMP/no/x.svg: No such file or directory" view --svg "$TEST_TMP/no/x.svg" "$good"
expect_error "view: svg of a missing file" 1 "cannot open" view --svg "$TEST_TMP/x.svg" "$TEST_TMP/none.json"
[ ! -e "$TEST_TMP/x.svg" ] || fail "view --svg of a missing file left $TEST_TMP/x.svg"
ok "no picture from a missing file"

expect_error "diff: no operands" 2 "diff: give two snapshots, or one timeline" diff
expect_error "diff: three operands" 2 "diff: give two snapshots, or one timeline" diff "$good" "$good" "$good"
expect_error "diff: one snapshot" 1 "$good holds one snapshot: give a second one" diff "$good"
expect_error "diff: missing file" 1 "$TEST_TMP/none.json: cannot open: No such file or directory" diff "$good" "$TEST_TMP/none.json"
expect_error "diff: bad pid" 1 "'pid:x1': pid:N wants a process ID" diff "$good" pid:x1
expect_error "diff: no such process" 1 "no such process: $nopid" diff "$good" "pid:$nopid"
expect_error "diff: svg" 2 "diff: unknown format 'svg' (text or json)" diff --format=svg "$good" "$good"
expect_error "cow: html" 2 "unknown format 'html' (text, json or svg)" cow --format=html "$TPID" 1
expect_error "diff: --each of two" 2 "diff: --each compares the steps of one timeline" diff --each "$good" "$good"

# A file the user may not read (root reads everything: run as nobody).
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 600 "$good"
	for args in "view $good" "diff $good pid:$TPID"; do
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMATLAS" $args \
			> "$TEST_TMP/out" 2> "$TEST_TMP/err"
		rc=$?
		[ "$rc" = 1 ] || fail "$args, unreadable: exit $rc: $(cat "$TEST_TMP/err")"
		[ "$(cat "$TEST_TMP/err")" = "vmatlas: $good: cannot open: Permission denied" ] ||
			fail "$args, unreadable: $(cat "$TEST_TMP/err")"
		[ ! -s "$TEST_TMP/out" ] || fail "$args, unreadable: wrote to stdout"
		ok "$args, unreadable: $(cat "$TEST_TMP/err")"
	done
else
	echo "note: the unreadable-file case needs root and setpriv; not run"
fi
