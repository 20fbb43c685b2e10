#!/bin/sh
# The conventions of a Linux tool: a licence stated in LICENSE, the README
# and the man page; vmatlas help COMMAND; bash completion of commands,
# options, their values and PIDs, installed where bash-completion looks.
. "$TESTLIB"

command -v bash >/dev/null || skip "bash is not installed"

# The licence, the same in the three places.
grep -q "either version 2 of the License, or (at your option)" "$srcdir/LICENSE" || fail "LICENSE does not say GPL-2.0-or-later"
grep -q "GNU GENERAL PUBLIC LICENSE" "$srcdir/LICENSE" || fail "LICENSE lacks the GPL's text"
grep -q "GPL-2.0-or-later" "$srcdir/README.md" || fail "the README does not state the licence"
grep -q "GPL-2.0-or-later" "$srcdir/man/vmatlas.1" || fail "the man page does not state the licence"
ok "GPL-2.0-or-later in LICENSE, README.md and vmatlas(1)"

# vmatlas help COMMAND is COMMAND --help.
for c in snapshot view diff cow addr stacks watch demo family faults; do
	"$VMATLAS" help "$c" > "$TEST_TMP/h1" 2>&1 || fail "help $c exited $?"
	"$VMATLAS" "$c" --help > "$TEST_TMP/h2" 2>&1
	cmp -s "$TEST_TMP/h1" "$TEST_TMP/h2" || fail "vmatlas help $c is not vmatlas $c --help"
done
ok "vmatlas help COMMAND prints that command's help"
expect_error "help of an unknown command" 2 "help: unknown command 'nope'" help nope

# Completion, as bash calls it: COMP_WORDS split at '=' as bash does.
start_target layout
comp() {
	bash -c '. "$1"; shift
line=$*; COMP_LINE=$line; COMP_POINT=${#line}
words=$(printf "%s" "$line" | sed "s/=/ = /g")
read -ra COMP_WORDS <<< "$words"
case $line in *" "|*=) COMP_WORDS+=("") ;; esac
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_vmatlas
printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' sh "$srcdir/completion/vmatlas" "$@"
}
expect_eq "commands" "$(comp "$VMATLAS" sn)" "snapshot "
expect_eq "options of a command" "$(comp "$VMATLAS" snapshot --fo)" "--follow-forks --force --format= "
expect_eq "values of --format" "$(comp "$VMATLAS" snapshot --format=)" "json svg text "
expect_eq "values of diff --format" "$(comp "$VMATLAS" diff --format=)" "json text "
expect_eq "values of --backend" "$(comp "$VMATLAS" snapshot --backend=p)" "pread "
expect_eq "an option after the PID" "$(comp "$VMATLAS" snapshot "$TPID" --pa)" "--pages "
expect_eq "the commands help knows" "$(comp "$VMATLAS" help "")" "addr cow demo diff family faults snapshot stacks view watch "
expect_eq "a PID" "$(comp "$VMATLAS" snapshot "" | tr ' ' '\n' | grep -cx "$TPID")" 1
expect_eq "a PID for the screen" "$(comp "$VMATLAS" "" | tr ' ' '\n' | grep -cx "$TPID")" 1
expect_eq "pid:N for diff" "$(comp "$VMATLAS" diff a.json "pid:$TPID" | tr ' ' '\n' | grep -cx "pid:$TPID")" 1
: > "$TEST_TMP/snap-one.json"
expect_eq "files for view" "$(cd "$TEST_TMP" && comp "$VMATLAS" view snap-)" "snap-one.json "
expect_eq "a program after --" "$(comp "$VMATLAS" snapshot --at-exit -o f.jsonl -- trueX | wc -w)" 0
expect_eq "a program after --" "$(comp "$VMATLAS" snapshot --at-exit -o f.jsonl -- tru | tr ' ' '\n' | grep -cx true)" 1
# make install puts it where bash-completion looks under the prefix.
grep -q '^bashcompdir = \$(datadir)/bash-completion/completions$' Makefile ||
	fail "Makefile: bashcompdir is not \$(datadir)/bash-completion/completions"
grep -q '^dist_bashcomp_DATA = completion/vmatlas$' Makefile || fail "Makefile does not install completion/vmatlas"
ok "bash completion of commands, options, values, files and PIDs"
