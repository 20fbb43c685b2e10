#!/bin/sh
# Pipes and devices: view - and /dev/stdin read standard input (the screen
# then takes its keys from the terminal); a closed pipe ends every command
# quietly with 141 (128 + SIGPIPE); -o /dev/null writes the device and
# leaves it a device; diff --exit-code says 0 same, 1 changed, 2 trouble.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

command -v python3 >/dev/null || skip "python3 is needed for a closed pipe"
cd "$TEST_TMP" || hard_error "no test directory"

start_target layout
L=$TPID
"$VMATLAS" snapshot --format=json --pages -o a.json "$L" || fail "snapshot exited $?"
"$VMATLAS" snapshot --interval 0.05 --count 3 -o tl.jsonl "$L" || fail "capture exited $?"
sleep 30 &
S=$!
TEST_PIDS="$TEST_PIDS $S"
"$VMATLAS" snapshot --format=json -o b.json "$S" || fail "snapshot of sleep exited $?"

# Standard input.
"$VMATLAS" view - --format=json < a.json > back.json || fail "view - exited $?"
cmp a.json back.json || fail "view - is not the file"
cat a.json | "$VMATLAS" view /dev/stdin --format=json > back.json || fail "view /dev/stdin exited $?"
cmp a.json back.json || fail "view /dev/stdin from a pipe is not the file"
gzip -c a.json | "$VMATLAS" view - --format=json > back.json || fail "view - of gzip exited $?"
cmp a.json back.json || fail "view - of gzip is not the file"
expect_eq "a timeline through a pipe, its second snapshot" \
	"$(cat tl.jsonl | "$VMATLAS" view - --index=2 --format=json | python3 -c 'import json,sys; print(json.load(sys.stdin)["taken_at"])')" \
	"$(sed -n 2p tl.jsonl | python3 -c 'import json,sys; print(json.load(sys.stdin)["taken_at"])')"
"$VMATLAS" diff - b.json < a.json > d.txt || fail "diff - exited $?"
grep -q "^--- - (" d.txt || fail "diff - does not name standard input: $(head -2 d.txt)"
expect_error "an empty pipe" 1 "standard input: empty file" view - --format=json < /dev/null
ok "view - and /dev/stdin read standard input"
tui_start 160 50 "cat a.json | '$VMATLAS' view -"
wait_for "^PID $L layout file "
wait_for "8 Faults  standard input$"
keys q
expect_eq "the screen on a pipe quits with q" "$(tui_exit_status)" 0
tm kill-session -t t

# closed CMD...: exit status and stderr of CMD writing into a pipe whose
# reader is gone.
closed() {
	python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
print(p.returncode, repr(p.stderr.decode()))' "$VMATLAS" "$@"
}
for cmd in "snapshot $L" "snapshot --format=svg $L" "snapshot --interval 0.05 --count 3 $L" \
	"addr $L 0x1000" "stacks $L" "view --format=text a.json" "diff a.json b.json" \
	"diff --format=json a.json pid:$L" "diff --each tl.jsonl" "snapshot --at-exit -o - -- true"; do
	# shellcheck disable=SC2086
	expect_eq "closed pipe: $cmd" "$(closed $cmd)" "141 ''"
done

# Devices are written, never replaced; FIFOs are still refused.
for cmd in "snapshot -o /dev/null $L" "snapshot --force -o /dev/null $L" \
	"snapshot --interval 0.05 --count 2 -o /dev/null $L" "view -o /dev/null a.json" \
	"snapshot --at-exit -o /dev/null -- true"; do
	# shellcheck disable=SC2086
	"$VMATLAS" $cmd > out 2> err || fail "$cmd exited $? ($(cat err))"
	[ ! -s err ] || fail "$cmd: $(cat err)"
	[ -c /dev/null ] || hard_error "/dev/null is no longer a device after $cmd"
done
ok "-o /dev/null writes the device"
mkfifo fifo
expect_error "a FIFO" 1 "not a regular file" snapshot -o fifo "$L"

# diff --exit-code: 0 the same, 1 changed, 2 trouble.
rc() { "$VMATLAS" "$@" > /dev/null 2>&1; echo $?; }
expect_eq "diff --exit-code, the same" "$(rc diff --exit-code a.json a.json)" 0
expect_eq "diff --exit-code, changed" "$(rc diff --exit-code a.json b.json)" 1
expect_eq "diff --exit-code --format=json, changed" "$(rc diff --exit-code --format=json a.json b.json)" 1
expect_eq "diff --exit-code, a missing file" "$(rc diff --exit-code a.json missing.json)" 2
expect_eq "diff --exit-code, a usage error" "$(rc diff --exit-code --nope a.json b.json)" 2
expect_eq "diff without --exit-code, changed" "$(rc diff a.json b.json)" 0
expect_eq "diff without --exit-code, a missing file" "$(rc diff a.json missing.json)" 1
