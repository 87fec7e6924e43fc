"""The write-back rows of `make bench` (bench/bench runs them last; SPEC
§8, issue 14):

  9a  `cat 10k.csv >> "Generated 0001.csv"` (10,000 rows of 3 fields):
      time beside the same requests (the bodies the daemon sent, from the
      fake's log) sent by `curl` one after the other to a sheet like it
  9b  the requests of 9a (goal <= 25)
  10a save of Big (20,000 x 25) with one changed cell (`cp` of the edited
      CSV over Big.csv): its requests (goal: 1 version check + 1 PUT, then
      the re-read) and the time of the cp
  10b parse + diff of that save (build/bench/edit_bench, the same code on
      a 20,000 x 25 sheet; goal <= 0.3 s)
  10c daemon peak RSS growth during the save (VmHWM reset right before;
      goal <= 2x the CSV), and the most VmRSS grew (sampled every 2 ms)
      before the sheet's re-read reached the fake: the save's own share
  11  save of Big with 1,000 changed rows spread over the sheet: requests
      (goal: 1 version check + 2 PUTs)

Every write row runs on a fresh mount with `-o write` and its own state
folder. Called as run(bench, B) with B the bench module (its Fake, Mount
and helpers).
"""
import os
import re
import subprocess
import tempfile
import threading
import time

GEN1 = 7000000000000001          # "Generated 0001": the append target
BIG = 7900000000000001
APPEND_ROWS = 10000


def writes_of(entries, sid):
    path = "/2.0/sheets/%d/rows" % sid
    return [e for e in entries if e["path"] == path and
            e["method"] in ("POST", "PUT", "DELETE")]


def kinds(entries, sid):
    """'1 version + 1 PUT + 1 sheet' style counts of one sheet's requests."""
    c = {}
    for e in entries:
        if not e["path"].startswith("/2.0/sheets/%d" % sid):
            continue
        if e["path"].endswith("/version"):
            k = "version"
        elif e["path"].endswith("/rows"):
            k = e["method"]
        else:
            k = "sheet"
        c[k] = c.get(k, 0) + 1
    return c


def fkinds(c):
    order = ["version", "PUT", "POST", "DELETE", "sheet"]
    return " + ".join("%d %s" % (c[k], "re-read" if k == "sheet" else k)
                      for k in order if c.get(k))


def wmount(bench, B, name):
    state = tempfile.mkdtemp(prefix="state-", dir=bench.tmp)
    return B.Mount(bench, bench.fake, name, ttl=3600,
                   opts=B.SPECULATION_OFF + ",write,state_dir=" + state)


def curl_post(B, bench, sid, body):
    """One POST of body (a JSON text) with curl; its seconds."""
    path = os.path.join(bench.tmp, "post.json")
    with open(path, "w") as f:
        f.write(body)
    dt, rc, _, err = B.run(
        ["curl", "-sS", "--fail", "-X", "POST", "-H",
         "Authorization: Bearer " + B.CURL_TOKEN, "-H",
         "Content-Type: application/json", "--data-binary", "@" + path,
         "%s/sheets/%d/rows" % (bench.fake.api, sid), "-o", "/dev/null"],
        capture=True, timeout=300)
    if rc:
        raise B.BenchError("curl POST: " + B.short(err))
    return dt


def remap(body, cols_from, cols_to):
    """body (the daemon's POST rows) with the column ids of one generated
    sheet replaced by another's (same kinds, same order)."""
    ids = dict(zip(cols_from, cols_to))
    return [dict(r, cells=[dict(c, columnId=ids[c["columnId"]])
                           for c in r["cells"]]) for r in body]


def columns(bench, sid):
    return [c["id"] for c in
            bench.fake.call("GET", "/_control/sheets/%d" % sid)["columns"]]


def prime(bench, B, sid, cols):
    """The fake makes a generated sheet plain at its first write, slowly:
    do that untimed, so neither side pays it."""
    import json
    curl_post(B, bench, sid, json.dumps([{"toBottom": True, "cells": [
        {"columnId": cols[0], "value": "primer"}]}]))


