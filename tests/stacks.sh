#!/bin/sh
# vmatlas stacks: each thread shows its own function, the stack pointer's
# mapping, and the process is left as found (running or stopped), never
# traced. Also snapshot --stacks.
. "$TESTLIB"

start_target symbols
ta=$(ready_value tid_a) tb=$(ready_value tid_b)
q() { json_eval "$TEST_TMP/s.json" "$1"; }
frames_of() { q "[f[\"symbol\"] for t in d[\"threads\"] if t[\"tid\"] == $1 for f in t[\"frames\"]]"; }
has() { q "'$2' in [f[\"symbol\"] for t in d[\"threads\"] if t[\"tid\"] == $1 for f in t[\"frames\"]]"; }

"$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/s.json" || fail "stacks failed"
expect_eq "threads" "$(q 'len(d["threads"])')" 3
expect_eq "thread $ta is in thread_a" "$(has "$ta" thread_a)" true
expect_eq "thread $ta is not in thread_b" "$(has "$ta" thread_b)" false
expect_eq "thread $tb is in thread_b" "$(has "$tb" thread_b)" true
expect_eq "main thread is in main" "$(has "$TPID" main)" true
expect_eq "main thread's frames end in _start" "$(q "[t[\"frames\"][-1][\"symbol\"] for t in d[\"threads\"] if t[\"tid\"] == $TPID][0]")" _start
expect_eq "thread_a is called from start_thread" "$(q "[f[\"symbol\"] for t in d[\"threads\"] if t[\"tid\"] == $ta for f in t[\"frames\"]][2]")" start_thread
expect_eq "main thread's stack" "$(q "[t[\"stack\"][\"type\"] for t in d[\"threads\"] if t[\"tid\"] == $TPID][0]")" main
expect_eq "thread_a's stack" "$(q "[t[\"stack\"][\"type\"] for t in d[\"threads\"] if t[\"tid\"] == $ta][0]")" thread
# Each frame's pc - offset is its symbol's address (nm + load bias), in the
# object named; each thread's stack is the mapping that holds its sp.
T=$TARGETS/symbols
bias=$(awk -v p="$T" '$6 == p && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' "/proc/$TPID/maps")
ta_addr=$(printf '0x%x' $((0x$(nm "$T" | awk '$3 == "thread_a" {print $1}') + 0x$bias)))
expect_eq "thread_a frame: pc - offset, object" \
	"$(q "[hex(int(f['pc'],16) - int(f['offset'],16)) + ' ' + f['object'] for t in d['threads'] if t['tid'] == $ta for f in t['frames'] if f['symbol'] == 'thread_a'][0]")" \
	"$ta_addr $T"
for t in $TPID $ta $tb; do
	sp=$(q "[t['sp'] for t in d['threads'] if t['tid'] == $t][0]")
	range=$(python3 -c 'import sys
sp=int(sys.argv[2],16)
for l in open("/proc/%s/maps"%sys.argv[1]):
    s,e=(int(x,16) for x in l.split()[0].split("-"))
    if s<=sp<e: print("%#x-%#x"%(s,e))' "$TPID" "$sp")
	expect_eq "thread $t's stack mapping" "$(q "[t['stack']['start'] + '-' + t['stack']['end'] for t in d['threads'] if t['tid'] == $t][0]")" "$range"
done
expect_eq "state as found" "$(q "[t[\"state\"] for t in d[\"threads\"] if t[\"tid\"] == $TPID][0]")" S
expect_eq "TracerPid after stacks" "$(proc_tracer "$TPID")" 0
case $(proc_state "$TPID") in S|R) ok "running after stacks" ;; *) fail "state $(proc_state "$TPID") after stacks" ;; esac

# gdb sees the same functions in the same threads.
if command -v gdb >/dev/null; then
	gdb -nx -batch -p "$TPID" -ex 'thread apply all bt' > "$TEST_TMP/gdb.txt" 2>/dev/null
	for v in "$ta thread_a" "$tb thread_b"; do
		set -- $v
		awk -v t="LWP $1)" 'index($0, t) { on = 1; next } /^Thread / { on = 0 } on' "$TEST_TMP/gdb.txt" |
			grep -q " in $2 " || fail "gdb does not show $2 in thread $1"
		ok "gdb also shows $2 in thread $1"
	done
	expect_eq "TracerPid after gdb" "$(proc_tracer "$TPID")" 0
fi

# A stopped process stays stopped.
kill -STOP "$TPID"
for i in $(seq 1 100); do [ "$(proc_state "$TPID")" = T ] && break; sleep 0.05; done
"$VMATLAS" stacks "$TPID" > "$TEST_TMP/s.txt" || fail "stacks of a stopped process failed"
grep -q "thread_a" "$TEST_TMP/s.txt" || fail "no thread_a in the text output"
grep -q "state T" "$TEST_TMP/s.txt" || fail "the text output does not say T"
sleep 0.2
expect_eq "state after stacks of a stopped process" "$(proc_state "$TPID")" T
THREADS_CONTEXT="after stacks of a stopped process: " threads_are "$TPID" T
expect_eq "TracerPid after stacks of a stopped process" "$(proc_tracer "$TPID")" 0
kill -CONT "$TPID"

# Unwinding stops at STACKS_MAX_DEPTH (256) frames: a thread 1000 calls
# deep shows pause's frames, then deep_recurse to the cut.
sym_pid=$TPID
start_target deep
"$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/deep.json" || fail "stacks of deep exited $?"
expect_eq "frames of a 1000-deep stack" "$(json_eval "$TEST_TMP/deep.json" 'len(d["threads"][0]["frames"])')" 256
expect_eq "the frames below pause" \
	"$(json_eval "$TEST_TMP/deep.json" 'sorted(set(f["symbol"] for f in d["threads"][0]["frames"][-250:]))')" \
	'["deep_recurse"]'
"$VMATLAS" stacks "$TPID" > "$TEST_TMP/deep.txt" || fail "stacks (text) of deep exited $?"
expect_eq "the text says where it stopped" "$(tail -n 1 "$TEST_TMP/deep.txt")" "  ... (unwinding stops at 256 frames)"
grep -q 'unwinding stops' "$TEST_TMP/s.txt" && fail "a whole backtrace said to be cut"
expect_eq "TracerPid after stacks of deep" "$(proc_tracer "$TPID")" 0
expect_eq "deep: unwind_end" "$(json_eval "$TEST_TMP/deep.json" 'd["threads"][0].get("unwind_end")')" depth
# A whole backtrace has no unwind_end and no guessed frame.
expect_eq "dynamic build: no unwind_end, nothing guessed" \
	"$(q '[(t.get("unwind_end"), [f for f in t["frames"] if "guessed" in f]) for t in d["threads"]]')" \
	"[[null, []], [null, []], [null, []]]"

# The same program linked statically has no .eh_frame_hdr: its .eh_frame
# is read all the same, and every backtrace is whole and exact, from pause
# or sleep down to _start or clone3.
start_target symbols-static
sa=$(ready_value tid_a) sb=$(ready_value tid_b)
"$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/static.json" || fail "stacks of a static binary exited $?"
sq() { json_eval "$TEST_TMP/static.json" "$1"; }
expect_eq "static: threads" "$(sq 'len(d["threads"])')" 3
expect_eq "static: every backtrace is whole, nothing guessed" \
	"$(sq '[(t.get("unwind_end"), [f for f in t["frames"] if "guessed" in f]) for t in d["threads"]]')" \
	"[[null, []], [null, []], [null, []]]"
expect_eq "static: the main thread" \
	"$(sq "[f['symbol'] for t in d['threads'] if t['tid'] == $TPID for f in t['frames']]")" \
	'["pause", "main", "__libc_start_call_main", "__libc_start_main_impl", "_start"]'
expect_eq "static: thread_a" \
	"$(sq "[f['symbol'] for t in d['threads'] if t['tid'] == $sa for f in t['frames']]")" \
	'["pause", "thread_a", "start_thread", "clone3"]'
expect_eq "static: thread_b" \
	"$(sq "[f['symbol'] for t in d['threads'] if t['tid'] == $sb for f in t['frames']]")" \
	'["clock_nanosleep", "nanosleep", "sleep", "thread_b", "start_thread", "clone3"]'
"$VMATLAS" stacks "$TPID" > "$TEST_TMP/static.txt" || fail "stacks (text) of a static binary exited $?"
grep -q 'unwinding stops' "$TEST_TMP/static.txt" && fail "a whole static backtrace said to be cut"
"$VMATLAS" snapshot --stacks --format=json -o "$TEST_TMP/static-snap.json" "$TPID" || fail "snapshot --stacks of a static binary exited $?"
"$VMATLAS" view --format=json "$TEST_TMP/static-snap.json" > "$TEST_TMP/static-back.json" || fail "view of it exited $?"
threads_of() { json_eval "$1" '[(t["tid"], t.get("unwind_end"), [(f["symbol"], f.get("guessed", False), f.get("source")) for f in t["frames"]]) for t in d["processes"][0]["threads"]]'; }
expect_eq "static: frames, unwind_end, guessed and source read back" "$(threads_of "$TEST_TMP/static-back.json")" "$(threads_of "$TEST_TMP/static-snap.json")"
threads_are "$TPID" SR
# Statically linked, 1000 calls deep, and deep_recurse built without
# unwind information: pause's CFI gives the first deep_recurse, the frame
# pointers beneath it give deep_recurse 254 more times, each marked
# guessed, to the depth limit.
start_target deep-static
threads_are "$TPID" S # in pause: the ready file is written just before
"$VMATLAS" stacks --format=json "$TPID" > "$TEST_TMP/deep-static.json" || fail "stacks of deep-static exited $?"
expect_eq "deep-static: frames, end" \
	"$(json_eval "$TEST_TMP/deep-static.json" '[len(d["threads"][0]["frames"]), d["threads"][0].get("unwind_end")]')" '[256, "depth"]'
expect_eq "deep-static: pause and deep_recurse exact, then deep_recurse guessed" \
	"$(json_eval "$TEST_TMP/deep-static.json" '[(f["symbol"], f.get("guessed", False)) for f in d["threads"][0]["frames"]][:3] + [sorted(set((f["symbol"], f.get("guessed")) for f in d["threads"][0]["frames"][2:]))]')" \
	'[["pause", false], ["deep_recurse", false], ["deep_recurse", true], [["deep_recurse", true]]]'
"$VMATLAS" stacks "$TPID" > "$TEST_TMP/deep-static.txt" || fail "stacks (text) of deep-static exited $?"
expect_eq "deep-static: [guessed] in the text" "$(grep -c ' (.*deep-static) \[guessed\]$' "$TEST_TMP/deep-static.txt")" 254
expect_eq "deep-static: the text explains [guessed]" "$(tail -n 1 "$TEST_TMP/deep-static.txt")" \
	"  ([guessed]: found by frame pointers below a frame without unwind information)"
TPID=$sym_pid

# snapshot --stacks: the same threads in the snapshot; thread stacks marked.
"$VMATLAS" snapshot --stacks --format=json "$TPID" > "$TEST_TMP/snap.json" || fail "snapshot --stacks failed"
expect_eq "snapshot threads" "$(json_eval "$TEST_TMP/snap.json" 'len(d["processes"][0]["threads"])')" 3
"$VMATLAS" snapshot --stacks "$TPID" > "$TEST_TMP/snap.txt" || fail "snapshot --stacks (text) failed"
grep -q "thread stack of thread $ta" "$TEST_TMP/snap.txt" || fail "thread $ta's stack not marked"
grep -q "main stack of thread $TPID" "$TEST_TMP/snap.txt" || fail "the main stack not marked"
expect_eq "TracerPid after snapshot --stacks" "$(proc_tracer "$TPID")" 0
# With --freeze the threads are copied while the process is frozen and
# unwound once it runs again: the same backtraces.
"$VMATLAS" snapshot --freeze --stacks --format=json "$TPID" > "$TEST_TMP/frozen.json" || fail "snapshot --freeze --stacks failed"
fsyms() { json_eval "$1" "[[f['symbol'] for f in t['frames']] for t in d['processes'][0]['threads']]"; }
expect_eq "snapshot --freeze --stacks: the same backtraces" "$(fsyms "$TEST_TMP/frozen.json")" "$(fsyms "$TEST_TMP/snap.json")"
expect_eq "TracerPid after snapshot --freeze --stacks" "$(proc_tracer "$TPID")" 0
threads_are "$TPID" S
exit 0
