"""The on-disk cache (SPEC §6): a remount knows exact sizes at once and
serves unchanged sheets after a version check only; changed sheets are
fetched; damaged files are refetched; an unreachable API serves what the
disk holds; the folder is private; the cap is kept."""
import errno
import os
import stat

import pytest

from conftest import readable_ids, requests_since


def cache_files(d):
    out = []
    for root, _, files in os.walk(d):
        out += [os.path.join(root, f) for f in files]
    return out


def read_all(m, ids):
    got = {}
    for i in ids:
        for ext in ("csv", "json"):
            with open(m.path("by-id", "%d.%s" % (i, ext)), "rb") as f:
                got[(i, ext)] = f.read()
    return got


def sheet_gets(fake, n0):
    return [x for x in requests_since(fake, n0, r"^/2.0/sheets/\d+$")]


def test_remount_knows_sizes_and_refetches_nothing(mount_factory,
                                                   fresh_fake, tmp_path):
    d = str(tmp_path / "dc")
    ids = readable_ids(fresh_fake)
    m = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    first = read_all(m, ids)
    m.umount()
    # The folder is private.
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    files = cache_files(d)
    assert files
    for f in files:
        assert stat.S_IMODE(os.stat(f).st_mode) & 0o077 == 0, f

    n0 = len(fresh_fake.log())
    m2 = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    # Exact sizes before anything is read.
    for (i, ext), data in first.items():
        st = os.stat(m2.path("by-id", "%d.%s" % (i, ext)))
        assert st.st_size == len(data), (i, ext)
    assert not sheet_gets(fresh_fake, n0)
    second = read_all(m2, ids)
    assert second == first
    # Only version checks: zero sheet fetches.
    assert not sheet_gets(fresh_fake, n0)
    assert requests_since(fresh_fake, n0, r"/version$")


def test_a_changed_sheet_is_fetched_after_remount(mount_factory, fresh_fake,
                                                 tmp_path):
    d = str(tmp_path / "dc")
    sid = readable_ids(fresh_fake)[0]
    m = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    old = open(m.path("by-id", "%d.csv" % sid), "rb").read()
    m.umount()
    fresh_fake.update(sid, cells=[{"row": 0, "column": 0,
                                   "value": "changed while unmounted"}])
    n0 = len(fresh_fake.log())
    m2 = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    # The list says it changed: its old size is not shown.
    assert os.stat(m2.path("by-id", "%d.csv" % sid)).st_size == 0
    new = open(m2.path("by-id", "%d.csv" % sid), "rb").read()
    assert new != old and b"changed while unmounted" in new
    assert len(sheet_gets(fresh_fake, n0)) == 1


