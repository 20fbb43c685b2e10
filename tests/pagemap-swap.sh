#!/bin/sh
# Swapped pages are counted exactly by both pagemap backends (root: needs a
# private swap file): test_pagemap --swap has tests/targets/pages page out
# 256 pages and checks swapped == 256 with scan and with pread.
. "$TESTLIB"

with_swap 256M
bin=$TARGETS/../unit/test_pagemap
[ -x "$bin" ] || hard_error "no $bin"
"$bin" --swap "$TARGETS/pages" || fail "test_pagemap --swap exited $?"
ok "swapped pages with both backends"
