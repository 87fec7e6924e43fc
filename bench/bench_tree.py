#!/usr/bin/python3
"""bench/bench rows 13a-13f and 15a-15b: the account as a tree (issue 13:
workspaces, folders, reports) and sizes=exact (issue 15: tar, ls -l).

    bench/bench_tree.py [--quick] [--runs N] [--timeout SECONDS]

bench/bench imports this module and runs its rows after its own (`make
bench`); run alone, it measures these rows only, with bench/bench's
machinery (its Fake, Mount, run, signals and clean-up) and prints their
table. Each row runs a fake of its own, started with the generator options
of tests/support/fake_smartsheet.py:

- 13a: --generate-tree 20,10,10 (20 workspaces x 10 folders x 10 sheets):
  `find MNT/workspaces -type f` on a fresh mount (real limit, the fake
  enforcing 300/min, a token per run) against a sequential curl loop over
  the very children pages the daemon asked for (read from the request log:
  same paths, same queries, lastKey included), one curl process a page.
- 13b-13d: --big-report 50000 (5 pages of 10,000 rows): cold `cat` of
  reports/Big Report.csv|.json (fresh mount, empty cache folder, reports/
  listed untimed, page cache dropped) against `curl` of the 5 pages in
  sequence (the daemon's URLs); peak RSS growth as bench/bench row 3
  against the 5 pages' JSON size (uncompressed).
- 13e: --big-folder 500: `ls -l` of the folder of 500 sheets on a fresh
  mount (the path above it listed untimed): the children requests (one
  walk: ceil(500 / page) pages) and the time.
- 15a-15b: the typical account of row 7 (150 small + 50 medium sheets):
  `tar -cf` of a fresh `sizes=exact` mount (defaults otherwise; .auth/ left
  out) into a file on tmpfs against tar of the same files copied to tmpfs;
  every member checked against the exact size. (Not `tar -cf /dev/null`:
  GNU tar then reads no file at all.) `ls -l sheets/` on a fresh mount,
  sizes=lazy against sizes=exact.

Medians of the slow-row count (3, 1 with --quick); ratios are medians of
the per-run ratios. It never fails on timing.
"""

import importlib.machinery
import importlib.util
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))

TREE = (20, 10, 10)             # workspaces, folders each, sheets each
REPORT_ROWS = 50000
REPORT_NAME = "Big Report"
WIDE = 500
TYPICAL = (150, 50)             # as bench/bench row 7
FAKE_RATE = 300

ORDER = ["13a", "13b", "13c", "13d", "13e", "15a", "15b"]

WHAT = {
    "13a": "`find MNT/workspaces -type f`, fresh mount, 20 workspaces x 10 "
           "folders x 10 sheets (real limit)",
    "13b": "cold `cat \"reports/Big Report.csv\"`, 50,000 rows (5 pages), "
           "loopback",
    "13c": "cold `cat \"reports/Big Report.json\"`, 50,000 rows (5 pages), "
           "loopback",
    "13d": "daemon peak RSS growth during 13b / 13c",
    "13e": "`ls -l` of a folder of 500 sheets, fresh mount (real limit)",
    "15a": "`tar -cf` of a fresh `sizes=exact` mount, typical account (150 "
           "small + 50 medium sheets; defaults, real limit)",
    "15b": "`ls -l sheets/` on a fresh mount of that account, sizes=lazy "
           "vs sizes=exact (defaults, real limit)",
}


def kind(entry):
    """What a request of the fake's log asked for."""
    p = entry["path"]
    if p == "/2.0/workspaces":
        return "wslist"
    if re.match(r"^/2\.0/(workspaces|folders)/\d+/children$", p):
        return "children"
    if p == "/2.0/reports":
        return "rlist"
    if re.match(r"^/2\.0/reports/\d+$", p):
        return "report"
    if p == "/2.0/sheets":
        return "list"
    if p == "/2.0/users/me":
        return "user"
    if p.endswith("/version"):
        return "version"
    if p.startswith("/2.0/sheets/"):
        return "sheet"
    return "other"


def tally(bm, entries):
    c = {}
    for e in bm.daemon_entries(entries):
        k = kind(e)
        c[k] = c.get(k, 0) + 1
        c["total"] = c.get("total", 0) + 1
        if e.get("status") == 429:
            c["429"] = c.get("429", 0) + 1
    return c


