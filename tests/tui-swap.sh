#!/bin/sh
# The live screen on swapped-out pages (root: needs a private swap file):
# the header's swap size, the Maps row's SWAP column, the Pages view's exact
# counts, one swapped cell per swapped page, and the swap slot of the page
# under the cursor as pagemap gives it.
. "$TESTLIB"
. "$srcdir/tests/tui-lib.sh"

with_swap 256M
start_target layout pageout
A32=$(nox "$(ready_value anon32)")
tui_start 120 40 "$VMATLAS" -d 0.2 "$TPID"

wait_for "^PID $TPID layout running +virt .* swap 1\.0M +every 0\.2s"
keys 2
wait_for "^ +$A32 +[0-9a-f]+ rw-p anon +32M +[0-9.]+M +1\.0M \[anon\]$"
ok "header and Maps row: 1.0M swapped"

keys a "0x$A32" Enter 3
wait_for "^8192 pages: 744 resident, 256 swapped, 7192 not present"
# 8192 pages at 3 pages a cell: the whole grid (2731 cells) fits, and no
# cell holds two written pages (every 8th page was written).
wait_for "^one cell = 3 pages \(12K\)"
# The grid's rows (LC_ALL=C: ASCII cells, "s" some pages swapped, "+" some
# resident).
grid() { screen | sed -n 's/^ \{1,\}[0-9a-f]\{1,\} \([^ ]*\)$/\1/p'; }
expect_eq "grid cells" "$(grid | tr -d '\n' | wc -c)" 2731
expect_eq "swapped cells" "$(grid | tr -cd s | wc -c)" 256
expect_eq "resident cells" "$(grid | tr -cd + | wc -c)" 744

slot=$(python3 -c 'import struct,sys
a=int(sys.argv[2],16)
with open("/proc/%s/pagemap"%sys.argv[1],"rb") as f:
    f.seek(a//4096*8); e=struct.unpack("<Q",f.read(8))[0]
assert e>>62&1, "not swapped"
print("%d:%#x" % (e&31, e>>5&((1<<50)-1)))' "$TPID" "0x$A32") || fail "page 0 of anon32 is not swapped"
wait_for "^pages 0x$A32-0x[0-9a-f]+ \(#0\+3\): 2 not present 1 swapped  swap $slot$"
ok "the cursor's page: swap slot $slot"

keys q
expect_eq "exit status after q" "$(tui_exit_status)" 0
threads_are "$TPID" "SR"
