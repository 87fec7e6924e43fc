"""Warm-up and read-ahead (issue 4): sizes are exact before anyone reads,
within the warm-up's pace; a reader going through the sheets in order finds
the next ones fetched; the kernel is told when a size it showed changes, so
stat and fstat never show a stale size; one fetch per sheet however many
ask; rsync makes an exact copy and re-sends only what changed."""
import os
import re
import subprocess
import threading
import time

import pytest

from conftest import (Mount, readable_ids, refused_read_line,
                      requests_since)

SHEET_GET = r"^/2.0/sheets/(\d+)$"


@pytest.fixture
def mk(gfake, mounter):
    """A mount of the generated account; its warm-up may reach the sheet
    the account refuses (403), which is logged."""
    refused = refused_read_line(gfake)

    def make(opts, **kw):
        m = mounter(gfake, opts=opts, **kw)
        m.allow(refused)
        return m

    return make


def sheet_gets(fake, n0):
    return [int(re.search(SHEET_GET, e["path"]).group(1))
            for e in requests_since(fake, n0, SHEET_GET)]


def byid(m, i, ext):
    return m.path("by-id", "%d.%s" % (i, ext))


def sizes(m, ids):
    return {(i, ext): os.stat(byid(m, i, ext)).st_size
            for i in ids for ext in ("csv", "json")}


def wait_all_nonzero(m, ids, limit_s):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        s = sizes(m, ids)
        if all(s.values()):
            return s
        time.sleep(0.2)
    return sizes(m, ids)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_warmup_makes_every_size_exact_before_any_read(mk, gfake):
    ids = readable_ids(gfake)
    assert len(ids) >= 30
    n0 = len(gfake.log())
    t0 = time.monotonic()
    m = mk("cache_ttl=60,prefetch=290")
    before = wait_all_nonzero(m, ids, 60)
    took = time.monotonic() - t0
    assert all(before.values()), [k for k, v in before.items() if not v]
    # Each sheet was fetched once, for both of its files.
    gets = sheet_gets(gfake, n0)
    for i in ids:
        assert gets.count(i) == 1, (i, gets.count(i))
    # At 290 a minute: one every ~207 ms, not a burst.
    assert took >= 0.2 * (len(ids) - 1) * 0.9, took
    # The sizes shown before any read are those of the bytes read.
    n1 = len(gfake.log())
    for (i, ext), size in before.items():
        assert len(read(byid(m, i, ext))) == size, (i, ext)
    assert sheet_gets(gfake, n1) == []
    # The pass ends once the files not shown above (reports, the sheet
    # refused) are done too.
    done = r"warm-up: all \d+ sheets and \d+ reports done"
    for _ in range(100):
        status = read(m.path(".auth", "status")).decode()
        if re.search(done, status):
            break
        time.sleep(0.1)
    assert re.search(done, status), status


def test_warmup_keeps_its_pace(mk, gfake):
    n0 = len(gfake.log())
    mk("cache_ttl=60,prefetch=60")   # one sheet a second
    time.sleep(4.5)
    gets = requests_since(gfake, n0, SHEET_GET)
    assert 3 <= len(gets) <= 6, len(gets)
    t = [e["t"] for e in gets]
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert min(gaps) >= 0.9, gaps


def test_prefetch_0_and_readahead_0_fetch_nothing(mk, gfake):
    ids = readable_ids(gfake)
    n0 = len(gfake.log())
    m = mk("cache_ttl=60,prefetch=0,readahead=0")
    for i in ids[:3]:
        read(byid(m, i, "csv"))
    time.sleep(1.5)
    assert sorted(sheet_gets(gfake, n0)) == sorted(ids[:3])
    assert "warm-up: off" in read(m.path(".auth", "status")).decode()


def test_bad_prefetch_values_are_refused(tmpdir_mod, gfake):
    for opts in ("prefetch=-1", "prefetch=abc", "prefetch=291",
                 "readahead=65"):
        m = Mount(tmpdir_mod, gfake, opts=opts, expect_fail=True)
        m.expect_exit(2)
        assert m.proc.wait(30) == 2, opts
        name = opts.split("=")[0]
        assert "smartsheetfs: %s: expected a whole number" % name in \
            m.output(), m.output()
        m.err.close()


def ids_in_order(m):
    """The sheets in readdir order (the order grep -r walks; by-id/ lists
    them in the order of sheets/)."""
    out = []
    for n in os.listdir(m.path("by-id")):
        i = int(n.rsplit(".", 1)[0])
        if i not in out:
            out.append(i)
    return out