def urls(fake, entries, kinds):
    """The daemon's requests of those kinds, as URLs to replay with curl."""
    out = []
    for e in fake_order(entries):
        if kind(e) in kinds:
            q = urllib.parse.urlencode(e.get("query") or {})
            out.append(fake.base + e["path"] + ("?" + q if q else ""))
    return out


def fake_order(entries):
    return sorted((e for e in entries
                   if e.get("user_agent", "").startswith("smartsheetfs/")),
                  key=lambda e: e["t"])


def new_token(fake, label):
    tok = "bench-%s-token-0123456789" % label
    fake.call("POST", "/_control/tokens", {"add": [tok]})
    return tok


def curl_loop(bm, b, url_list, token, name):
    """Seconds for one curl process per URL, in sequence (bash loop)."""
    path = os.path.join(b.tmp, name + ".urls")
    with open(path, "w") as f:
        f.write("\n".join(url_list) + "\n")
    cmd = ('while IFS= read -r u; do curl -sS --fail --compressed -H '
           '"Authorization: Bearer %s" "$u" -o /dev/null || exit 1; '
           'done < %s' % (token, path))
    dt, rc, _, err = bm.run(cmd, shell=True, timeout=900)
    if rc:
        raise bm.BenchError("curl loop: " + bm.short(err))
    return dt


def other_kinds(c, expected):
    """ (GET /sheets 1, ...): the requests of kinds not expected."""
    names = {"list": "GET /sheets", "rlist": "GET /reports",
             "sheet": "sheet fetches", "version": "version checks",
             "report": "report pages", "other": "other",
             "children": "children pages", "wslist": "GET /workspaces",
             "user": "GET /users/me"}
    xs = ["%s %d" % (names[k], v) for k, v in sorted(c.items())
          if k in names and k not in expected]
    return " (%s)" % ", ".join(xs) if xs else ""


def cell_runs(xs, fmt=str):
    return "" if len(set(xs)) <= 1 else " (runs: %s)" % "/".join(
        fmt(x) for x in xs)


# ---------------------------------------------------------------------------
# 13a: find over the tree
# ---------------------------------------------------------------------------

def row_find(b, bm):
    w, f, s = TREE
    fake = bm.Fake(b, "tree", ["--generate-tree", "%d,%d,%d" % TREE])
    fake.rate(FAKE_RATE)
    # The fake's children pages hold 100 items at most (its default cap):
    # every list here is one page. One workspace list, W workspace
    # children, W*F folder children.
    want = 1 + w + w * f
    files = w * f * s * 2
    ours, base, ratios, reqs, extra, peaks, found, n429, others, at_mount \
        = [], [], [], [], [], [], [], [], [], []
    for i in range(b.n_slow):
        tok = new_token(fake, "find%d" % i)
        mark0 = fake.mark()
        m = bm.Mount(b, fake, "find%d" % i, real_limit=True, token=tok)
        mark = fake.mark()
        dt, rc, out, err = bm.run(["find", m.path("workspaces"), "-type",
                                   "f"], capture=True, timeout=900)
        entries = fake.since(mark)
        at_mount.append(other_kinds(tally(bm, fake.since(mark0)[
            :mark - mark0]), ()))
        m.stop()
        if rc:
            raise bm.BenchError("find: " + bm.short(err))
        c = tally(bm, entries)
        pages = c.get("wslist", 0) + c.get("children", 0)
        ctok = new_token(fake, "findcurl%d" % i)
        tb = curl_loop(bm, b, urls(fake, entries, ("wslist", "children")),
                       ctok, "find%d" % i)
        ours.append(dt)
        base.append(tb)
        ratios.append(dt / tb)
        reqs.append(pages)
        extra.append(c["total"] - pages)
        others.append(other_kinds(c, ("wslist", "children")))
        peaks.append(bm.peak_per_minute(entries))
        n429.append(c.get("429", 0))
        found.append(len(out.splitlines()))
        bm.note("row 13a run %d: find %.3f s (%s, peak %d/60 s, %d files), "
                "curl loop %.3f s" % (i + 1, dt, c, peaks[-1], found[-1], tb))
    fake.stop()
    r = bm.med(ratios)
    b.row("13a", "13a", WHAT["13a"],
          "%s; %d requests: %d workspace list + children pages%s, %d "
          "other%s%s; %d files found%s; peak %d req/60 s, %d answers 429; "
          "the mount before it: %s" % (
              bm.fs(bm.med(ours)), bm.med(reqs) + bm.med(extra),
              bm.med(reqs), cell_runs(reqs), bm.med(extra),
              cell_runs(extra), others[-1], bm.med(found), cell_runs(found),
              max(peaks), sum(n429), at_mount[-1].strip(" ()") or "none"),
          "sequential curl loop over the same %d pages %s" % (
              bm.med(reqs), bm.fs(bm.med(base))),
          bm.frat(r),
          "%d requests (1 workspace list + %d workspace + %d folder "
          "children pages), nothing else; ≤1.5× "
          "curl; ≤300 req/60 s" % (
              want, w, w * f),
          bm.verdict(r is not None and r <= 1.5 and max(reqs) == want and
                     max(extra) == 0 and max(peaks) <= 300 and
                     min(found) == files and sum(n429) == 0))