def test_damaged_files_are_refetched(mount_factory, fresh_fake, tmp_path):
    d = str(tmp_path / "dc")
    ids = readable_ids(fresh_fake)
    m = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    first = read_all(m, ids)
    m.umount()
    for i, f in enumerate(sorted(cache_files(d))):
        data = open(f, "rb").read()
        if i % 3 == 0:
            data = data[:len(data) // 2]          # truncated
        elif i % 3 == 1:
            data = data[:-1] + bytes([data[-1] ^ 1])  # one byte flipped
        else:
            data = b"garbage\n" + data            # bad header
        open(f, "wb").write(data)
    m2 = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    m2.allow(r"warning: disk cache: [\w.-]+ is damaged, removing it$")
    assert read_all(m2, ids) == first


def test_offline_mount_serves_the_disk(mount_factory, fresh_fake, tmp_path):
    d = str(tmp_path / "dc")
    ids = readable_ids(fresh_fake)
    m = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    first = read_all(m, ids)
    m.umount()
    # Every request now fails at the connection level.
    fresh_fake.fault(path=".*", times=-1, kind="reset")
    m2 = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    reset = r"Recv failure: Connection reset by peer"
    m2.allow_unreachable(reset)
    # Then every list and version check fails the same way; the disk
    # serves.
    m2.allow(r"error: GET /sheets(/\d+/version)?: no answer: %s$" % reset)
    m2.allow(r"warning: sheet list: using (the list from before|the one on "
             r"disk) \(Input/output error\)$")
    m2.allow(r"warning: sheet \d+: serving the copy on disk "
             r"\(Input/output error\)$")
    assert "offline" in open(m2.path(".auth", "status")).read()
    assert read_all(m2, ids) == first
    names = os.listdir(m2.path("sheets"))
    assert len(names) >= 2 * len(ids)
    fresh_fake.clear_faults()


REPORTS = {1400000000000001: "Budget Rollup", 1400000000000002: "Status"}


def report_paths(m, rid, ext):
    p = [m.path("reports", "%s.%s" % (REPORTS[rid], ext)),
         m.path("by-id", "%d.%s" % (rid, ext))]
    if rid == 1400000000000002:
        p.append(m.path("workspaces", "Finance",
                        "Status (1400000000000002).%s" % ext))
    return p


def test_an_offline_remount_serves_reports_from_the_disk(mount_factory,
                                                        fresh_fake,
                                                        tmp_path):
    # SPEC §7: the disk cache covers reports as it covers sheets. A report
    # has no version; it is kept under a name of its own (a sheet's entry
    # of the same id could not be taken for it) and an offline mount
    # serves it (it did not: nothing of a report reached the disk).
    d = str(tmp_path / "dc")
    m = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    first = {}
    for rid in REPORTS:
        for ext in ("csv", "json"):
            for p in report_paths(m, rid, ext):
                with open(p, "rb") as f:
                    data = f.read()
                assert first.setdefault((rid, ext), data) == data, p
            assert first[(rid, ext)]
    sh_ws = os.listdir(m.path("workspaces", "Finance"))
    assert "Status (1400000000000002).csv" in sh_ws
    m.umount()
    names = [os.path.basename(f) for f in cache_files(d)]
    for rid in REPORTS:
        assert [n for n in names if n.startswith("%d." % rid) and
                "json" in n], names
    fresh_fake.fault(path=".*", times=-1, kind="reset")
    m2 = mount_factory("cache_ttl=0,cache_dir=%s" % d)
    reset = r"Recv failure: Connection reset by peer"
    m2.allow_unreachable(reset)
    m2.allow(r"error: GET /(reports|workspaces|workspaces/\d+/children)"
             r"(\?\S*)?: no answer: %s$" % reset)
    m2.allow(r"warning: (sheet|report|workspace) list: using (the list "
             r"from before|the one on disk) \(Input/output error\)$")
    m2.allow(r"warning: workspace: using (the list from before|the one on "
             r"disk) \(Input/output error\)$")
    m2.allow(r"warning: report \d+: serving the copy on disk "
             r"\(Input/output error\)$")
    assert "offline" in open(m2.path(".auth", "status")).read()
    for (rid, ext), data in first.items():
        for p in report_paths(m2, rid, ext):
            assert os.stat(p).st_size == len(data), p
            with open(p, "rb") as f:
                assert f.read() == data, p
    fresh_fake.clear_faults()


def test_nodiskcache_keeps_nothing(mount_factory, fresh_fake, tmp_path):
    d = str(tmp_path / "dc-off")
    ids = readable_ids(fresh_fake)
    m = mount_factory("cache_ttl=0,nodiskcache,cache_dir=%s" % d)
    read_all(m, ids)
    assert not os.path.exists(d) or not cache_files(d)


def test_the_cap_is_kept(mount_factory, fresh_fake, tmp_path):
    d = str(tmp_path / "dc-small")
    ids = readable_ids(fresh_fake)
    m = mount_factory("cache_ttl=0,cache_dir=%s,cache_max=8K" % d)
    first = read_all(m, ids)
    total = sum(os.path.getsize(f) for f in cache_files(d))
    assert total <= 8 * 1024, total
    assert sum(len(v) for v in first.values()) > 8 * 1024
    # Reads still return everything.
    assert read_all(m, ids) == first


def test_bad_cache_options(mount_factory, fresh_fake, tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    for opts, msg in (("cache_max=lots", "cache_max"),
                      ("cache_dir=%s" % afile, "cache_dir")):
        m = mount_factory(opts, expect_fail=True)
        m.expect_exit(2)
        assert m.proc.wait(30) == 2, opts
        assert msg in m.output()


def test_full_or_read_only_cache_folder_only_costs_the_cache(
        mount_factory, fresh_fake, tmp_path):
    """A disk cache that cannot be written (full, read-only) never fails a
    read: the daemon says so in its log and serves from memory."""
    import subprocess
    ids = readable_ids(fresh_fake)
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700",
                       "tmpfs", str(small)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        d = str(small / "dc")
        m = mount_factory("cache_ttl=0,cache_dir=%s" % d)
        m.allow(r"warning: disk cache: cannot keep (sheet \d+|"
                r"a folder's listing): No space left on device$")
        fd = os.open(str(small / "filler"), os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
        first = read_all(m, ids)  # every read works on a full disk
        assert all(first.values())
        m.umount()
        os.unlink(str(small / "filler"))
        assert subprocess.run(["mount", "-o", "remount,ro", str(small)]
                              ).returncode == 0
        m2 = mount_factory("cache_ttl=0,cache_dir=%s" % d)
        m2.allow(r"warning: disk cache: cannot keep (sheet \d+|"
                 r"a folder's listing): Read-only file system$")
        assert read_all(m2, ids) == first  # and on a read-only one
    finally:
        subprocess.run(["umount", "-l", str(small)])