def test_readahead_follows_a_reader_in_order(mk, gfake):
    m = mk("cache_ttl=60,prefetch=0,readahead=4")
    order = ids_in_order(m)
    readable = set(readable_ids(gfake))
    # Start at two readable sheets in a row.
    k = next(k for k in range(len(order) - 7)
             if order[k] in readable and order[k + 1] in readable)
    n0 = len(gfake.log())
    read(byid(m, order[k], "csv"))
    read(byid(m, order[k + 1], "csv"))
    want = set(order[k:k + 6])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if set(sheet_gets(gfake, n0)) >= want:
            break
        time.sleep(0.1)
    got = sheet_gets(gfake, n0)
    # The two read, and the four after them: nothing more, nothing twice.
    assert sorted(got) == sorted(want), (got, want)
    # Reading them on costs nothing (restricted sheets are refused again).
    n1 = len(gfake.log())
    for i in order[k + 2:k + 6]:
        try:
            read(byid(m, i, "json"))
        except PermissionError:
            pass
    time.sleep(0.5)
    # (Reading on moves the read-ahead on: sheets past k + 5 are fetched.)
    assert [i for i in sheet_gets(gfake, n1)
            if i in readable and i in want] == []
    assert set(sheet_gets(gfake, n1)) <= set(order[k + 6:k + 10])
    # A read far from the last one is not a sequence: nothing ahead.
    far = next(i for i in reversed(order) if i in readable)
    n2 = len(gfake.log())
    read(byid(m, far, "csv"))
    time.sleep(1.0)
    assert sheet_gets(gfake, n2) == [far]