def append_rows(bench, B):
    import json
    data = os.path.join(bench.shm, "10k.csv")
    with open(data, "w") as f:
        for i in range(APPEND_ROWS):
            f.write("appended %05d,%d,%s\n" % (i, i, "true" if i % 3 else
                                                "false"))
    ours, base, ratios, nreq = [], [], [], []
    for k in range(bench.n_slow):
        # Run k: the daemon appends to "Generated 00(2k+1)", curl sends
        # the same bodies to "Generated 00(2k+2)": both sheets start
        # alike (5 rows, made plain untimed).
        mine, other = GEN1 + 2 * k, GEN1 + 2 * k + 1
        cm, co = columns(bench, mine), columns(bench, other)
        prime(bench, B, mine, cm)
        prime(bench, B, other, co)
        m = wmount(bench, B, "append")
        try:
            target = os.path.join(m.sheets, "Generated %04d.csv" %
                                  (mine - GEN1 + 1))
            B.read_all(target)
            mark = bench.fake.mark()
            dt, rc, _, err = B.run("cat '%s' >> '%s'" % (data, target),
                                   shell=True, capture=True, timeout=600)
            if rc:
                raise B.BenchError("cat >>: " + B.short(err + m.output()))
            w = writes_of(bench.fake.since(mark), mine)
        finally:
            m.stop()
        sent = sum(len(e["body"]) for e in w if isinstance(e.get("body"),
                                                           list))
        if sent != APPEND_ROWS:
            bench.notes.append("9a run %d: %d rows sent, not %d" % (
                k + 1, sent, APPEND_ROWS))
        t = sum(curl_post(B, bench, other,
                          json.dumps(remap(e["body"], cm, co)))
                for e in w)
        ours.append(dt)
        base.append(t)
        ratios.append(dt / t if t else None)
        nreq.append(len(w))
        B.note("9a run %d: cat >> %.2f s, %d POSTs; curl %.2f s" % (
            k + 1, dt, len(w), t))
    r = B.med(ratios)
    bench.row("9a", "9a", B.WHAT["9a"], B.fs(B.med(ours)), B.fs(B.med(base)),
              B.frat(r), "≤ 1.3×", B.verdict(r is not None and r <= 1.3))
    n = max(nreq) if nreq else None
    bench.row("9b", "9b", B.WHAT["9b"], "%s POSTs" % n, "—", "—", "≤ 25",
              B.verdict(n is not None and n <= 25))


def edit_lines(text, rows):
    """Big's CSV with the Name of each row in rows (1-based item numbers)
    changed: "Item N," at a line start becomes "Item N x,"."""
    for n in rows:
        text, k = re.subn(r"(?m)^Item %d," % n, "Item %d x," % n, text,
                          count=1)
        if k != 1:
            raise ValueError("no line for Item %d in Big.csv" % n)
    return text


def save_big(bench, B, rows, key):
    """Save Big with the rows changed: (seconds, counts, RSS growth, CSV
    size) of one run."""
    m = wmount(bench, B, "save")
    try:
        big = os.path.join(m.sheets, "Big.csv")
        with open(big, "rb") as f:
            text = f.read().decode()
        edited = os.path.join(bench.shm, "big-edited.csv")
        with open(edited, "w", newline="") as f:
            f.write(edit_lines(text, rows))
        rss0 = B.proc_status(m.pid, "VmRSS")
        B.reset_hwm(m.pid)
        mark = bench.fake.mark()
        samples, stop = [], threading.Event()
        sampler = threading.Thread(target=sample_rss,
                                   args=(m.pid, samples, stop))
        sampler.start()
        t0 = time.time()
        try:
            dt, rc, _, err = B.run(["cp", edited, big], capture=True,
                                   timeout=600)
        finally:
            t1 = time.time()
            stop.set()
            sampler.join()
        if rc:
            raise B.BenchError("cp: " + B.short(err + m.output()))
        # The re-read may come just after close returns.
        time.sleep(0.5)
        hwm = B.proc_status(m.pid, "VmHWM")
        entries = bench.fake.since(mark)
        c = kinds(entries, BIG)
        growth = hwm - rss0 if hwm and rss0 else None
        log = m.output()
    finally:
        m.stop()
    parts = phases(entries, t0, t1)
    before = rss_before_reread(entries, samples, rss0)
    B.note("%s: cp %.2f s (%s), %s, RSS +%s (+%s before the re-read)" % (
        key, dt, parts, fkinds(c), B.fmb(growth), B.fmb(before)))
    return dt, c, growth, len(text.encode()), log, parts, before


