#!/bin/sh
# Bad input: one line on stderr naming the cause, a non-zero exit, no core,
# no output file.
. "$TESTLIB"

# A pid that surely does not exist: above pid_max.
nopid=$(( $(cat /proc/sys/kernel/pid_max) + 1 ))
expect_error "no such process" 1 "no such process: $nopid" snapshot "$nopid"
expect_error "not a number" 2 "'abc' is not a process ID" snapshot abc
expect_error "zero" 2 "'0' is not a process ID" snapshot 0
expect_error "negative" 2 "is not a process ID" snapshot -- -5
expect_error "hex" 2 "'0x10' is not a process ID" snapshot 0x10
expect_error "huge" 2 "is not a process ID" snapshot 99999999999999999999
expect_error "no pid" 2 "no PID given" snapshot
expect_error "unknown option" 2 "unrecognized option" snapshot --bogus 1
expect_error "unknown format" 2 "unknown format 'xml'" snapshot --format=xml 1
expect_error "timeline as SVG" 2 "--interval writes a JSON Lines timeline: --format=svg does not apply" snapshot --interval 1 --format=svg 1
expect_error "timeline as text" 2 "--interval writes a JSON Lines timeline: --format=text does not apply" snapshot --interval 1 --format=text 1
expect_error "unknown command" 2 "unknown command 'frobnicate'" frobnicate
expect_error "escaped argument" 2 'unknown command .x\\x1b\[31mred' "$(printf 'x\033[31mred')"

# A zombie: a child that exited and was not reaped.
make_zombie
zombie=$ZOMBIE
expect_error "zombie" 1 "process $zombie is a zombie" snapshot "$zombie"

# No partial output file on failure.
expect_error "no file on failure" 1 "no such process" snapshot -o "$TEST_TMP/never.json" "$nopid"
[ ! -e "$TEST_TMP/never.json" ] || fail "a failed snapshot left an output file"
[ -z "$(ls -A "$TEST_TMP" | grep -v -e '^out$' -e '^err$')" ] || fail "left files behind: $(ls -A "$TEST_TMP")"
ok "no output file left"

# Another user's process (needs root to run as another user).
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	start_target layout
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMATLAS" snapshot "$TPID" > "$TEST_TMP/out" 2> "$TEST_TMP/err"
	rc=$?
	[ "$rc" = 1 ] || fail "another user's process: exit $rc"
	grep -q "process $TPID belongs to another user (uid 0" "$TEST_TMP/err" || fail "another user's process: $(cat "$TEST_TMP/err")"
	ok "another user: $(cat "$TEST_TMP/err")"
else
	echo "note: another-user case needs root and setpriv; not run"
fi

# A process of the same user that is not dumpable (PR_SET_DUMPABLE 0): only
# CAP_SYS_PTRACE reads its pagemap, and the error says so.
if [ "$(id -u)" = 0 ]; then
	if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
		AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
		chmod 1777 "$TEST_TMP"
	else
		AS_USER=skip
	fi
else
	AS_USER=""
fi
if [ "$AS_USER" != skip ]; then
	START_AS=$AS_USER start_target layout nodump
	$AS_USER "$VMATLAS" snapshot "$TPID" > "$TEST_TMP/out" 2> "$TEST_TMP/err"
	rc=$?
	[ "$rc" = 1 ] || fail "not dumpable: exit $rc"
	[ "$(wc -l < "$TEST_TMP/err")" = 1 ] || fail "not dumpable: stderr is not one line: $(cat "$TEST_TMP/err")"
	grep -q "process $TPID is not dumpable" "$TEST_TMP/err" || fail "not dumpable: $(cat "$TEST_TMP/err")"
	[ ! -s "$TEST_TMP/out" ] || fail "not dumpable: wrote to stdout"
	ok "not dumpable: $(cat "$TEST_TMP/err")"
	if [ "$(id -u)" = 0 ]; then
		"$VMATLAS" snapshot --format=json "$TPID" > "$TEST_TMP/nodump.json" || fail "root could not read a non-dumpable process"
		expect_eq "root reads a non-dumpable process: anon32 resident" \
			"$(json_eval "$TEST_TMP/nodump.json" "mapping(d['processes'][0],'$(ready_value anon32)')['pages']['resident']")" 1000
	fi
else
	echo "note: the non-dumpable case as root needs user nobody and setpriv; not run"
fi
