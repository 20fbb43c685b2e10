#!/usr/bin/env python3
"""vmatlas benchmark: vmatlas against pmap -XX and smaps_rollup on a target
with N GiB of written anonymous memory and a forked child that rewrote 1/8
of it (bench/bench-target.c). Prints the median wall time of each tool, ns
per page of the target, peak RSS of the tool, the worst stall of the
target's mmap/munmap thread while the tool ran, and the ratios to pmap.

Then the cost of recording page faults: the time a target takes to fault
100k fresh pages alone, while `vmatlas faults` records every fault, and
with --sample N (bench/fault-target.c).

Run by `make bench`; BENCH_ARGS passes options (e.g. --sizes "1 4 16")."""
import argparse, os, platform, resource, shutil, signal, statistics, subprocess, sys, tempfile, time

def start_target(target, tmp, gib, extra):
    ready = os.path.join(tmp, "ready.%s" % gib)
    for f in (ready, ready + ".stall"):
        if os.path.exists(f):
            os.unlink(f)
    p = subprocess.Popen([target, ready, str(gib)] + extra)
    t0 = time.time()
    while not (os.path.exists(ready) and open(ready).read().endswith("ready\n")):
        if p.poll() is not None:
            sys.exit("bench: target exited %d" % p.returncode)
        if time.time() - t0 > 1200:
            sys.exit("bench: target not ready")
        time.sleep(0.2)
    vals = dict(kv.split("=") for kv in open(ready).read().split("\n")[0].split())
    return p, ready, int(vals["parent"]), int(vals["child"]), int(vals["pages"])

def stall(pid, ready, reset):
    """Reset the target's worst stall, or read it (ms)."""
    path = ready + ".stall"
    if reset:
        os.kill(pid, signal.SIGUSR1)
        time.sleep(0.01)
        return None
    if os.path.exists(path):
        os.unlink(path)
    os.kill(pid, signal.SIGUSR2)
    for _ in range(500):
        if os.path.exists(path):
            return int(open(path).read()) / 1e6
        time.sleep(0.01)
    return float("nan")

def run_once(argv, pid, ready):
    stall(pid, ready, True)
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("bench: %s exited %d" % (" ".join(argv), p.returncode))
    return dt, stall(pid, ready, False)

