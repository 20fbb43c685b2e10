# Shared helpers for the behaviour tests (sourced). Exit codes follow
# automake: 0 pass, 1 fail, 77 skip, 99 hard error.
set -u
: "${VMATLAS:?VMATLAS must name the vmatlas binary}"
: "${TARGETS:?TARGETS must name the directory of target programs}"
export LC_ALL=C

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmatlas-test.XXXXXX") || exit 99
chmod 755 "$TEST_TMP"
TEST_PIDS=""
CLEANUP_HOOKS=""

cleanup() {
	local p h
	for h in $CLEANUP_HOOKS; do "$h" || true; done
	for p in $TEST_PIDS; do kill -KILL "$p" 2>/dev/null; done
	for p in $TEST_PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
hard_error() { echo "ERROR: $*" >&2; exit 99; }
ok() { echo "ok: $*"; }

require_root() { [ "$(id -u)" = 0 ] || skip "${1:-needs root}"; }

# start_target NAME [ARGS...]: run $TARGETS/NAME READYFILE ARGS... in the
# background; wait until it has written READYFILE. Sets TPID and READY.
# START_AS, when set, is a command prefix to run it as (e.g. setpriv ...).
start_target() {
	local name=$1 i
	shift
	READY=$TEST_TMP/$name.ready.$RANDOM
	${START_AS:-} "$TARGETS/$name" "$READY" "$@" &
	TPID=$!
	TEST_PIDS="$TEST_PIDS $TPID"
	for i in $(seq 1 200); do
		[ -s "$READY" ] && grep -q '^ready' "$READY" && return 0
		kill -0 "$TPID" 2>/dev/null || hard_error "target $name exited early"
		sleep 0.05
	done
	hard_error "target $name did not get ready"
}

# start_cow_pair: start tests/targets/cow (a forked pair with a known
# copy-on-write layout); sets P, C (parent, child) and ADDR (the region).
# As root the target drops to nobody before it writes its ready file.
start_cow_pair() {
	chmod 1777 "$TEST_TMP"
	start_target cow
	P=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' "$READY")
	C=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' "$READY")
	ADDR=$(sed -n 's/.*addr=\(0x[0-9a-f]*\).*/\1/p' "$READY")
	[ -n "$P" ] && [ -n "$C" ] && [ -n "$ADDR" ] || hard_error "bad ready file: $(cat "$READY")"
}

# start_prefork: the family of tests/targets/prefork (as root it drops to
# nobody); sets M W1 W2 W3 G (master, workers, grandchild) and ADDR (its
# region), and kills them all at the end. It runs a copy of the program of
# its own: the page cache pages of a binary that another test's family
# maps too would move this family's PSS.
start_prefork() {
	local k
	chmod 1777 "$TEST_TMP"
	cp "$TARGETS/prefork" "$TEST_TMP/prefork" || hard_error "cannot copy the prefork target"
	TARGETS=$TEST_TMP start_target prefork
	for k in master worker1 worker2 worker3 grandchild addr; do
		eval "PF_$k=\$(sed -n 's/.*$k=\([0-9a-fx]*\).*/\1/p' \"\$READY\")"
	done
	M=$PF_master W1=$PF_worker1 W2=$PF_worker2 W3=$PF_worker3 G=$PF_grandchild ADDR=$PF_addr
	[ -n "$M" ] && [ -n "$W1" ] && [ -n "$W2" ] && [ -n "$W3" ] && [ -n "$G" ] && [ -n "$ADDR" ] ||
		hard_error "bad ready file: $(cat "$READY")"
	TEST_PIDS="$TEST_PIDS $W1 $W2 $W3 $G"
}

# ready_value KEY: a value the target wrote as "KEY=VALUE" to its ready file.
ready_value() { sed -n "s/^$1=//p" "$READY" | head -n 1; }

# jq-like queries without jq: json_eval FILE PYTHON-EXPRESSION (d = document;
# runs(m) gives a mapping's runs as [[STATE, COUNT], ...] whichever way the
# document writes them).
json_eval() {
	python3 -c 'import json,sys,re
d=json.load(open(sys.argv[1]))
def mapping(p, addr):
    a=int(addr,16) if isinstance(addr,str) else addr
    for m in p["mappings"]:
        if int(m["start"],16) <= a < int(m["end"],16): return m
    raise SystemExit("no mapping at %#x" % a)
def runs(m):
    r=m["runs"]
    if not isinstance(r,str): return r
    names=dict(n="neither",s="shared",d="diverged",p="parent_only",c="child_only") if "shared" in m else \
        dict(n="not_present",r="resident",f="file",z="zero",h="thp",s="swapped")
    return [[names[l], int(c or 1)] for c, l in re.findall(r"([0-9]*)([a-z])", r)]
r=eval(sys.argv[2])
print(json.dumps(r) if not isinstance(r,str) else r)' "$1" "$2"
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
	ok "$1 = $3"
}

# expect_error WHAT EXIT PATTERN ARGS...: vmatlas ARGS fails with EXIT and one
# stderr line matching PATTERN, and writes nothing to stdout.
expect_error() {
	what=$1 want=$2 pat=$3
	shift 3
	"$VMATLAS" "$@" > "$TEST_TMP/out" 2> "$TEST_TMP/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$what: exit $rc, expected $want ($(cat "$TEST_TMP/err"))"
	[ "$(wc -l < "$TEST_TMP/err")" = 1 ] || fail "$what: stderr is not one line: $(cat "$TEST_TMP/err")"
	grep -q -- "$pat" "$TEST_TMP/err" || fail "$what: '$(cat "$TEST_TMP/err")' does not say '$pat'"
	[ ! -s "$TEST_TMP/out" ] || fail "$what: wrote to stdout"
	ok "$what: $(cat "$TEST_TMP/err")"
}

# proc_tracer PID: TracerPid of PID; proc_state PID: its state letter.
proc_tracer() { sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$1/status"; }
# proc_tracer_pid PID: the process (thread group) of PID's tracer, 0 if none:
# the live screen traces from a thread of its own.
proc_tracer_pid() {
	local tr
	tr=$(proc_tracer "$1")
	[ "${tr:-0}" = 0 ] && { echo 0; return; }
	sed -n 's/^Tgid:[[:space:]]*//p' "/proc/$tr/status"
}
proc_state() { sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status"; }

# strace_attach TID: strace traces TID (one task) from the background; its
# pid in $SPID once TID's TracerPid names it. Skips without strace.
strace_attach() {
	local i
	command -v strace > /dev/null || skip "strace is not installed"
	strace -p "$1" -o /dev/null 2> /dev/null &
	SPID=$!
	TEST_PIDS="$TEST_PIDS $SPID"
	for i in $(seq 1 100); do [ "$(proc_tracer "$1")" = "$SPID" ] && return 0; sleep 0.02; done
	hard_error "strace did not attach to $1"
}

# kernel_soft_dirty: "yes" when the kernel keeps soft-dirty bits
# (CONFIG_MEM_SOFT_DIRTY): a page just written here has pagemap bit 55 set.
kernel_soft_dirty() {
	python3 -c '
import mmap, struct, ctypes
m = mmap.mmap(-1, 4096); m[0] = 1
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
with open("/proc/self/pagemap", "rb") as f:
    f.seek(addr // 4096 * 8); e = struct.unpack("Q", f.read(8))[0]
print("yes" if e >> 55 & 1 else "no")'
}

# with_swap: create and enable a private swap file for this test; it is
# switched off and removed on every exit path. Skips when impossible.
# Swap is system-wide: pages paged out here may land on another test's swap
# file and come back in at its swapoff, so swap tests hold one host-wide lock.
with_swap() {
	require_root "needs root to enable a swap file"
	command -v mkswap >/dev/null && command -v swapon >/dev/null || skip "mkswap/swapon not installed"
	command -v flock >/dev/null || skip "flock not installed"
	exec 9>>/tmp/vmatlas-swap-test.lock || hard_error "cannot open the swap test lock"
	flock -w 240 9 || hard_error "another swap test held the lock for 240 s"
	SWAPFILE=$TEST_TMP/swapfile
	fallocate -l "${1:-256M}" "$SWAPFILE" 2>/dev/null || dd if=/dev/zero of="$SWAPFILE" bs=1M count=256 status=none || skip "cannot create a swap file"
	chmod 600 "$SWAPFILE"
	mkswap "$SWAPFILE" >/dev/null 2>&1 || skip "mkswap failed"
	swapon "$SWAPFILE" 2>/dev/null || skip "swapon failed (container or file system without swap support)"
	CLEANUP_HOOKS="$CLEANUP_HOOKS swap_off"
}
swap_off() { swapoff "$SWAPFILE" 2>/dev/null; rm -f "$SWAPFILE"; }

# threads_are PID STATES: within 2 s, every thread of PID has a state letter
# in STATES (e.g. "SR", "T") and TracerPid 0; fails naming the thread if not.
threads_are() {
	local pid=$1 states=$2 i t st tr bad
	for i in $(seq 1 100); do
		bad=
		for t in /proc/$pid/task/*; do
			# A thread that ended (or exec'd) meanwhile is no thread.
			st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "$t/status" 2>/dev/null)
			tr=$(sed -n 's/^TracerPid:[[:space:]]*//p' "$t/status" 2>/dev/null)
			[ -z "$st" ] && [ ! -e "$t/status" ] && continue
			case "$states" in *"$st"*) ;; *) bad="$t state $st" ;; esac
			[ "$tr" = 0 ] || bad="$t TracerPid $tr"
		done
		[ -z "$bad" ] && return 0
		sleep 0.02
	done
	fail "${THREADS_CONTEXT:-}pid $pid: $bad (expected state in '$states', TracerPid 0)"
}

# make_zombie: a child that exited and is not reaped; sets ZOMBIE.
make_zombie() {
	local zparent
	sh -c 'sleep 0.1 & exec sleep 30' &
	zparent=$!
	TEST_PIDS="$TEST_PIDS $zparent"
	sleep 0.5
	ZOMBIE=$(cat /proc/$zparent/task/$zparent/children 2>/dev/null | tr -d ' ')
	[ -n "$ZOMBIE" ] && [ "$(proc_state "$ZOMBIE")" = Z ] || hard_error "could not make a zombie"
}
