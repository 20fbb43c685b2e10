#!/usr/bin/env python3
"""Check vmatlas's layout SVG of one process against its snapshot file and
its text output: svgcheck.py SVG JSON TEXT [MAX_HEIGHT].

Every mapping has its region with its exact title; each row's height is the
log scale of its pages (26 px for a page, 4 more for each doubling); each
row's bar gives the resident and swapped pages of its mappings, in its words
and its widths (150 px for the row); each gap says the size the text output
gives for it; the mm boundaries marked are the text's; the textbook's areas
are named with their growth; each region has its kind's colour; the
picture is at most MAX_HEIGHT pixels high."""
import json
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
ROW_MIN, LOG_STEP, BAR_W = 26, 4, 150
COLOURS = {
    "text": "#f28b82", "rodata": "#e3a1ea", "data": "#f3d35f", "bss": "#f9e7a1",
    "heap": "#8fd694", "stack": "#7fd6de", "anon": "#93b5f2", "file": "#f4f4f4",
    "shm": "#d7a6e0", "vdso": "#a9e4ea", "vvar": "#a9e4ea", "vsyscall": "#a9e4ea",
    "guard": "#c8c8c8", "reserved": "#e4e4e4", "other": "#ffffff",
}


def fmt_kb(kb):
    if kb < 1024:
        return "%dK" % kb
    v, u = float(kb), 0
    while v >= 1024 and u < 5:
        v, u = v / 1024, u + 1
    return ("%.1f%s" if v < 10 else "%.0f%s") % (v, "KMGTPE"[u])


def text_of(e):
    return "".join(e.itertext())


def main():
    svg, doc, text = sys.argv[1:4]
    max_h = int(sys.argv[4]) if len(sys.argv) > 4 else None
    root = ET.parse(svg).getroot()
    assert root.tag == NS + "svg", root.tag
    d = json.load(open(doc))
    p = d["processes"][0]
    maps = p["mappings"]
    ps = d["host"]["page_size"]
    by_range = {"%s-%s" % (m["start"], m["end"]): m for m in maps}

    # Regions: one per mapping, titled with its name and range.
    regions = [g for g in root.iter(NS + "g") if g.get("class") == "region"]
    titles = [g.find(NS + "title").text for g in regions]
    assert len(titles) == len(maps), ("regions", len(titles), len(maps))
    for g, t in zip(regions, titles):
        rng = t.split()[-3]
        m = by_range[rng]
        if m["path"]:
            assert t.startswith(m["path"]), (t, m["path"])
        fill = g.find(NS + "rect").get("fill")
        assert fill == COLOURS[m["kind"]], (rng, m["kind"], fill)

    # Rows: height from the pages, bar from the counts.
    rows = [g for g in root.iter(NS + "g") if g.get("class") == "row"]
    seen = 0
    for row in rows:
        ms = [by_range[g.find(NS + "title").text.split()[-3]]
              for g in row.iter(NS + "g") if g.get("class") == "region"]
        seen += len(ms)
        size = sum(int(m["end"], 16) - int(m["start"], 16) for m in ms)
        pages = size // ps
        want_h = ROW_MIN + LOG_STEP * (pages.bit_length() - 1)
        box = row.find(NS + "rect") if len(ms) > 1 else row.find(NS + "g").find(NS + "rect")
        assert int(box.get("height")) == want_h, (ms[0]["start"], box.get("height"), want_h)
        if len(ms) == 1 and ms[0]["path"]:
            # A long path is cut at its start: the file name stays visible.
            assert ms[0]["path"].rsplit("/", 1)[-1] in text_of(row), ms[0]["path"]
        total = sum(m["pages"]["total"] for m in ms)
        rss = sum(m["pages"]["resident"] - m["pages"].get("zero", 0) for m in ms)
        sw = sum(m["pages"]["swapped"] for m in ms)
        bar = [g for g in row.iter(NS + "g") if g.get("class") == "bar"][0]
        words = text_of(bar.find(NS + "text"))
        assert words == "resident %s  swapped %s" % (fmt_kb(rss * ps // 1024), fmt_kb(sw * ps // 1024)), \
            (ms[0]["start"], words)
        rw = BAR_W * rss // total or (1 if rss else 0)
        sww = BAR_W * sw // total or (1 if sw else 0)
        rw = min(rw, BAR_W - sww)
        widths = {r.get("class"): int(r.get("width")) for r in bar.iter(NS + "rect") if r.get("class")}
        assert widths == {k: v for k, v in (("resident", rw), ("swapped", sww)) if v}, (ms[0]["start"], widths)
    assert seen == len(maps), ("rows hold", seen, "mappings of", len(maps))

    # The text output: its gaps (below the mapping starting at X) and marks.
    gaps_text, marks_text, above = {}, set(), None
    for line in open(text):
        mm = re.match(r"  ([0-9a-f]{16})  \| ", line)
        if mm:
            above = int(mm.group(1), 16)
            for name, val in re.findall(r"(\w+)=([0-9a-f]+)", line.split("<-", 1)[1] if "<-" in line else ""):
                marks_text.add("%s 0x%s" % (name, val))
        elif "-- top of user space --" in line:
            above = int(line.split()[0], 16) + 1
        g = re.match(r"\s+:\s+\(unmapped (\S+?)[:)]", line)
        if g:
            gaps_text[above] = g.group(1)
    gaps = [g for g in root.iter(NS + "g") if g.get("class") == "gap"]
    assert gaps, "no gap drawn"
    for g in gaps:
        lo, hi = (int(x, 16) for x in re.match(r"unmapped (0x[0-9a-f]+)-(0x[0-9a-f]+)",
                                               g.find(NS + "title").text).groups())
        label = re.search(r"unmapped (\S+?)(:|$)", text_of(g.find(NS + "text"))).group(1)
        assert label == fmt_kb((hi - lo) // 1024), (hex(lo), hex(hi), label)
        assert gaps_text.get(hi) == label, ("gap below", hex(hi), label, "text says", gaps_text.get(hi))
    marks = {text_of(g.find(NS + "text")) for g in root.iter(NS + "g") if g.get("class") == "mark"}
    marks.discard("top of user space")
    assert marks == marks_text, ("marks", sorted(marks), "text", sorted(marks_text))

    # The areas, named with how they grow.
    areas = " | ".join(text_of(g) for g in root.iter(NS + "g") if g.get("class") == "area")
    kinds = {m["kind"] for m in maps}
    want = ["kernel space", "mmap area", "text", "reserved", "low memory"]
    if "stack" in kinds:
        want += ["stack", "grows down"]
    if "heap" in kinds:
        want += ["heap", "grows up"]
    for w in want:
        assert w in areas, (w, areas)

    h = int(root.get("height"))
    if max_h:
        assert h <= max_h, ("height", h, "more than", max_h)
    print("svg ok: %d regions in %d rows, %d gaps, %d marks, %d px high" %
          (len(maps), len(rows), len(gaps), len(marks), h))


main()