def test_one_fetch_however_many_ask(mk, gfake):
    ids = readable_ids(gfake)
    target = ids[len(ids) // 2]
    gfake.fault(path="^/2.0/sheets/%d$" % target, kind="delay",
                delay_ms=800, times=-1)
    m = mk("cache_ttl=60,prefetch=290,readahead=8")
    n0 = len(gfake.log())
    results = []

    def reader(ext):
        results.append(read(byid(m, target, ext)))

    threads = [threading.Thread(target=reader, args=(ext,))
               for ext in ("csv", "json") * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 8
    # Eight readers and the warm-up: one request for the sheet.
    time.sleep(1.0)
    assert sheet_gets(gfake, n0).count(target) == 1


def test_a_size_that_changes_reaches_stat_without_a_read(mk, gfake):
    ids = readable_ids(gfake)
    target = ids[0]
    # The kernel may keep attributes for cache_ttl (30 s): only an
    # invalidation can make stat show the new size sooner.
    m = mk("cache_ttl=30,prefetch=290")
    wait_all_nonzero(m, ids, 60)
    p = byid(m, target, "csv")
    old = os.stat(p).st_size
    assert old
    gfake.update(target, add_rows=25)
    m.sighup()                      # read the list again now
    os.listdir(m.path("sheets"))
    deadline = time.monotonic() + 15
    new = old
    while time.monotonic() < deadline and new == old:
        time.sleep(0.2)
        new = os.stat(p).st_size
    assert new > old
    data = read(p)
    assert len(data) == new
    assert b"New row" in data


def test_fstat_of_an_open_file_gives_the_size_it_reads(mk, gfake):
    ids = readable_ids(gfake)
    m = mk("cache_ttl=30,prefetch=0,readahead=0")
    p = byid(m, ids[0], "json")
    assert os.stat(p).st_size == 0      # nothing held, nothing fetched
    with open(p, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        data = f.read()
    assert size == len(data) > 0
    # The kernel was told: stat agrees now, well within cache_ttl.
    assert os.stat(p).st_size == len(data)


def rsync(src, dest, files_from):
    r = subprocess.run(["rsync", "-a", "-i", "--files-from=" + files_from,
                        src + "/", dest + "/"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return sorted(ln[12:] for ln in r.stdout.splitlines()
                  if ln.startswith(">f"))


def test_rsync_copies_exactly_then_only_what_changed(mk, gfake, tmp_path):
    ids = readable_ids(gfake)
    ttl = 2
    m = mk("cache_ttl=%d,prefetch=290" % ttl)
    wait_all_nonzero(m, ids, 60)
    files = ["%d.%s" % (i, ext) for i in ids for ext in ("csv", "json")]
    lst = tmp_path / "files"
    lst.write_text("\n".join(files) + "\n")
    dest = tmp_path / "backup"
    dest.mkdir()
    src = m.path("by-id")

    sent = rsync(src, str(dest), str(lst))
    assert sent == sorted(files)
    for f in files:
        assert (dest / f).read_bytes() == read(os.path.join(src, f)), f

    time.sleep(ttl + 0.5)
    assert rsync(src, str(dest), str(lst)) == []

    target = ids[3]
    gfake.update(target, cells=[{"row": 0, "column": 1,
                                 "value": "changed for rsync"}],
                 add_rows=3)
    time.sleep(ttl + 0.5)
    sent = rsync(src, str(dest), str(lst))
    assert sent == ["%d.csv" % target, "%d.json" % target]
    for f in files:
        assert (dest / f).read_bytes() == read(os.path.join(src, f)), f
    assert b"changed for rsync" in (dest / ("%d.csv" % target)).read_bytes()


def test_warmup_pauses_when_the_disk_cache_is_nearly_full(mk, gfake,
                                                          tmp_path):
    ids = readable_ids(gfake)
    n0 = len(gfake.log())
    m = mk("cache_ttl=60,prefetch=290,cache_max=24K,cache_dir=%s" %
           (tmp_path / "dc"))
    deadline = time.monotonic() + 30
    status = ""
    while time.monotonic() < deadline:
        status = read(m.path(".auth", "status")).decode()
        if "warm-up: paused" in status:
            break
        time.sleep(0.2)
    assert "nearly full" in status, status
    time.sleep(1.0)
    # It stopped well short of the account, and stays stopped.
    n = len(sheet_gets(gfake, n0))
    assert 0 < n < len(ids) // 2, n
    time.sleep(1.5)
    assert len(sheet_gets(gfake, n0)) == n
    # Readers are not affected.
    assert read(byid(m, ids[-1], "csv"))
    m.allow(r"warm-up paused")


def test_defaults_warm_up_with_a_disk_cache_and_not_without(tmpdir_mod,
                                                          gfake):
    refused = refused_read_line(gfake)
    for opts, warm in (("cache_ttl=60", True),
                       ("cache_ttl=60,nodiskcache", False)):
        n0 = len(gfake.log())
        m = Mount(tmpdir_mod, gfake, opts=opts, daemon_defaults=True)
        m.allow(refused)
        try:
            time.sleep(2.0)
            status = read(m.path(".auth", "status")).decode()
            gets = sheet_gets(gfake, n0)
            if warm:
                # 150 a minute: one every 0.4 s.
                assert 2 <= len(gets) <= 7, gets
                assert "warm-up:" in status and "(150/min)" in status
            else:
                assert gets == []
                assert "warm-up: off" in status, status
        finally:
            assert m.umount() == 0
            m.check_output()


def test_unmount_does_not_wait_for_the_warmup(tmpdir_mod, gfake):
    """A warm-up request stuck on a slow server is cancelled at unmount,
    also before the first byte arrives (Timeout here is 5 s; the answer
    would take 20)."""
    gfake.fault(path=r"^/2.0/sheets/\d+$", kind="delay", delay_ms=20000,
                times=-1)
    m = Mount(tmpdir_mod, gfake, opts="cache_ttl=60,prefetch=290,readahead=8")
    # The fake logs a request when it answers (20 s from now): give the
    # warm-up time to send its first ones, well within Timeout.
    time.sleep(2.0)
    t0 = time.monotonic()
    assert m.umount() == 0
    took = time.monotonic() - t0
    m.check_output()
    assert took < 3.0, took


def test_a_reader_never_waits_on_the_warmup_pace(mk, gfake):
    # One warm-up fetch every 30 s; the first one meets a transient
    # error and is retried while the sheet is busy. A reader of that
    # sheet waits for the retry (a few ms of backoff), not for the pace.
    gfake.fault(path=SHEET_GET, kind="status", status=500, errorCode=4004,
                times=1)
    n0 = len(gfake.log())
    m = mk("cache_ttl=60,prefetch=2")
    m.allow(r"retrying GET \S+/sheets/\d+\?level=2&include=objectValue in "
            r"\d+ ms \(attempt 2\): 500 errorCode 4004 refId \w+$")
    # (The first warm-up fetch goes at once: the sheet list before it is
    # not paced.)
    deadline = time.monotonic() + 45
    hit = []
    while time.monotonic() < deadline and not hit:
        hit = [e for e in requests_since(gfake, n0, SHEET_GET)
               if e["fault"] == "status"]
        time.sleep(0.02)
    assert hit
    sid = int(re.search(SHEET_GET, hit[0]["path"]).group(1))
    t0 = time.monotonic()
    assert read(byid(m, sid, "csv"))
    assert time.monotonic() - t0 < 5