# ---------------------------------------------------------------------------
# 13b-13d: a 50,000-row report
# ---------------------------------------------------------------------------

def row_report(b, bm):
    fake = bm.Fake(b, "report", ["--big-report", str(REPORT_ROWS)])
    fake.rate(0)
    # The pages as the daemon asks for them (api/api.c read_report); built
    # by the fake in the background: fetch them once (untimed) so every run
    # sees them ready, and learn their JSON size.
    rid = 7810000000000001
    page_urls = ["%s/reports/%d?pageSize=10000&page=%d&level=3&"
                 "include=objectValue" % (fake.api, rid, p)
                 for p in range(1, 6)]
    size = 0
    for k, u in enumerate(page_urls):
        out = os.path.join(b.tmp, "report-page%d.json" % k)
        bm.run(bm.curl_argv(u, out), timeout=600)
        size += os.path.getsize(out)
        os.unlink(out)
    res = {k: [] for k in ("csv", "json", "hcsv", "hjson", "base", "rcsv",
                           "rjson", "rss0", "pages")}
    out_size = {}
    for i in range(b.n_slow):
        row = {}
        for ext in ("csv", "json"):
            m = bm.Mount(b, fake, "report-%s%d" % (ext, i), ttl=3600)
            try:
                os.listdir(m.path("reports"))
                bm.drop_caches()
                bm.reset_hwm(m.pid)
                mark = fake.mark()
                dt, rc, _, err = bm.run(
                    ["cat", m.path("reports", REPORT_NAME + "." + ext)],
                    timeout=600)
                if rc:
                    raise bm.BenchError("cat report: " + bm.short(err))
                hwm = bm.proc_status(m.pid, "VmHWM")
                entries = fake.since(mark)
                out_size[ext] = os.path.getsize(
                    m.path("reports", REPORT_NAME + "." + ext))
            finally:
                m.stop()
            c = tally(bm, entries)
            res["pages"].append(c.get("report", 0))
            if c["total"] != c.get("report", 0):
                b.notes.append("13b/13c: cold cat of the report made other "
                               "requests too: %s" % c)
            row[ext] = dt
            res[ext].append(dt)
            res["h" + ext].append(hwm - m.rss0)
            res["rss0"].append(m.rss0)
            replay = urls(fake, entries, ("report",))
            if replay and [u.split("?")[0] for u in replay] != \
                    [u.split("?")[0] for u in page_urls[:len(replay)]]:
                b.notes.append("13b: the daemon's report URLs differ from "
                               "the baseline's: %s" % replay[:2])
        tb = curl_loop(bm, b, page_urls, bm.CURL_TOKEN, "report%d" % i)
        res["base"].append(tb)
        res["rcsv"].append(row["csv"] / tb)
        res["rjson"].append(row["json"] / tb)
        bm.note("row 13b run %d: csv %.3f s, json %.3f s, curl of the 5 "
                "pages %.3f s, peak growth %s / %s" % (
                    i + 1, row["csv"], row["json"], tb,
                    bm.fmb(res["hcsv"][-1]), bm.fmb(res["hjson"][-1])))
    fake.stop()
    for key, ext in (("13b", "csv"), ("13c", "json")):
        r = bm.med(res["r" + ext])
        b.row(key, key, WHAT[key],
              "%s (%d page requests%s; the file: %s)" % (
                  bm.fs(bm.med(res[ext])), bm.med(res["pages"]),
                  cell_runs(res["pages"]), bm.fmb(out_size.get(ext))),
              "curl of the 5 pages in sequence %s" % bm.fs(
                  bm.med(res["base"])),
              bm.frat(r), "≤2× curl",
              bm.verdict(r is not None and r <= 2))
    gc, gj = bm.med(res["hcsv"]), bm.med(res["hjson"])
    worst = max(gc, gj)
    b.row("13d", "13d", WHAT["13d"],
          "CSV %s, JSON %s (RSS after mount %s)" % (
              bm.fmb(gc), bm.fmb(gj), bm.fmb(bm.med(res["rss0"]))),
          "the 5 pages' JSON %s (uncompressed)" % bm.fmb(size),
          "%s / %s" % (bm.frat(gc / size), bm.frat(gj / size)),
          "≤1× JSON size", bm.verdict(worst <= size))


