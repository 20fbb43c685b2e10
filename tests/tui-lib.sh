# Helpers for the live-screen tests (sourced after lib.sh): the real binary
# runs in a detached tmux session of its own server; the screen is read with
# capture-pane and polled with a bounded wait, never a fixed sleep.
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"

TUI_SOCK=vmatlas-test-$$
# tmux runs a session's command with $SHELL, or else the user's login shell,
# which for accounts like nobody is nologin: name a real shell.
TUI_SHELL=$(command -v bash || echo /bin/sh)
tm() { SHELL=$TUI_SHELL tmux -L "$TUI_SOCK" -f /dev/null "$@"; }
# tui_stop: end the session (the screen gets SIGHUP) and its server.
tui_stop() {
	local i
	tm kill-server 2>/dev/null || return 0
	for i in $(seq 1 100); do
		tm list-sessions >/dev/null 2>&1 || return 0
		sleep 0.05
	done
}
CLEANUP_HOOKS="$CLEANUP_HOOKS tui_stop"

# tui_start WIDTH HEIGHT COMMAND: run COMMAND (a shell command line) in a new
# session, in $TEST_TMP; when it ends the pane shows "EXIT=<status>".
tui_start() {
	local w=$1 h=$2 i
	shift 2
	# A server whose last session was just killed may still be exiting;
	# a new session then fails once: wait for it and try again.
	for i in $(seq 1 50); do
		tm new-session -d -s t -x "$w" -y "$h" -c "$TEST_TMP" \
			"$*; rc=\$?; echo; echo EXIT=\$rc; sleep 600" 2>/dev/null && return 0
		sleep 0.1
	done
	hard_error "tmux cannot start a session"
}
# The pane's text, wrapped lines joined (a shell's "Killed" message can be
# long enough to wrap what follows it).
screen() { tm capture-pane -p -J -t t | sed 's/ *$//'; }
keys() { tm send-keys -t t "$@"; }

# wait_for ERE [SECONDS]: until the screen shows a line matching ERE.
wait_for() {
	local i n=$(( ${2:-5} * 20 ))
	for i in $(seq 1 "$n"); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	screen >&2
	fail "the screen never showed /$1/"
}
# wait_not ERE [SECONDS]: until no line matches ERE.
wait_not() {
	local i n=$(( ${2:-5} * 20 ))
	for i in $(seq 1 "$n"); do
		screen | grep -Eq -- "$1" || return 0
		sleep 0.05
	done
	screen >&2
	fail "the screen still shows /$1/"
}
# tui_exit_status: wait for the command to end; prints its exit status.
# tui_quit LABEL STATES: q; the screen exits 0 within 3 s (the time in
# $MS) and the target's threads are in STATES (threads_are).
tui_quit() {
	local t0
	t0=$(date +%s%N)
	keys q
	expect_eq "${1}exit status" "$(tui_exit_status)" 0
	MS=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$MS" -lt 3000 ] || fail "${1}quitting took $MS ms"
	THREADS_CONTEXT="${1:-after quit: }" threads_are "$TPID" "$2"
}
tui_exit_status() {
	wait_for '^EXIT=[0-9]+' "${1:-10}"
	screen | sed -n 's/^EXIT=\([0-9]*\).*/\1/p' | tail -n 1
}
# hex address without 0x, as the screen prints it
nox() { printf '%x' "$(( $1 ))"; }
# map_fresh: make tuitarget map its "fresh" region (SIGUSR1); sets FRESH
# to its address as the screen prints it.
map_fresh() {
	local i
	kill -USR1 "$TPID"
	for i in $(seq 1 100); do grep -q '^fresh=' "$READY" && break; sleep 0.05; done
	FRESH=$(nox "$(ready_value fresh)")
}
# quit_leaves_sleeping PID...: q quits with status 0, and each PID is left
# running (every thread sleeping or on a CPU, none stopped) and untraced.
quit_leaves_sleeping() {
	local p
	keys q
	expect_eq "exit status" "$(tui_exit_status)" 0
	for p in "$@"; do
		expect_eq "TracerPid of $p after quit" "$(proc_tracer "$p")" 0
		threads_are "$p" SR
		ok "every thread of $p runs on after quit (S or R), untraced"
	done
}
