#!/bin/sh
# vmatlas faults on a target with known faults (tests/targets/faulter.c):
# 2000 first_touch at touch_pages, file faults at read_file, 100 cow at
# parent_writes; in the child 500 cow at cow_writes; in the grandchild
# (forked while recording) 300 first_touch at grandchild_touch. Each
# process's count equals the change of minflt + majflt in /proc/PID/stat,
# also with a major fault that the kernel retries inside the trap (the
# data file is dropped from the page cache first).
# Three recorders run at once: JSON with --follow-forks, text, and JSON
# without descendants; then --sample, a launched program, and the refusal
# without permission.
. "$TESTLIB"
. "$srcdir/tests/faults-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"

PARANOID=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)
# The refusal: without root, with perf_event_paranoid above -1.
refusal() { # PREFIX...: run faults on a process of that user, expect the refusal
	"$@" sleep 30 &
	SL=$!
	TEST_PIDS="$TEST_PIDS $SL"
	for i in $(seq 1 100); do [ "$(cat /proc/$SL/comm 2>/dev/null)" = sleep ] && break; sleep 0.02; done
	"$@" "$VMATLAS" faults -d 1 "$SL" > "$TEST_TMP/out" 2> "$TEST_TMP/err"
	rc=$?
	expect_eq "refused: exit" "$rc" 1
	expect_eq "refused: one line" "$(wc -l < "$TEST_TMP/err")" 1
	grep -q "^vmatlas: faults: recording page faults needs root (or CAP_PERFMON), or kernel.perf_event_paranoid -1 (it is $PARANOID)\$" "$TEST_TMP/err" ||
		fail "refusal says: $(cat "$TEST_TMP/err")"
	[ ! -s "$TEST_TMP/out" ] || fail "refused, but wrote to stdout"
	ok "refusal: $(cat "$TEST_TMP/err")"
}
if [ "$PARANOID" -gt -1 ]; then
	if [ "$(id -u)" != 0 ]; then
		refusal
		skip "recording needs root; the refusal was checked"
	fi
	command -v setpriv >/dev/null || skip "setpriv is needed to run as nobody"
	refusal setpriv --reuid=65534 --regid=65534 --clear-groups
fi
require_root "recording needs root"

dd if=/dev/urandom of="$TEST_TMP/data" bs=4096 count=64 status=none || hard_error "no data file"
start_target faulter "$TEST_TMP/data"
P=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' "$READY")
C=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' "$READY")
A=$(sed -n 's/.* a=\(0x[0-9a-f]*\).*/\1/p' "$READY")
S=$(sed -n 's/.* s=\(0x[0-9a-f]*\).*/\1/p' "$READY")
F=$(sed -n 's/.* f=\(0x[0-9a-f]*\).*/\1/p' "$READY")
G=$(sed -n 's/.* g=\(0x[0-9a-f]*\).*/\1/p' "$READY")
[ -n "$P" ] && [ -n "$C" ] && [ -n "$A" ] && [ -n "$S" ] && [ -n "$F" ] && [ -n "$G" ] ||
	hard_error "bad ready file: $(cat "$READY")"

record all --follow-forks --format=json "$P"
record text --follow-forks "$P"
record own --format=json --sample 1 "$P"
record sampled --format=json --sample 10 "$P"
record chains --format=json --callchains "$P"
# The data file leaves the page cache: read_file's faults wait for the
# disk (major), and the kernel retries such a fault inside the trap.
python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$TEST_TMP/data" ||
	hard_error "cannot drop the data file from the page cache"
kill -USR1 "$P"
until_done
GC=$(ready_value grandchild)
for n in all text own sampled chains; do finish $n; done

