#!/bin/sh
# Malformed ELF objects mapped by a target (truncated, garbage section
# headers, zero sh_entsize, names past the string table, a file truncated
# after it was mapped): no symbols from them, no crash, exit 0.
. "$TESTLIB"

D=$TEST_TMP/elf
mkdir -p "$D"
python3 - "$TARGETS/symbols" "$D" <<'PY'
import random, struct, sys
src, d = sys.argv[1], sys.argv[2]
img = bytearray(open(src, "rb").read())
def put(name, b): open(d + "/" + name, "wb").write(b)
shoff, = struct.unpack_from("<Q", img, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", img, 0x3a)
put("truncated", img[:len(img) // 3])
g = bytearray(img); rnd = random.Random(7)
for i in range(shoff, min(len(g), shoff + shnum * shentsize)):
    g[i] = rnd.randrange(256)
put("garbage-shdrs", g)
h = bytearray(img); struct.pack_into("<H", h, 0x3c, 0xffff); struct.pack_into("<Q", h, 0x28, len(h) - 64)
put("bad-shnum", h)
z = bytearray(img)
for i in range(shnum):
    o = shoff + i * shentsize
    typ, = struct.unpack_from("<I", z, o + 4)
    if typ in (2, 11):   # SYMTAB, DYNSYM: entsize 0, link to the table itself
        struct.pack_into("<Q", z, o + 56, 0)
        struct.pack_into("<I", z, o + 40, i)
    if typ == 3:         # STRTAB: one byte long, names point past it
        struct.pack_into("<Q", z, o + 32, 1)
put("bad-symtabs", z)
n = bytearray(img)
for i in range(shnum):
    o = shoff + i * shentsize
    if struct.unpack_from("<I", n, o + 4)[0] == 7:  # NOTE: sizes past its end
        off, = struct.unpack_from("<Q", n, o + 24)
        struct.pack_into("<II", n, off, 0x7fffffff, 0x7fffffff)
put("bad-notes", n)
put("later-truncated", img)
PY
set -- truncated garbage-shdrs bad-shnum bad-symtabs bad-notes later-truncated
start_target mapfiles $(for f in "$@"; do echo "$D/$f"; done)
# Truncate a mapped file under the target (its pages beyond the end are
# gone; a reader that mmaps the file would get SIGBUS).
truncate -s 100 "$D/later-truncated"
maps=$(sed -n 's/^map=//p' "$READY")
i=0
for m in $maps; do
	i=$((i + 1))
	name=$(echo "$@" | cut -d' ' -f$i)
	"$VMATLAS" addr --format=json "$TPID" "0x$m" > "$TEST_TMP/a.json" 2> "$TEST_TMP/err" ||
		fail "addr in $name: exit $? ($(cat "$TEST_TMP/err"))"
	expect_eq "no symbol in $name" "$(json_eval "$TEST_TMP/a.json" 'd["symbol"]')" null
done
"$VMATLAS" snapshot --format=json "$TPID" > "$TEST_TMP/s.json" || fail "snapshot failed"
"$VMATLAS" stacks "$TPID" > /dev/null || fail "stacks failed"
expect_eq "TracerPid" "$(proc_tracer "$TPID")" 0
exit 0
