"""Compare vmatlas's backtraces with gdb's, frame by frame, in one object.

Usage: stacks-gdb.py PID OBJECT VMATLAS-JSON GDB-OUTPUT

For every thread, each frame gdb shows at a pc inside OBJECT's mappings
must be a frame of vmatlas at the same pc with the same function, and
each of vmatlas's frames in OBJECT down to main (gdb stops there) must be
one of gdb's; where both give a source line, the same file name and line.
gdb's inlined frames share their caller's pc: they make one physical
frame, named by the outermost function (the one whose symbol covers the
pc). Names are compared without parameter lists, clone suffixes
("[clone .constprop.0]") and Go's ABI suffix (".abi0"). Prints one line
per difference and "compared N frames"; exits 1 on a difference.
"""
import json
import os
import re
import sys


def strip_params(name):
    """NAME without a trailing balanced "(...)" and " const"."""
    name = re.sub(r" \[clone [^\]]*\]", "", name).strip()
    if name.endswith(" const"):
        name = name[:-6]
    if name.endswith(")"):
        depth = 0
        for i in range(len(name) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(name[i], 0)
            if depth == 0:
                if i > 0:
                    name = name[:i].rstrip()
                break
    if name.endswith(".abi0"):
        name = name[:-5]
    return name


FRAME = re.compile(r"^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(.*)$")


def gdb_threads(text):
    """{tid: [[pc or None, name, (file, line) or None], ...]}"""
    threads, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^Thread \d+ .*LWP (\d+)", line)
        if m:
            cur = threads.setdefault(int(m.group(1)), [])
            continue
        m = FRAME.match(line)
        if not m or cur is None:
            continue
        rest = m.group(3)
        src = None
        at = re.search(r" at (\S+):(\d+)$", rest)
        if at:
            src = (os.path.basename(at.group(1)), int(at.group(2)))
            rest = rest[: at.start()]
        rest = re.sub(r" from \S+$", "", rest)
        name = strip_params(rest)
        pc = int(m.group(2), 16) if m.group(2) else None
        if pc is not None or m.group(1) == "0" or not cur:
            cur.append([pc, name, src])
        else:
            cur[-1][1] = name  # an inlined frame's caller: the outer name
    return threads


def object_ranges(pid, obj):
    r = []
    for line in open("/proc/%d/maps" % pid):
        f = line.split()
        if len(f) >= 6 and f[5] == obj and "x" in f[1]:
            s, e = (int(x, 16) for x in f[0].split("-"))
            r.append((s, e))
    return r


def main():
    pid, obj = int(sys.argv[1]), os.path.realpath(sys.argv[2])
    ours = json.load(open(sys.argv[3]))["threads"]
    gdb = gdb_threads(open(sys.argv[4]).read())
    ranges = object_ranges(pid, obj)
    inobj = lambda pc: any(s <= pc < e for s, e in ranges)
    bad, compared = [], 0
    if set(gdb) != set(t["tid"] for t in ours):
        bad.append("threads: gdb %s, vmatlas %s" % (sorted(gdb), sorted(t["tid"] for t in ours)))
    for t in ours:
        frames = [(int(f["pc"], 16), strip_params(f.get("symbol") or "??"), f.get("source"))
                  for f in t["frames"]]
        g = gdb.get(t["tid"], [])
        if g and g[0][0] is None and frames:
            g[0][0] = frames[0][0]
        by_pc = {}
        for pc, name, src in frames:
            by_pc.setdefault(pc, (name, src))
        for pc, name, src in g:
            if pc is None or not inobj(pc):
                continue
            compared += 1
            if pc not in by_pc:
                bad.append("thread %d: gdb's frame %#x %s is missing" % (t["tid"], pc, name))
                continue
            mine, msrc = by_pc[pc]
            if mine != name:
                bad.append("thread %d: %#x is %s, gdb says %s" % (t["tid"], pc, mine, name))
            if src and not msrc:
                bad.append("thread %d: %#x has no source line, gdb says %s:%d" % (t["tid"], pc, *src))
            elif src and (os.path.basename(msrc["file"]), msrc["line"]) != src:
                bad.append("thread %d: %#x at %s:%d, gdb says %s:%d"
                           % (t["tid"], pc, msrc["file"], msrc["line"], *src))
        gpcs = set(pc for pc, _, _ in g)
        for pc, name, _ in frames:
            if inobj(pc) and pc not in gpcs:
                bad.append("thread %d: frame %#x %s is not gdb's" % (t["tid"], pc, name))
            if name == "main":
                break
    for b in bad:
        print(b)
    print("compared %d frames" % compared)
    sys.exit(1 if bad else 0)


main()