J=$TEST_TMP/all.json
mv "$TEST_TMP/all.out" "$J"
# at PID SYMBOL TYPE: faults of TYPE at functions named SYMBOL* in PID
at() {
	json_eval "$J" "sum(c['count'] for c in d['by_code'] if c['pid']==$1 and (c['symbol'] or '').split('.')[0]=='$2' and c['type']=='$3')"
}
# other_at PID SYMBOL TYPE: faults of other types there
other_at() {
	json_eval "$J" "sum(c['count'] for c in d['by_code'] if c['pid']==$1 and (c['symbol'] or '').split('.')[0]=='$2' and c['type']!='$3')"
}
expect_eq "format" "$(json_eval "$J" "d['format']")" vmatlas-faults
expect_eq "lost" "$(json_eval "$J" "d['lost']")" 0
expect_eq "first_touch at touch_pages" "$(at "$P" touch_pages first_touch)" 2000
expect_eq "nothing else at touch_pages" "$(other_at "$P" touch_pages first_touch)" 0
expect_eq "cow at parent_writes" "$(at "$P" parent_writes cow)" 100
expect_eq "cow at cow_writes (child)" "$(at "$C" cow_writes cow)" 500
expect_eq "nothing else at cow_writes" "$(other_at "$C" cow_writes cow)" 0
expect_eq "first_touch at grandchild_touch" "$(at "$GC" grandchild_touch first_touch)" 300
expect_eq "read_file faults are file faults" "$(other_at "$P" read_file file)" 0
[ "$(at "$P" read_file file)" -gt 0 ] || fail "no file faults at read_file"
ok "file faults at read_file: $(at "$P" read_file file)"
OBJ=$(json_eval "$J" "[c['object'] for c in d['by_code'] if (c['symbol'] or '').startswith('touch_pages')][0]")
expect_eq "object named" "$OBJ" "$TARGETS/faulter"

# row PID ADDR FIELD: FIELD of the by_mapping row of PID starting at ADDR
row() {
	json_eval "$J" "[m['$3'] for m in d['by_mapping'] if m['pid']==$1 and int(m['start'],16)==$2][0]"
}
expect_eq "mapping A faults" "$(row "$P" "$A" faults)" 2000
expect_eq "mapping A first_touch" "$(row "$P" "$A" first_touch)" 2000
expect_eq "mapping A end" "$(row "$P" "$A" end)" "$(printf '0x%x' $((A + 2000 * 4096)))"
expect_eq "mapping S in the parent: cow" "$(row "$P" "$S" cow)" 100
expect_eq "mapping S in the parent: faults" "$(row "$P" "$S" faults)" 100
expect_eq "mapping S in the child: cow" "$(row "$C" "$S" cow)" 500
expect_eq "mapping S in the child: faults" "$(row "$C" "$S" faults)" 500
expect_eq "mapping G in the grandchild" "$(row "$GC" "$G" first_touch)" 300
expect_eq "file mapping: all file faults" "$(row "$P" "$F" file)" "$(row "$P" "$F" faults)"
expect_eq "file mapping path" "$(row "$P" "$F" path)" "$TEST_TMP/data"
expect_eq "file mapping kind" "$(row "$P" "$F" kind)" file

expect_eq "processes" "$(json_eval "$J" "sorted(p['pid'] for p in d['processes'])")" \
	"$(python3 -c "print(sorted([$P, $C, $GC]))")"
for pid in $P $C $GC; do
	expect_eq "pid $pid: faults = kernel's minflt+majflt delta" \
		"$(json_eval "$J" "[p['faults'] for p in d['processes'] if p['pid']==$pid][0]")" \
		"$(json_eval "$J" "[p['kernel_delta'] for p in d['processes'] if p['pid']==$pid][0]")"
done
MAJ=$(json_eval "$J" "[p['major'] for p in d['processes'] if p['pid']==$P][0]")
[ "$MAJ" -ge 1 ] || fail "no major fault reading the dropped file"
ok "major faults in the parent: $MAJ"
expect_eq "major faults at read_file are file faults" "$(other_at "$P" read_file file)" 0
# A retried fault traps once and is counted once: nothing uncounted.
expect_eq "uncounted traps" "$(json_eval "$J" "d['uncounted']")" 0
expect_eq "types add up" "$(json_eval "$J" "sum(d['by_type'].values()) == d['faults']")" true
expect_eq "minor + major" "$(json_eval "$J" "d['minor'] + d['major'] == d['faults']")" true
expect_eq "mappings add up" "$(json_eval "$J" "sum(m['faults'] for m in d['by_mapping']) == d['faults'] - d['unclassified']")" true

# Without --follow-forks: the parent alone, and its count exact.
O=$TEST_TMP/own.out
expect_eq "own: processes" "$(json_eval "$O" "[p['pid'] for p in d['processes']]")" "[$P]"
expect_eq "own: faults = kernel delta" "$(json_eval "$O" "d['processes'][0]['faults'] == d['processes'][0]['kernel_delta']")" true
expect_eq "own: first_touch at touch_pages" \
	"$(json_eval "$O" "sum(c['count'] for c in d['by_code'] if (c['symbol'] or '').startswith('touch_pages'))")" 2000