def sample_rss(pid, out, stop):
    """(time, VmRSS bytes) of pid every 2 ms until stop is set."""
    path = "/proc/%d/status" % pid
    while not stop.is_set():
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        out.append((time.time(), int(line.split()[1]) *
                                    1024))
                        break
        except OSError:
            return
        time.sleep(0.002)


def rss_before_reread(entries, samples, rss0):
    """The most RSS grew (sampled) before the sheet's re-read reached the
    fake: the save's own memory (text, parse, diff, requests)."""
    reread = [e["t"] for e in entries
              if e["path"] == "/2.0/sheets/%d" % BIG and e["method"] == "GET"]
    if not reread or not samples or not rss0:
        return None
    xs = [r for t, r in samples if t < reread[0]]
    return max(xs) - rss0 if xs else None


def phases(entries, t0, t1):
    """Where the time of a save (cp from t0 to t1) went, from the arrival
    times of its requests at the fake: to the version check (the text
    written into the mount, journaled), version check -> first write (the
    check's answer, parse and diff), first write -> re-read (the fake
    applying the writes), re-read -> end (the fake building the sheet's
    JSON, the daemon parsing it), as text."""
    t = {}
    for e in entries:
        if not e["path"].startswith("/2.0/sheets/%d" % BIG):
            continue
        k = "v" if e["path"].endswith("/version") else \
            "w" if e["path"].endswith("/rows") else "r"
        t.setdefault(k, e["t"])
    if len(t) < 3:
        return "phases n/a"
    return ("text in + journal %.2f s, check + parse + diff %.2f s, "
            "writes %.2f s, re-read %.2f s" % (
                t["v"] - t0, t["w"] - t["v"], t["r"] - t["w"],
                t1 - t["r"]))


def prime_big(bench, B):
    """Big is generated: the fake turns it into a plain sheet (slowly, in
    Python) at its first write. Do that once, untimed, with curl."""
    import json
    with open(bench.big_json) as f:
        s = json.load(f)
    row = s["rows"][0]
    cell = row["cells"][0]
    body = json.dumps([{"id": row["id"], "cells": [
        {"columnId": cell["columnId"], "value": cell.get("value")}]}])
    path = os.path.join(bench.tmp, "prime.json")
    with open(path, "w") as f:
        f.write(body)
    dt, rc, _, err = B.run(
        ["curl", "-sS", "--fail", "-X", "PUT", "-H",
         "Authorization: Bearer " + B.CURL_TOKEN, "-H",
         "Content-Type: application/json", "--data-binary", "@" + path,
         "%s/sheets/%d/rows" % (bench.fake.api, BIG), "-o", "/dev/null"],
        capture=True, timeout=300)
    if rc:
        raise B.BenchError("curl PUT (prime Big): " + B.short(err))
    B.note("Big made a plain sheet at the fake in %.1f s (untimed)" % dt)


def daemon_parse_diff(log):
    """Seconds of parse + diff from the daemon's log line of the save, when
    it prints one ("parse 12.3 ms", "diff 4.5 ms")."""
    p = re.search(r"parse (\d+(?:\.\d+)?) ms", log)
    d = re.search(r"diff (\d+(?:\.\d+)?) ms", log)
    if p and d:
        return (float(p.group(1)) + float(d.group(1))) / 1000
    return None


