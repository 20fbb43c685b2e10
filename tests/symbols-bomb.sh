#!/bin/sh
# A demangler bomb: libbomb.so's function has a 267-byte C++ name that
# demangles to about 200 MB. addr and stacks show it mangled, in little
# time and memory, and stacks reads symbols only once the target runs again
# (no symbol table or debug file is opened or read while it is stopped).
. "$TESTLIB"

start_target bomber
bomb=0x$(ready_value bomb)
raw=$(nm -D --defined-only "$TARGETS/libbomb.so" | awk '$3 ~ /^_Z1f1a/ { print $3; exit }')
expect_eq "length of the bomb's name" "${#raw}" 267

# 1. addr names it mangled, within 64 MB (demangling it whole takes gigabytes).
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$TEST_TMP/rss" "$VMATLAS" addr --format=json "$TPID" "$bomb" > "$TEST_TMP/a.json" ||
		fail "addr on the bomb exited $?"
	[ "$(cat "$TEST_TMP/rss")" -lt 65536 ] || fail "addr on the bomb took $(cat "$TEST_TMP/rss") KB"
	ok "addr on the bomb: peak $(cat "$TEST_TMP/rss") KB"
else
	"$VMATLAS" addr --format=json "$TPID" "$bomb" > "$TEST_TMP/a.json" || fail "addr on the bomb exited $?"
	echo "/usr/bin/time not installed: peak memory not checked"
fi
expect_eq "addr: the bomb, mangled" "$(json_eval "$TEST_TMP/a.json" 'd["symbol"]["name"]')" "$raw"
expect_eq "addr: its object" "$(json_eval "$TEST_TMP/a.json" 'd["symbol"]["object"]')" "$TARGETS/libbomb.so"
# Found by its mangled name too.
"$VMATLAS" addr --format=json "$TPID" "$raw" > "$TEST_TMP/a.json" || fail "addr by the bomb's name exited $?"
expect_eq "addr by the mangled name" "$(json_eval "$TEST_TMP/a.json" 'd["address"]')" "$bomb"

# 2. stacks: the frame in the bomb is named mangled, main below it.
"$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/s.json" || fail "stacks exited $?"
expect_eq "stacks: the frames above main" \
	"$(json_eval "$TEST_TMP/s.json" '[f["symbol"] for f in d["threads"][0]["frames"]][1:3]')" "[\"$raw\", \"main\"]"
threads_are "$TPID" S

# 3. No object is read for symbols between stopping the target and letting
# it go: vmatlas reads objects with pread through /proc/PID/map_files or
# O_PATH lookups. (libunwind's own reading of /proc/PID/maps and of the
# unwind tables is the unwinder's, not checked here.)
if command -v strace >/dev/null; then
	# LeakSanitizer cannot run under ptrace: off for this run.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -e trace=ptrace,openat,pread64 -o "$TEST_TMP/strace" "$VMATLAS" stacks "$TPID" > /dev/null ||
		fail "stacks under strace exited $?"
	python3 - "$TEST_TMP/strace" <<'PY' || fail "an object was read for symbols while the target was stopped"
import re, sys
stopped = False
seen = 0
for l in open(sys.argv[1]):
    if "PTRACE_INTERRUPT" in l:
        stopped, seen = True, seen + 1
    elif re.search(r"PTRACE_(CONT|DETACH)", l):
        stopped = False
    elif stopped and (re.search(r"\bpread64\(", l) or
                      re.search(r"\bopenat\(.*(map_files|O_PATH)", l)):
        sys.exit("while stopped: " + l.strip())
if not seen:
    sys.exit("no PTRACE_INTERRUPT seen")
PY
	ok "no object read for symbols while the target was stopped"
	threads_are "$TPID" S
else
	echo "strace not installed: the order of reads and stops not checked"
fi
exit 0