# Sampled: every 10th fault, scaled; an estimate near the truth.
SM=$TEST_TMP/sampled.out
expect_eq "sampled: sample" "$(json_eval "$SM" "d['sample']")" 10
EST=$(json_eval "$SM" "sum(c['count'] for c in d['by_code'] if (c['symbol'] or '').startswith('touch_pages'))")
[ "$EST" -ge 1800 ] && [ "$EST" -le 2200 ] || fail "sampled estimate at touch_pages: $EST, expected about 2000"
ok "sampled estimate at touch_pages: $EST"

# Call chains: the target keeps frame pointers, so its chains are whole.
CH=$TEST_TMP/chains.out
expect_eq "chains: callers of touch_pages" \
	"$(json_eval "$CH" "[[x['symbol'] for x in c['callers']] for c in d['by_code'] if (c['symbol'] or '').startswith('touch_pages')][0][:1]")" '["main"]'
expect_eq "chains: touch_pages's chain is whole" \
	"$(json_eval "$CH" "[c['chain_cut'] for c in d['by_code'] if (c['symbol'] or '').startswith('touch_pages')][0]")" false
expect_eq "chains: counts unchanged" \
	"$(json_eval "$CH" "sum(c['count'] for c in d['by_code'] if (c['symbol'] or '').startswith('touch_pages'))")" 2000

# The text: the same counts.
T=$TEST_TMP/text.out
grep -q '^page faults of 3 processes over [0-9.]* s (every fault recorded)$' "$T" || fail "text header: $(head -n 1 "$T")"
grep -q '^lost: 0 events$' "$T" || fail "text does not say lost events"
grep -Eq "^$P +faulter +([0-9]+) +[0-9]+ +[1-9][0-9]* +\1 +20[0-9][0-9] +[1-9][0-9]* +0 +1[0-9][0-9] +[0-9]+$" "$T" ||
	fail "text parent row: $(grep "^$P " "$T")"
grep -Eq "^$C +faulter +([0-9]+) +\1 +0 +\1 +[0-9] +[0-9]+ +0 +5[0-9][0-9] +[0-9]+$" "$T" || fail "text child row: $(grep "^$C " "$T")"
grep -Eq "^$C +500 cow +cow_writes(\.[a-z0-9.]*)? \(faulter\)$" "$T" || fail "text: no cow_writes row"
grep -Eq "^$P +2000 first_touch +touch_pages(\.[a-z0-9.]*)? \(faulter\)$" "$T" || fail "text: no touch_pages row"
grep -Eq "^$P +0*${A#0x} +[0-9a-f]{16} anon +2000 +2000 +0 +0 +0 +0 *$" "$T" || fail "text: mapping A row"
ok "text rows"

# A launched program: recorded from its exec to its end.
"$VMATLAS" faults --format=json -- "$TARGETS/faulter" > "$TEST_TMP/run.json" 2> "$TEST_TMP/run.err"
expect_eq "launched: exit" "$?" 0
expect_eq "launched: one process, exited" "$(json_eval "$TEST_TMP/run.json" "[(p['comm'], p['exited']) for p in d['processes']]")" '[["faulter", true]]'
[ "$(json_eval "$TEST_TMP/run.json" "d['faults']")" -gt 10 ] || fail "launched: too few faults"
expect_eq "launched: the loader's faults" "$(json_eval "$TEST_TMP/run.json" "any((c['object'] or '').endswith('ld-linux-x86-64.so.2') for c in d['by_code'])")" true
grep -q 'usage: faulter' "$TEST_TMP/run.err" || fail "launched: its stderr: $(cat "$TEST_TMP/run.err")"
ok "launched program recorded"

# Bad input: one line each.
expect_error "no such process" 1 "no such process" faults -d 1 999999999
expect_error "bad duration" 2 "duration wants seconds" faults -d -1 "$P"
expect_error "bad sample" 2 "sample wants a number" faults --sample 0 "$P"
expect_error "nothing to record" 2 "give PIDs or -- PROGRAM" faults
