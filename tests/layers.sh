#!/bin/sh
# The source tree's layers (HACKING.md): a file includes headers only of its
# own room and of the rooms below it, and no two object files call each
# other round in a circle. Checked on the #include lines of every file under
# src/ and include/, and on the symbols of the built objects (nm).
. "$TESTLIB"

command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
command -v nm >/dev/null 2>&1 || skip "nm (binutils) is not installed"

python3 - "$srcdir" "$(pwd)" <<'EOF' || fail "the layer rules are broken (see above)"
import collections, glob, os, re, subprocess, sys

src, build = sys.argv[1], sys.argv[2]
# Rooms, bottom to top; rooms of one level are peers: neither includes the other.
level = {"util": 0, "demo": 0, "model": 1, "collect": 2, "files": 3, "render": 3,
         "tui": 4, "cli": 5}
# The room of every public header in include/vmatlas/.
header_room = {
    "util.h": "util",
    "model.h": "model", "diff.h": "model",
    "procfs.h": "collect", "pagemap.h": "collect", "elfinfo.h": "collect",
    "classify.h": "collect", "symbols.h": "collect", "stacks.h": "collect", "dwinfo.h": "collect",
    "snapshot.h": "collect", "tracer.h": "collect", "cow.h": "collect", "family.h": "collect",
    "piderr.h": "collect", "faults.h": "collect", "shmswap.h": "collect",
    "json.h": "files", "snapread.h": "files", "outfile.h": "files",
    "gzio.h": "files", "jsonlines.h": "files",
    "render.h": "render",
    "tui.h": "tui",
}
bad = []

def allowed(frm, to):
    return frm == to or level[to] < level[frm]

def room_of_include(path, name):
    """The room of the header NAME included by PATH, or None after an error."""
    if name == "config.h":
        return "config"
    m = re.fullmatch(r"vmatlas/([A-Za-z0-9_]+\.h)", name)
    if m:
        r = header_room.get(m.group(1))
        if r is None:
            bad.append("%s: include/vmatlas/%s has no room in tests/layers.sh" % (path, m.group(1)))
        return r
    if "/" not in name and os.path.exists(os.path.join(os.path.dirname(path), name)):
        return "local"
    bad.append('%s: #include "%s" is neither a public header nor one beside it' % (path, name))
    return None

def check_file(path, room):
    for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m:
            continue
        to = room_of_include(path, m.group(1))
        if to in (None, "config", "local"):
            continue
        if not allowed(room, to):
            bad.append("%s:%d: the %s room includes %s, of the %s room above or beside it"
                       % (os.path.relpath(path, src), n, room, m.group(1), to))

# Sources only: a build in the source tree leaves its programs in src/.
for f in sorted(glob.glob(os.path.join(src, "src", "*.[ch]"))):
    if os.path.isfile(f):
        bad.append("%s: a file outside the rooms of src/" % os.path.relpath(f, src))
for d in sorted(glob.glob(os.path.join(src, "src", "*", ""))):
    room = os.path.basename(os.path.dirname(d))
    if room.startswith("."):
        continue  # .deps of a build in the source tree
    if room not in level:
        bad.append("src/%s/: not a room (tests/layers.sh lists them)" % room)
        continue
    for f in sorted(glob.glob(d + "*.[ch]")):
        check_file(f, room)
for f in sorted(glob.glob(os.path.join(src, "include", "vmatlas", "*.h"))):
    room = header_room.get(os.path.basename(f))
    if room is None:
        bad.append("include/vmatlas/%s has no room in tests/layers.sh" % os.path.basename(f))
        continue
    check_file(f, room)

# Calls: which object defines each symbol another one uses.
objs = sorted(glob.glob(os.path.join(build, "src", "*", "*.o")))
if not objs:
    bad.append("no object files under %s/src: build first" % build)
defs, uses = {}, collections.defaultdict(set)
for o in objs:
    name = os.path.relpath(o, os.path.join(build, "src"))
    out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "TDBRC":
            defs[p[2]] = name
        elif len(p) == 2 and p[0] == "U":
            uses[name].add(p[1])
edges = collections.defaultdict(set)
for a, syms in uses.items():
    for s in syms:
        b = defs.get(s)
        if b and b != a:
            edges[a].add(b)
            ra, rb = a.split("/")[0], b.split("/")[0]
            if ra in level and rb in level and not allowed(ra, rb):
                bad.append("src/%s calls %s in src/%s, a room above or beside it"
                           % (a[:-2] + ".c", s, b[:-2] + ".c"))

# A circle of calls between object files (Tarjan's strongly connected components).
index, low, stack, on, sccs = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v:
                break
        if len(c) > 1:
            sccs.append(sorted(c))
sys.setrecursionlimit(100000)
for v in list(edges):
    if v not in index:
        visit(v)
for c in sccs:
    bad.append("these objects call each other in a circle: " + " ".join(c))

for b in bad:
    print(b)
print("%d files, %d objects checked: %d problems" % (
    len(glob.glob(os.path.join(src, "src", "*", "*.[ch]"))), len(objs), len(bad)))
sys.exit(1 if bad else 0)
EOF
ok "every include and every call goes down the layers"
