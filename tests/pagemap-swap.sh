#!/bin/sh
# Swapped pages, counted by both pagemap backends: with a private swap file
# on, tests/targets/pages pages out 256 pages and test_pagemap --swap checks
# swapped == 256 exactly. The swap file is swapped off and removed on every
# path.
set -u
: "${TARGETS:=tests/targets}"
test_bin=${TEST_PAGEMAP:-$TARGETS/../unit/test_pagemap}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: swapon needs root"
	exit 77
fi
for t in fallocate mkswap swapon swapoff; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP: no $t"
		exit 77
	fi
done
[ -x "$test_bin" ] || { echo "ERROR: no $test_bin"; exit 99; }

dir=$(mktemp -d "${TMPDIR:-/var/tmp}/vmatlas-swap.XXXXXX") || exit 99
swap=$dir/swapfile
on=0
cleanup() {
	[ "$on" = 1 ] && swapoff "$swap"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

if ! fallocate -l 256M "$swap" || ! chmod 600 "$swap" ||
   ! mkswap "$swap" >/dev/null 2>&1; then
	echo "SKIP: cannot make a swap file in $dir"
	exit 77
fi
if ! swapon "$swap" 2>/dev/null; then
	echo "SKIP: swapon refused a swap file in $dir"
	exit 77
fi
on=1

"$test_bin" --swap "$TARGETS/pages"