# ---------------------------------------------------------------------------
# 13e: a folder of 500 sheets
# ---------------------------------------------------------------------------

def row_wide(b, bm):
    fake = bm.Fake(b, "wide", ["--big-folder", str(WIDE)])
    fake.rate(FAKE_RATE)
    ours, base, ratios, pages, extra, nfiles, others, when = \
        [], [], [], [], [], [], [], []
    for i in range(b.n_slow):
        tok = new_token(fake, "wide%d" % i)
        m = bm.Mount(b, fake, "wide%d" % i, real_limit=True, token=tok)
        ws = m.path("workspaces", "Wide Workspace")
        os.listdir(ws)                          # the path above: untimed
        folder = os.path.join(ws, "Wide Folder")
        mark = fake.mark()
        t0 = time.time()
        dt, rc, out, err = bm.run(["ls", "-l", folder], capture=True,
                                  timeout=300)
        entries = fake.since(mark)
        when.append(", ".join("%s +%.3f s" % (kind(e), e["t"] - t0)
                              for e in fake_order(entries)))
        m.stop()
        if rc:
            raise bm.BenchError("ls -l: " + bm.short(err))
        c = tally(bm, entries)
        ctok = new_token(fake, "widecurl%d" % i)
        replay = urls(fake, entries, ("children",))
        tb = curl_loop(bm, b, replay, ctok, "wide%d" % i) if replay \
            else None
        ours.append(dt)
        base.append(tb)
        ratios.append(dt / tb if tb else None)
        pages.append(c.get("children", 0))
        extra.append(c.get("total", 0) - c.get("children", 0))
        others.append(other_kinds(c, ("children",)))
        nfiles.append(sum(1 for ln in out.splitlines()
                          if ln.startswith("-")))
        bm.note("row 13e run %d: ls -l %.3f s (%s, %d files), curl %s" % (
            i + 1, dt, c, nfiles[-1], bm.fs(tb)))
    fake.stop()
    b.notes.append("13e: request arrivals after `ls -l` started (last run): "
                   + when[-1])
    t = bm.med(ours)
    b.row("13e", "13e", WHAT["13e"],
          "%s; %d children pages%s, %d other requests%s%s; %d files" % (
              bm.fs(t), bm.med(pages), cell_runs(pages), bm.med(extra),
              cell_runs(extra), others[-1], bm.med(nfiles)),
          "curl of the same pages in sequence %s" % bm.fs(bm.med(base)),
          bm.frat(bm.med(ratios)),
          "one children walk (%d pages of ≤100), nothing else; ≤0.2 s" %
          -(-WIDE // 100),
          bm.verdict(t is not None and t <= 0.2 and max(extra) == 0 and
                     max(pages) == -(-WIDE // 100) and
                     min(nfiles) == 2 * WIDE))


# ---------------------------------------------------------------------------
# 15a, 15b: sizes=exact
# ---------------------------------------------------------------------------

def reference_copy(b, bm, fake):
    """Every file of a mount (but .auth/) read once: {relpath: size}, and a
    copy of the tree on tmpfs."""
    m = bm.Mount(b, fake, "exact-ref")
    copy = tempfile.mkdtemp(prefix="tree-copy-", dir=b.shm)
    ref = {}
    try:
        for top, dirs, names in os.walk(m.mnt):
            rel = os.path.relpath(top, m.mnt)
            if rel == ".":
                dirs[:] = [d for d in dirs if d != ".auth"]
            os.makedirs(os.path.join(copy, rel), exist_ok=True)
            for n in names:
                if rel == "." and n.startswith("."):
                    continue
                src = os.path.join(top, n)
                dst = os.path.join(copy, rel, n)
                shutil.copyfile(src, dst)
                ref[os.path.normpath(os.path.join(rel, n))] = \
                    os.path.getsize(dst)
    finally:
        m.stop()
    return ref, copy


def tar_sizes(path):
    out = {}
    with tarfile.open(path) as t:
        for mem in t.getmembers():
            if mem.isfile():
                out[os.path.normpath(mem.name)] = mem.size
    return out


def row_tar(b, bm):
    fake = bm.Fake(b, "exact", ["--generate", str(TYPICAL[0]),
                                "--generate-medium", str(TYPICAL[1])])
    fake.rate(0)
    ref, copy = reference_copy(b, bm, fake)
    fake.rate(FAKE_RATE)
    nsheets = TYPICAL[0] + TYPICAL[1]
    ours, base, ratios, short_, missing, fetches, peaks, n429, rcs = \
        [], [], [], [], [], [], [], [], []
    arch = os.path.join(b.shm, "bench.tar")
    for i in range(b.n_slow):
        tok = new_token(fake, "tar%d" % i)
        mark = fake.mark()                  # the mount's requests count too
        m = bm.Mount(b, fake, "tar%d" % i, real_limit=True, token=tok,
                     opts="sizes=exact")
        dt, rc, _, err = bm.run(["tar", "-C", m.mnt, "--exclude=./.auth",
                                 "-cf", arch, "."], capture=True,
                                timeout=900)
        entries = fake.since(mark)
        m.stop()
        got = tar_sizes(arch)
        os.unlink(arch)
        if rc:
            b.notes.append("15a: tar exit %d: %s" % (rc, bm.short(err)))
        rcs.append(rc)
        short_.append(sum(1 for k, v in ref.items()
                          if k in got and got[k] != v))
        missing.append(sum(1 for k in ref if k not in got))
        c = tally(bm, entries)
        fetches.append(c.get("sheet", 0))
        peaks.append(bm.peak_per_minute(entries))
        n429.append(c.get("429", 0))
        tb, rcb, _, errb = bm.run(["tar", "-C", copy, "-cf", arch, "."],
                                  timeout=300)
        os.unlink(arch)
        if rcb:
            raise bm.BenchError("tar of the copy: " + bm.short(errb))
        ours.append(dt)
        base.append(tb)
        ratios.append(dt / tb)
        bm.note("row 15a run %d: tar %.3f s rc %d (%s, %d members wrong, "
                "%d missing), tar of the copy %.3f s" % (
                    i + 1, dt, rc, c, short_[-1], missing[-1], tb))
    pace = 60.0 * nsheets / 150
    b.row("15a", "15a", WHAT["15a"],
          "%s; %d of %d members wrong size, %d missing; %d sheet fetches; "
          "peak %d req/60 s, %d answers 429; tar exit %s" % (
              bm.fs(bm.med(ours)), max(short_), len(ref), max(missing),
              bm.med(fetches), max(peaks), sum(n429),
              "/".join(str(x) for x in sorted(set(rcs)))),
          "tar of the same %d files on tmpfs %s; warm-up pace (150/min) "
          "for %d sheets %s" % (len(ref), bm.fs(bm.med(base)), nsheets,
                                bm.fs(pace)),
          "%s tmpfs; %s the pace" % (bm.frat(bm.med(ratios)),
                                     bm.frat(bm.med(ours) / pace)),
          "every member full; no 429",
          bm.verdict(max(short_) == 0 and max(missing) == 0 and
                     sum(n429) == 0 and max(rcs) == 0))
    row_ls_exact(b, bm, fake, ref)
    fake.stop()
    shutil.rmtree(copy, ignore_errors=True)


def row_ls_exact(b, bm, fake, ref):
    names = [k for k in ref if k.startswith("sheets" + os.sep)]
    res = {"lazy": [], "exact": []}
    right = {"lazy": [], "exact": []}
    reqs = {"lazy": [], "exact": []}
    peaks, n429 = [], []
    for i in range(b.n_slow):
        for mode in ("lazy", "exact"):
            tok = new_token(fake, "ls%s%d" % (mode, i))
            mark = fake.mark()              # the mount's requests count too
            m = bm.Mount(b, fake, "ls-%s%d" % (mode, i), real_limit=True,
                         token=tok, opts="sizes=" + mode)
            dt, rc, _, err = bm.run(["ls", "-l", m.path("sheets")],
                                    timeout=600)
            entries = fake.since(mark)
            ok = sum(1 for k in names
                     if os.lstat(m.path(k)).st_size == ref[k])
            m.stop()
            if rc:
                raise bm.BenchError("ls -l (%s): %s" % (mode, bm.short(err)))
            c = tally(bm, entries)
            res[mode].append(dt)
            right[mode].append(ok)
            reqs[mode].append(c.get("total", 0))
            if mode == "exact":
                peaks.append(bm.peak_per_minute(entries))
                n429.append(c.get("429", 0))
            bm.note("row 15b run %d %s: %.3f s (%s), %d/%d sizes exact" % (
                i + 1, mode, dt, c, ok, len(names)))
    t = bm.med(res["exact"])
    b.row("15b", "15b", WHAT["15b"],
          "exact %s: %d/%d sizes exact, %d requests; peak %d req/60 s, %d "
          "answers 429" % (bm.fs(t), bm.med(right["exact"]), len(names),
                           bm.med(reqs["exact"]), max(peaks), sum(n429)),
          "lazy %s: %d/%d sizes exact, %d requests" % (
              bm.fs(bm.med(res["lazy"])), bm.med(right["lazy"]), len(names),
              bm.med(reqs["lazy"])),
          bm.frat(t / bm.med(res["lazy"])),
          "exact ≤5 s for 200 sheets, every size exact, no 429",
          bm.verdict(t <= 5 and min(right["exact"]) == len(names) and
                     sum(n429) == 0 and max(peaks) <= 300))


def sections(b, bm):
    """Called by bench/bench's Bench.main (after its own rows)."""
    b.section("rows 13a: find over the tree (real rate limit)",
              lambda: row_find(b, bm))
    b.section("rows 13b-13d: a 50,000-row report", lambda: row_report(b, bm))
    b.section("row 13e: a folder of 500 sheets", lambda: row_wide(b, bm))
    b.section("rows 15a, 15b: sizes=exact (real rate limit)",
              lambda: row_tar(b, bm))


# ---------------------------------------------------------------------------
# run alone
# ---------------------------------------------------------------------------

def print_table(b, out):
    i = b.info
    w = out.write
    w("smartsheetfs benchmark (bench/bench_tree.py: rows 13a-15b), %s\n" %
      time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    w("machine: nproc %s, %s, %.1f GiB RAM, Linux %s\n" % (
        i.get("nproc", "?"), i.get("cpu", "?"),
        (i.get("mem") or 0) / 2 ** 30, i.get("kernel", "?")))
    w("load average (1/5/15 min): %s at the start, %s at the end\n" % (
        i.get("load0", "?"), _bm.loadavg()))
    w("binary: %s (%s); %s; Python %s\n" % (
        _bm.BIN, i.get("version", "?"), "; ".join(i.get("tools", [])),
        sys.version.split()[0]))
    w("runs: median of %d; a ratio is the median of the per-run ratios\n\n"
      % b.n_slow)
    w("| # | what | ours | baseline | ratio | target | result |\n")
    w("|---|---|---|---|---|---|---|\n")
    for key in ORDER:
        r = b.rows.get(key)
        if r is not None:
            w("| %s |\n" % " | ".join(str(c).replace("|", "\\|") for c in (
                r.num, r.what, r.ours, r.base, r.ratio, r.target,
                r.result)))
    if b.notes:
        w("\nnotes:\n")
        for n in b.notes:
            w("- %s\n" % n)
    out.flush()


_bm = None


def standalone(argv):
    global _bm
    path = os.path.join(HERE, "bench")
    loader = importlib.machinery.SourceFileLoader("ssfs_bench", path)
    spec = importlib.util.spec_from_loader("ssfs_bench", loader)
    bm = importlib.util.module_from_spec(spec)
    loader.exec_module(bm)
    _bm = bm
    bm.ORDER[:] = ORDER
    bm.WHAT.update(WHAT)
    bm.Bench.main = lambda self: (self.header(), sections(self, bm))
    bm.Bench.print_table = print_table
    return bm.main(argv)


if __name__ == "__main__":
    sys.exit(standalone(sys.argv[1:]))