def edit_bench(B):
    """parse + diff seconds of build/bench/edit_bench (20000 x 25, CSV)."""
    exe = os.path.join(B.ROOT, "build", "bench", "edit_bench")
    if not os.access(exe, os.X_OK):
        r = subprocess.run(["make", "-s", "-C", B.ROOT, "build/bench/"
                            "edit_bench"], capture_output=True, text=True)
        if r.returncode:
            return None, "make edit_bench failed: " + B.short(r.stderr)
    dt, rc, out, err = B.run([exe, "20000", "25", "3", "csv"], capture=True,
                             timeout=300)
    m = re.search(r"total\s+(\d+(?:\.\d+)?) ms", out)
    if rc or not m:
        return None, "edit_bench: " + B.short(out + err)
    return float(m.group(1)) / 1000, out.strip()


def one_cell(bench, B):
    prime_big(bench, B)
    # Each run changes another row (the row a run changed stays changed).
    runs = [save_big(bench, B, [10000 + k], "10a")
            for k in range(bench.n_slow)]
    t = B.med([r[0] for r in runs])
    cs = [r[1] for r in runs]
    exact = all(c.get("version") == 1 and c.get("PUT") == 1 and
                not c.get("POST") and not c.get("DELETE") for c in cs)
    mid = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    bench.row("10a", "10a", B.WHAT["10a"], "%s; cp %s (%s)" % (
        fkinds(cs[0]), B.fs(t), mid[5]), "—", "—",
        "1 version + 1 PUT (+ re-read)", B.verdict(exact))
    pd = B.med([daemon_parse_diff(r[4]) for r in runs])
    src = "daemon log"
    eb_pd, out = edit_bench(B)
    edit_bench_out = [out or ""]
    if pd is None:
        pd = eb_pd
        src = "edit_bench"
        if pd is None:
            bench.notes.append(out)
    bench.row("10b", "10b", B.WHAT["10b"], "%s (%s)" % (B.fs(pd), src),
              "—", "—", "≤ 0.3 s", B.verdict(pd is not None and pd <= 0.3))
    g = B.med([r[2] for r in runs])
    size = runs[0][3]
    ratio = g / size if g is not None and size else None
    own = B.med([r[6] for r in runs])
    own_ratio = own / size if own is not None and size else None
    eb = re.search(r"peak \+(\d+(?:\.\d+)?) MB \((\d+(?:\.\d+)?)x",
                   edit_bench_out[0])
    # edit_bench's high-water mark may not move (its set-up peaked
    # higher): then it says nothing.
    alone = "; parse + diff alone (edit_bench) +%s MB, %s× the text" % \
        eb.groups() if eb and float(eb.group(1)) > 0 else ""
    bench.row("10c", "10c", B.WHAT["10c"],
              "%s with the re-read of the sheet; %s before the re-read "
              "(sampled VmRSS: text, parse, diff, PUT)%s" % (
                  B.fmb(g), B.fmb(own), alone),
              "CSV %s" % B.fmb(size), "%s; %s before the re-read" % (
                  B.frat(ratio), B.frat(own_ratio)), "≤ 2×",
              "%s (%s before the re-read)" % (
                  B.verdict(ratio is not None and ratio <= 2),
                  B.verdict(own_ratio is not None and own_ratio <= 2)))


def many_rows(bench, B):
    rows = list(range(13, 20001, 20))[:1000]   # none 10a changed
    dt, c, _, _, _, parts, _ = save_big(bench, B, rows, "11")
    ok = c.get("PUT") == 2 and c.get("version") == 1 and \
        not c.get("POST") and not c.get("DELETE")
    bench.row("11", "11", B.WHAT["11"], "%s; cp %s (%s)" % (
        fkinds(c), B.fs(dt), parts),
              "—", "—", "2 PUTs", B.verdict(ok))


def run(bench, B):
    bench.section("row 9: append 10,000 rows", lambda: append_rows(bench, B))
    bench.section("row 10: save Big, one cell", lambda: one_cell(bench, B))
    bench.section("row 11: save Big, 1,000 rows", lambda: many_rows(bench, B))
