#!/bin/sh
# A snapshot with a million page runs is written compactly (a byte a run),
# reads back exactly (view gives back the same bytes, diff --pages sees no
# change), and writing and reading it take memory in proportion to the
# runs, not to the file's JSON tree.
. "$TESTLIB"

[ -x /usr/bin/time ] || skip "/usr/bin/time (GNU time) is not installed"
start_target manyruns
region=$(ready_value region)
big=$TEST_TMP/big.json
# PEAK CMD...: run CMD under GNU time; its peak RSS in KiB in $PEAK.
peak() {
	/usr/bin/time -f "%M" -o "$TEST_TMP/time" "$@" || fail "$* exited $?"
	PEAK=$(tail -n 1 "$TEST_TMP/time")
}
peak "$VMATLAS" snapshot --pages --format=json -o "$big" "$TPID"
write_peak=$PEAK
expect_eq "runs of the region" \
	"$(json_eval "$big" "mapping(d['processes'][0],'$region')['runs'] == 'zn' * 524288")" true
expect_eq "pages of the region" \
	"$(json_eval "$big" "[mapping(d['processes'][0],'$region')['pages'][k] for k in ('total', 'resident', 'not_present')]")" \
	"[1048576, 524288, 524288]"
size=$(stat -c %s "$big")
[ "$size" -lt $((4 << 20)) ] || fail "the file takes $size bytes for a million runs"
ok "a million runs in $size bytes"

peak "$VMATLAS" view "$big" --format=json -o "$TEST_TMP/back.json"
read_peak=$PEAK
cmp "$big" "$TEST_TMP/back.json" || fail "view gives back other bytes"
ok "view --format=json gives back the same bytes"
"$VMATLAS" diff --pages --format=json "$big" "$TEST_TMP/back.json" > "$TEST_TMP/diff.json" || fail "diff exited $?"
expect_eq "diff --pages of the file with itself" \
	"$(json_eval "$TEST_TMP/diff.json" "[len(d['added']), len(d['removed']), len(d['changed'])]")" "[0, 0, 0]"
# The model holds 8 bytes a run (8 MiB here, 16 while its array grows);
# the JSON of a run is a byte.
# A sanitizer build (ASAN_OPTIONS set by .ci/run) adds its shadow memory.
limit=$((48 * 1024))
[ -n "${ASAN_OPTIONS:-}" ] && limit=$((96 * 1024))
for w in write:$write_peak read:$read_peak; do
	[ "${w#*:}" -lt "$limit" ] || fail "${w%%:*} took ${w#*:} KiB at its peak"
	ok "${w%%:*}: peak RSS ${w#*:} KiB for a million runs"
done

# A file of schema version 1 ([[STATE, COUNT], ...]) still reads, to the
# same model: view writes it back in version 2.
python3 - "$big" "$TEST_TMP/v1.json" <<'PY' || hard_error "cannot write the version 1 file"
import json, re, sys
d = json.load(open(sys.argv[1]))
names = dict(n="not_present", r="resident", f="file", z="zero", h="thp", s="swapped")
d["version"] = 1
for p in d["processes"]:
    for m in p["mappings"]:
        if "runs" in m:
            m["runs"] = [[names[l], int(c or 1)] for c, l in re.findall(r"([0-9]*)([a-z])", m["runs"])]
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
"$VMATLAS" view "$TEST_TMP/v1.json" --format=json -o "$TEST_TMP/v1back.json" || fail "view of the version 1 file exited $?"
expect_eq "version 1 read back as version 2" \
	"$(json_eval "$TEST_TMP/v1back.json" "[d['version'], mapping(d['processes'][0],'$region')['runs'] == 'zn' * 524288]")" "[2, true]"
