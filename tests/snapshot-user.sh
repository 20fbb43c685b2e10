#!/bin/sh
# Without root (PFNs hidden) a snapshot still counts every page exactly,
# says pfn_visible: false, and leaves out what it cannot know (no PFN, no
# physical address, no kpageflags) instead of printing zeros.
. "$TESTLIB"

command -v python3 >/dev/null || skip "python3 is needed to read the JSON"
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv is needed to run as nobody"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	chmod 1777 "$TEST_TMP"
else
	AS_USER=""
fi
# The target runs as the same user, so /proc permits reading it.
START_AS=$AS_USER start_target layout
a32=$(ready_value anon32); z4=$(ready_value zero4)
P='d["processes"][0]'
out=$TEST_TMP/user.json

$AS_USER "$VMATLAS" snapshot --exclusive --format=json "$TPID" > "$out" || fail "snapshot as a user exited $?"
expect_eq "pfn_visible" "$(json_eval "$out" "d['host']['pfn_visible']")" false
expect_eq "anon32 resident" "$(json_eval "$out" "mapping($P,'$a32')['pages']['resident']")" 1000
expect_eq "anon32 not present" "$(json_eval "$out" "mapping($P,'$a32')['pages']['not_present']")" 7192
expect_eq "anon32 exclusive" "$(json_eval "$out" "mapping($P,'$a32')['pages']['exclusive']")" 1000
# The zero page without root: PAGEMAP_SCAN's PAGE_IS_PFNZERO (Linux 6.7+);
# without the scan the count is unknown and left out.
zero=$(json_eval "$out" "mapping($P,'$z4')['pages'].get('zero')")
case $zero in
100) ok "zero4 zero = 100 (PAGEMAP_SCAN)" ;;
null) $AS_USER "$VMATLAS" snapshot --backend=scan "$TPID" > /dev/null 2>&1 &&
	fail "zero4: zero left out though PAGEMAP_SCAN works"
	ok "zero4 zero unknown without PAGEMAP_SCAN: left out" ;;
*) fail "zero4 zero: got '$zero', expected 100" ;;
esac
rss=$(awk '/^Rss:/ {print $2}' "/proc/$TPID/smaps_rollup")
expect_eq "resident_kb = smaps_rollup Rss" "$(json_eval "$out" "$P['totals']['resident_kb']")" "$rss"
$AS_USER "$VMATLAS" snapshot "$TPID" > "$TEST_TMP/user.txt" || fail "text snapshot as a user exited $?"
grep -q 'PFNs hidden (not root)' "$TEST_TMP/user.txt" || fail "the text header does not say PFNs are hidden"
ok "text header says PFNs are hidden"

$AS_USER "$VMATLAS" addr --format=json "$TPID" "$a32" > "$TEST_TMP/addr.json" || fail "addr as a user exited $?"
[ "$(kernel_soft_dirty)" = yes ] && sd='"soft_dirty", ' || sd=
expect_eq "addr page" "$(json_eval "$TEST_TMP/addr.json" "sorted(d['page'])")" \
	"[\"exclusive\", \"file_or_shared\", \"present\", $sd\"swapped\"]"
expect_eq "addr present, exclusive" "$(json_eval "$TEST_TMP/addr.json" "[d['page']['present'], d['page']['exclusive']]")" "[true, true]"
$AS_USER "$VMATLAS" addr "$TPID" "$a32" > "$TEST_TMP/addr.txt" || fail "text addr as a user exited $?"
grep -q 'physical: *hidden (PFNs need CAP_SYS_ADMIN' "$TEST_TMP/addr.txt" || fail "addr text: $(cat "$TEST_TMP/addr.txt")"
ok "addr text says the physical address is hidden"