def peak_rss_kib(argv):
    """A child's ru_maxrss counts the memory of the process that forked it
    (Linux carries it over exec): measure through GNU time, whose own
    footprint is small, in a run of its own."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    try:
        return int(p.stderr.strip().split("\n")[-1])
    except ValueError:
        return float("nan")

def measure(name, argv, pid, ready, reps, pages):
    rows = [run_once(argv, pid, ready) for _ in range(reps)]
    t = statistics.median(r[0] for r in rows)
    st = max(r[1] for r in rows)
    rss = peak_rss_kib(argv)
    print("  %-34s %9.1f ms %7.1f ns/page %8.1f MiB %8.2f ms" %
          (name, t * 1e3, t * 1e9 / pages, rss / 1024, st), flush=True)
    return t, rss, st

def header():
    print("  %-34s %12s %15s %12s %11s" % ("tool", "median", "per page", "peak RSS", "worst stall"))

def fault_rounds(pid, ready, n):
    """N rounds of the fault target; the best ns of one round (other load
    on the machine only ever adds time)."""
    times = ready + ".times"
    have = len(open(times).read().split()) if os.path.exists(times) else 0
    for i in range(n):
        os.kill(pid, signal.SIGUSR1)
        for _ in range(3000):
            if os.path.exists(times) and len(open(times).read().split()) > have + i:
                break
            time.sleep(0.01)
    vals = [int(v) for v in open(times).read().split()[have:]]
    return min(vals) if vals else float("nan")

def fault_bench(a, tmp, pages):
    """The target's time to fault PAGES fresh pages, alone and while
    vmatlas faults records it (every fault, then 1 in N)."""
    ready = os.path.join(tmp, "faults.ready")
    p = subprocess.Popen([a.fault_target, ready, str(pages)])
    try:
        t0 = time.time()
        while not (os.path.exists(ready) and open(ready).read().endswith("ready\n")):
            if p.poll() is not None or time.time() - t0 > 60:
                sys.exit("bench: fault target not ready")
            time.sleep(0.05)
        print("\npage faults: the target maps and writes %d fresh pages (first_touch); "
              "best of %d rounds" % (pages, a.reps))
        print("  %-34s %12s %15s %10s %12s" % ("recording", "target time", "per fault",
                                                "slowdown", "lost events"))
        fault_rounds(p.pid, ready, 1)  # warm up
        base = fault_rounds(p.pid, ready, a.reps)
        print("  %-34s %9.1f ms %12.0f ns %10s %12s" % ("none", base / 1e6, base / pages, "1.00", "-"),
              flush=True)
        for label, extra in (("vmatlas faults", []),
                             ("vmatlas faults --sample %d" % a.fault_sample,
                              ["--sample", str(a.fault_sample)])):
            out = os.path.join(tmp, "faults.json")
            vm = subprocess.Popen([a.vmatlas, "faults", "--format=json", "-o", out, "--force"] +
                                  extra + [str(p.pid)], stderr=subprocess.PIPE, text=True)
            line = vm.stderr.readline()
            if "recording" not in line:
                vm.kill()
                vm.wait()
                print("  %-34s %s" % (label, line.strip() or "did not start"))
                continue
            t = fault_rounds(p.pid, ready, a.reps)
            vm.send_signal(signal.SIGINT)
            vm.wait()
            try:
                import json
                lost = json.load(open(out))["lost"]
            except (OSError, ValueError, KeyError):
                lost = "?"
            print("  %-34s %9.1f ms %12.0f ns %10.2f %12s" %
                  (label, t / 1e6, t / pages, t / base, lost), flush=True)
        again = fault_rounds(p.pid, ready, a.reps)
        print("  %-34s %9.1f ms %12.0f ns %10.2f %12s" % ("none (again)", again / 1e6, again / pages,
                                                          again / base, "-"), flush=True)
    finally:
        p.kill()
        p.wait()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmatlas", required=True)
    ap.add_argument("--target", required=True)
    # Both "--sizes 1 8" and "--sizes '1 8'" (make passes BENCH_ARGS as words).
    ap.add_argument("--sizes", nargs="*", default=["1", "4"],
                    help="GiB of written memory, e.g. --sizes 1 4 16 (none: skip)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rss-gib", type=float, default=0,
                    help="also check vmatlas's peak RSS on a dense target this big (16)")
    ap.add_argument("--fault-target", help="bench/fault-target: the cost of vmatlas faults")
    ap.add_argument("--fault-pages", type=int, default=100000)
    ap.add_argument("--fault-sample", type=int, default=100)
    ap.add_argument("--no-faults", dest="faults", action="store_false",
                    help="skip the page fault round")
    ap.add_argument("--no-reserve", dest="reserve", action="store_false",
                    help="skip the 1 TiB reservation round")
    ap.add_argument("--live-gib", type=float, default=0,
                    help="also measure the live screen on a target this big (16)")
    ap.add_argument("--family", default="16 1",
                    help="a family round: WORKERS GIB (a master with GIB written, each worker "
                         "rewriting 1/8 of it); '' skips it")
    a = ap.parse_args()
    u = platform.uname()
    mem = int(open("/proc/meminfo").readline().split()[1]) // (1 << 20)
    print("vmatlas bench: %s %s, %d CPUs, %d GiB RAM, %s, uid %d" %
          (u.system, u.release, os.cpu_count(), mem, u.machine, os.geteuid()))
    with tempfile.TemporaryDirectory(prefix="vmatlas-bench.") as tmp:
        sizes = [g for arg in a.sizes for g in arg.split()]
        for gib in sizes:
            proc, ready, parent, child, pages = start_target(a.target, tmp, gib, [])
            try:
                print("\n%s GiB written (%d pages of 4 KiB), child rewrote 1/8; %d runs each" %
                      (gib, pages, a.reps))
                header()
                time.sleep(1)
                stall(parent, ready, True)
                time.sleep(1)
                print("  %-34s %41s %8.2f ms" % ("(idle: no tool running, 1 s)", "",
                                                   stall(parent, ready, False)))
                snap = measure("vmatlas snapshot --pages (json)",
                               [a.vmatlas, "snapshot", "--pages", "--format=json", str(parent)],
                               parent, ready, a.reps, pages)
                measure("vmatlas snapshot --exclusive",
                        [a.vmatlas, "snapshot", "--exclusive", "--format=json", str(parent)],
                        parent, ready, a.reps, pages)
                cw = measure("vmatlas cow (text)", [a.vmatlas, "cow", str(parent), str(child)],
                             parent, ready, a.reps, pages)
                pm = measure("pmap -XX", ["pmap", "-XX", str(parent)], parent, ready, a.reps, pages)
                measure("cat smaps_rollup", ["cat", "/proc/%d/smaps_rollup" % parent],
                        parent, ready, a.reps, pages)
                print("  ratios: snapshot --pages / pmap -XX = %.3f (target <= 0.25); "
                      "cow / 2 x pmap -XX = %.3f (target <= 0.30)" %
                      (snap[0] / pm[0], cw[0] / (2 * pm[0])))
            finally:
                proc.kill()
                proc.wait()
        if a.family:
            nw, gib = a.family.split()
            proc, ready, parent, child, pages = start_target(a.target, tmp, gib, ["--workers", nw])
            try:
                kids = open("/proc/%d/task/%d/children" % (parent, parent)).read().split()
                members = [str(parent)] + kids
                fpages = pages * len(members)
                print("\nfamily: a master with %s GiB written and %s workers, each rewrote 1/8 "
                      "(%d pages in all); %d runs each" % (gib, nw, fpages, a.reps))
                header()
                fam = measure("vmatlas family (text)", [a.vmatlas, "family", str(parent)],
                              parent, ready, a.reps, fpages)
                measure("vmatlas family --format=prom", [a.vmatlas, "family", "--format=prom",
                        str(parent)], parent, ready, a.reps, fpages)
                if shutil.which("smem"):
                    measure("smem -P (PSS, USS of each)", ["smem", "-P", "bench-target"],
                            parent, ready, a.reps, fpages)
                pm = measure("pmap -XX of every member", ["pmap", "-XX"] + members,
                             parent, ready, a.reps, fpages)
                print("  ratio: vmatlas family / pmap -XX of every member = %.3f (target <= 1)" %
                      (fam[0] / pm[0]))
            finally:
                proc.kill()
                proc.wait()
        if a.reserve:
            proc, ready, parent, child, pages = start_target(a.target, tmp, 0, ["--reserve", "--no-fork"])
            try:
                print("\n1 TiB PROT_NONE reservation, nothing touched (2^28 pages)")
                header()
                measure("vmatlas snapshot --pages (json)",
                        [a.vmatlas, "snapshot", "--pages", "--format=json", str(parent)],
                        parent, ready, a.reps, 1 << 28)
                measure("pmap -XX", ["pmap", "-XX", str(parent)], parent, ready, a.reps, 1 << 28)
            finally:
                proc.kill()
                proc.wait()
        if a.live_gib:
            proc, ready, parent, child, pages = start_target(a.target, tmp, a.live_gib, [])
            try:
                print("\n%g GiB written, child rewrote 1/8: the live screen (vmatlas watch)" % a.live_gib)
                live_screen(a.vmatlas, parent, child, ready, 5)
            finally:
                proc.kill()
                proc.wait()
        if a.faults and a.fault_target:
            fault_bench(a, tmp, a.fault_pages)
        if a.rss_gib:
            proc, ready, parent, child, pages = start_target(a.target, tmp, a.rss_gib, ["--no-fork"])
            try:
                print("\n%g GiB written, no child: vmatlas peak RSS (target < 32 MiB)" % a.rss_gib)
                header()
                measure("vmatlas snapshot (json)",
                        [a.vmatlas, "snapshot", "--format=json", str(parent)],
                        parent, ready, 1, pages)
                measure("vmatlas snapshot --pages (json)",
                        [a.vmatlas, "snapshot", "--pages", "--format=json", str(parent)],
                        parent, ready, 1, pages)
                measure("pmap -XX", ["pmap", "-XX", str(parent)], parent, ready, 1, pages)
            finally:
                proc.kill()
                proc.wait()

def cpu_seconds(pid):
    """utime + stime of PID so far (fs/proc/array.c: fields 14 and 15)."""
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def live_screen(vmatlas, pid, child, ready, seconds):
    """The live screen on PID in a tmux session of its own: for each view,
    vmatlas's CPU share at -d 0.1 (one refresh costs share x 0.1 s while the
    share is below 1: then 10 refreshes a second are possible) and at the
    default 1 s, and the target's worst stall."""
    import shutil
    if not shutil.which("tmux"):
        print("  (tmux not installed: live screen not measured)")
        return
    sock = "vmatlas-bench-%d" % os.getpid()
    tm = ["tmux", "-L", sock, "-f", "/dev/null"]
    print("  %-34s %12s %15s %12s %11s" % ("live screen, view", "CPU at -d 0.1", "one refresh",
                                          "CPU at 1 s", "worst stall"))
    for key, name in (("1", "Layout"), ("3", "Pages"), ("6", "COW")):
        row = []
        for delay in ("0.1", "1"):
            subprocess.run(tm + ["kill-server"], stderr=subprocess.DEVNULL)
            subprocess.run(tm + ["new-session", "-d", "-x", "160", "-y", "50",
                                 "exec %s watch -d %s %d" % (vmatlas, delay, pid)], check=True)
            vm = None
            for _ in range(100):
                out = subprocess.run(["pgrep", "-f", "-n", "%s watch -d %s %d" % (vmatlas, delay, pid)],
                                     capture_output=True, text=True).stdout.split()
                if out:
                    vm = int(out[0])
                    break
                time.sleep(0.1)
            if vm is None:
                sys.exit("bench: the live screen did not start")
            time.sleep(1)
            subprocess.run(tm + ["send-keys", key])
            time.sleep(2)
            stall(pid, ready, True)
            c0, t0 = cpu_seconds(vm), time.time()
            time.sleep(seconds)
            share = (cpu_seconds(vm) - c0) / (time.time() - t0)
            row.append((share, stall(pid, ready, False)))
            subprocess.run(tm + ["send-keys", "q"])
            time.sleep(0.5)
            subprocess.run(tm + ["kill-server"], stderr=subprocess.DEVNULL)
        fast, slow = row
        one = "%9.1f ms" % (fast[0] * 100) if fast[0] < 0.9 else "  > 90 ms"
        print("  %-34s %11.1f%% %15s %11.1f%% %8.2f ms" %
              (name, fast[0] * 100, one, slow[0] * 100, max(fast[1], slow[1])), flush=True)
        print("    targets: 10 refreshes/s possible: %s; under 10%% of a core at 1 s: %s" %
              ("yes" if fast[0] < 0.9 else "NO", "yes" if slow[0] < 0.10 else "NO"))

if __name__ == "__main__":
    main()
