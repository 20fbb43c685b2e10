#!/bin/sh
# The live screen on a target whose names are hostile (escape sequences,
# OSC, BEL, C1, \r, \b, \t, invalid UTF-8, a right-to-left override, a
# newline; an OSC sequence as comm): the header, the Layout and the Maps
# views show every name escaped, and nothing reaches the terminal raw (the
# OSC that would retitle the pane does not, no row is overwritten by \r).
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

start_target hostile names
dir=$TEST_TMP/h

tui_start 220 60 "$VMATLAS" -d 0.3 "$TPID"
# comm is ESC ] 0 ; t BEL 0x9b 0xff; the header gives it 16 columns.
wait_for "^PID $TPID \\\\x1b\]0;t\\\\x07\\\\x9b"
ok "header names the process escaped"

check_names() { # VIEW: every hostile name appears escaped on the screen
	for want in 'esc-\x1b[31mred\x1b[0m' 'osc-\x1b]0;owned\x07' 'bel-\x07\x07' \
		'c1-\x9b2J' 'cr-\rfake' 'bs-\x08\x08\x08xx' 'tab-\tx' \
		'bad-utf8-\xff\xfe\xc0\xaf' 'rlo-\u202efdp.exe'; do
		screen | grep -qF -- "$want" || { screen >&2; fail "$1 view does not show $want"; }
	done
	# The newline: the kernel writes it as \012, the screen escapes the
	# backslash.
	screen | grep -qF -- 'nl-a\\012b' || { screen >&2; fail "$1 view does not show nl-a\\\\012b"; }
	ok "$1 view shows the 10 hostile names escaped"
}
wait_for 'esc-\\x1b\[31mred'
check_names Layout
keys 2
wait_for "^ +START\^? +END +PERM"
check_names Maps

# Nothing was interpreted by the terminal: no title set by the OSC, no
# line that starts with what followed a \r.
title=$(tm display -p -t t '#{pane_title}')
[ "$title" != owned ] && [ "$title" != t ] || fail "a name retitled the terminal: '$title'"
ok "pane title not changed by the OSC in a name ('$title')"
screen | grep -q '^fake' && fail "a carriage return reached the terminal"
ok "no row overwritten by a carriage return"

keys q
expect_eq "exit status" "$(tui_exit_status)" 0
expect_eq "TracerPid after quit" "$(proc_tracer "$TPID")" 0
exit 0
