#!/bin/sh
# vmatlas faults records every thread: two that exist when it starts and
# two started while it records (tests/targets/faultthreads.c), each
# first-touching 1000 pages in thread_touch(): 4000 there, and the
# process's count equals its minflt + majflt delta.
. "$TESTLIB"
. "$srcdir/tests/faults-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || skip "the target's layout assumes 4 KiB pages"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"
require_root "recording needs root"

start_target faultthreads
P=$(ready_value pid)
record f --format=json "$P"
kill -USR1 "$P"
until_done
finish f

J=$TEST_TMP/f.out
expect_eq "first_touch at thread_touch" \
	"$(json_eval "$J" "sum(c['count'] for c in d['by_code'] if (c['symbol'] or '').split('.')[0]=='thread_touch' and c['type']=='first_touch')")" 4000
expect_eq "one process" "$(json_eval "$J" "[p['pid'] for p in d['processes']]")" "[$P]"
expect_eq "faults = kernel delta" "$(json_eval "$J" "d['processes'][0]['faults'] == d['processes'][0]['kernel_delta']")" true
expect_eq "lost" "$(json_eval "$J" "d['lost']")" 0
