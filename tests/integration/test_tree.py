"""The whole account (issue 13, SPEC §7): workspaces and folders as
directories, reports as files, one cache for a sheet reached three ways,
the tree read one level at a time and kept for cache_ttl and on disk,
renames, moves and deletions after the TTL, refused reports, extended
attributes. Listings are checked against the fake's own tree with the
oracle's naming (spec_render.entry_names)."""
import csv
import errno
import json
import os
import re
import shlex
import subprocess
import time
import urllib.request

import pytest

import spec_render
from conftest import TOKEN, read_errno, refused_read_line, requests_since, sh

DEPRECATED = re.compile(r"^/2.0/(home|folders/personal|workspaces/\d+/folders"
                        r"|workspaces/\d+$|folders/\d+$|folders/\d+/folders)")


def tree(fake):
    return fake.call("GET", "/_control/tree")


def get_json(fake, path):
    req = urllib.request.Request(fake.base + path,
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def report_body(fake, rid):
    """The whole report, as the daemon assembles it from its pages."""
    body, page = None, 1
    while True:
        b = get_json(fake, "/2.0/reports/%d?pageSize=10000&page=%d&level=3"
                     "&include=objectValue" % (rid, page))
        if body is None:
            body = b
        else:
            body["rows"] += b["rows"]
        if len(body["rows"]) >= b["totalRowCount"] or not b["rows"]:
            return body
        page += 1


def entry_kind(e):
    return {"folder": "folder", "sheet": "sheet",
            "report": "report", "workspace": "workspace"}[e["resourceType"]]


def expected_names(entries, ndjson=False):
    """{name in the folder: entry} with the files' extensions."""
    ents = [{"kind": entry_kind(e), "id": e["id"], "name": e["name"]}
            for e in entries
            if e["resourceType"] in ("folder", "sheet", "report")]
    names = spec_render.entry_names(ents, ndjson=ndjson)
    out = {}
    exts = (".csv", ".json") + ((".ndjson",) if ndjson else ())
    for e in entries:
        if e["resourceType"] not in ("folder", "sheet", "report"):
            continue
        n = names[(entry_kind(e), e["id"])]
        if e["resourceType"] == "folder":
            out[n] = e
        else:
            for x in exts:
                out[n + x] = e
    return out


def walk_and_compare(m, entries, path):
    want = expected_names(entries)
    got = sorted(os.listdir(path))
    assert got == sorted(want), (path, got, sorted(want))
    for name, e in want.items():
        if e["resourceType"] == "folder":
            walk_and_compare(m, e.get("children", []),
                             os.path.join(path, name))
    return len(want)


@pytest.fixture
def tmnt(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=60")
    m.allow(refused_read_line())
    return m


def test_every_folder_lists_exactly_the_fakes_tree(tmnt, fresh_fake):
    t = tree(fresh_fake)
    ws = [{"resourceType": "workspace", "id": w["id"], "name": w["name"]}
          for w in t["workspaces"]]
    names = spec_render.entry_names(
        [{"kind": "workspace", "id": w["id"], "name": w["name"]}
         for w in ws])
    assert sorted(os.listdir(tmnt.path("workspaces"))) == \
        sorted(names.values())
    n = 0
    for w in t["workspaces"]:
        n += walk_and_compare(tmnt, w["children"],
                              tmnt.path("workspaces",
                                        names[("workspace", w["id"])]))
    assert n > 20
    # The naming edge cases of SPEC §3/§7, by name.
    eng = tmnt.path("workspaces", "Engineering／Ops")
    assert os.path.isdir(eng)
    lst = os.listdir(eng)
    assert "Notes.csv (1200000000000002)" in lst      # a folder like a file
    assert "Notes (1300000000000002).csv" in lst
    assert "Budget (1268407719430020).csv" in lst      # two of one name
    assert "Budget (6837504383018884).json" in lst
    assert "Roadmap" in lst and "Roadmap.csv" in lst   # no clash
    assert os.listdir(os.path.join(eng, "Empty")) == []
    deep = os.path.join(eng, "Roadmap", "Level 1", "Level 2", "Level 3",
                        "Level 4", "Level 5")
    assert sorted(os.listdir(deep)) == ["Deep Sheet.csv", "Deep Sheet.json"]
    fin = os.listdir(tmnt.path("workspaces", "Finance"))
    assert "Status (1300000000000003).csv" in fin       # sheet and report
    assert "Status (1400000000000002).csv" in fin


def test_find_reads_one_level_at_a_time(tmnt, fresh_fake):
    # Small and sometimes empty children pages: lastKey must be followed.
    fresh_fake.call("POST", "/_control/settings",
                    {"max_children_page": 2, "children_page_pattern":
                     [2, 0, 1]})
    n0 = len(fresh_fake.log())
    r = sh("find %s" % tmnt.path("workspaces"))
    assert r.returncode == 0, r.stderr
    log = requests_since(fresh_fake, n0)
    assert not [x for x in log if DEPRECATED.search(x["path"])]
    # No content request: names only.
    assert not [x for x in log
                if re.match(r"^/2.0/(sheets|reports)/\d+", x["path"])]
    kids = [x for x in log if x["path"].endswith("/children")]
    folders = set(x["path"] for x in kids)
    t = tree(fresh_fake)

    def count(entries):
        return sum(1 + count(e.get("children", []))
                   for e in entries if e["resourceType"] == "folder")
    nfolders = len(t["workspaces"]) + sum(count(w["children"])
                                          for w in t["workspaces"])
    assert len(folders) == nfolders, (len(folders), nfolders)
    # Every page of every folder, and nothing twice.
    for p in folders:
        keys = [x["query"].get("lastKey") for x in kids if x["path"] == p]
        assert len(keys) == len(set(keys)), (p, keys)
    found = r.stdout.decode().splitlines()
    assert any(l.endswith("Level 5/Deep Sheet.csv") for l in found)
    # A lookup walks only the folders on its path.
    n1 = len(fresh_fake.log())
    sh("touch -c %s" % tmnt.path("workspaces", "Finance", "Reports 2024"))
    assert all(x["path"].startswith("/2.0/sheets") or "children" not in
               x["path"] for x in requests_since(fresh_fake, n1))


def test_one_sheet_three_paths_one_fetch(tmnt, fresh_fake):
    n0 = len(fresh_fake.log())
    paths = [tmnt.path("workspaces", "Engineering／Ops", "Project Plan.csv"),
             tmnt.path("sheets", "Project Plan.csv"),
             tmnt.path("by-id", "4583173393803140.csv")]
    data = [open(p, "rb").read() for p in paths]
    assert data[0] == data[1] == data[2] and data[0]
    gets = requests_since(fresh_fake, n0, r"^/2.0/sheets/4583173393803140$")
    assert len(gets) == 1
    st = [os.stat(p) for p in paths]
    assert len(set(s.st_size for s in st)) == 1
    assert len(set(int(s.st_mtime) for s in st)) == 1


def test_reports_byte_for_byte(tmnt, fresh_fake):
    for rid, name in ((1400000000000001, "Budget Rollup"),):
        body = report_body(fresh_fake, rid)
        csv = open(tmnt.path("reports", name + ".csv"), "rb").read()
        js = open(tmnt.path("reports", name + ".json"), "rb").read()
        assert csv == spec_render.render_report_csv(body)
        assert js == spec_render.render_report_json(body)
        assert open(tmnt.path("by-id", "%d.csv" % rid), "rb").read() == csv
    # In a workspace too, the same file.
    st = open(tmnt.path("workspaces", "Finance", "Reports 2024",
                        "Budget Rollup.csv"), "rb").read()
    assert st == csv


def test_a_report_read_through_one_path_is_whole_through_the_others(
        mount_factory, fresh_fake):
    # The kernel keeps each path's size for cache_ttl. Once a read through
    # by-id/ fetched the report, reports/ and its workspace folder, listed
    # before with size 0, must not read it as empty (they did: only by-id/
    # was told the new size).
    m = mount_factory("cache_ttl=60,prefetch=0,readahead=0")
    m.allow(refused_read_line())
    paths = [m.path("by-id", "1400000000000002.csv"),
             m.path("reports", "Status.csv"),
             m.path("workspaces", "Finance", "Status (1400000000000002).csv")]
    for p in paths:
        assert os.stat(p).st_size == 0          # not held yet: lazy size
    data = [open(p, "rb").read() for p in paths]
    assert data[0] and data[1] == data[0] and data[2] == data[0]
    assert [os.stat(p).st_size for p in paths] == [len(data[0])] * 3


def test_reports_are_read_only_and_refused_ones_leave(tmnt, fresh_fake):
    p = tmnt.path("reports", "Budget Rollup.csv")
    with pytest.raises(OSError) as e:
        open(p, "ab")
    assert e.value.errno == errno.EROFS
    restricted = tmnt.path("reports", "Restricted Report.csv")
    tmnt.allow(r"error: GET /reports/1400000000000003\S*: HTTP 403, "
               r"errorCode 1004, refId \w+: page 1: You are not "
               r"authorized")
    assert read_errno(restricted) == errno.EACCES
    assert "Restricted Report.csv" not in os.listdir(tmnt.path("reports"))
    status = open(tmnt.path(".auth", "status")).read()
    assert re.search(r"refused: \d+ sheets?, 1 report\b", status), status


RESTRICTED = ("Finance", "Reports 2024", "Payroll 2024 (restricted).csv")


@pytest.mark.parametrize("first", ["workspaces", "sheets", "by-id"])
def test_a_refused_sheet_leaves_the_tree_once_read(first, tmnt):
    # sizes=lazy (the default): a sheet the server refuses, once read
    # through any of its paths, is left out of every listing, its folder
    # in workspaces/ too (SPEC §3), so grep -r there finds no unreadable
    # file. Children entries carry no modifiedAt; the refusal must not
    # depend on which path met it (it did: workspaces/ kept it).
    tmnt.allow(refused_read_line())
    path = {"workspaces": tmnt.path("workspaces", *RESTRICTED),
            "sheets": tmnt.path("sheets", RESTRICTED[-1]),
            "by-id": tmnt.path("by-id", "4011111111111111.csv")}[first]
    folder = tmnt.path("workspaces", *RESTRICTED[:-1])
    assert RESTRICTED[-1] in os.listdir(folder)      # not known yet
    assert read_errno(path) == errno.EACCES
    lst = os.listdir(folder)
    assert not [n for n in lst if n.startswith("Payroll")], lst
    assert "Budget Rollup.csv" in lst
    for _ in range(2):
        r = sh("grep -r -l -e Secret -e Item %s" % tmnt.path("workspaces"))
        assert r.returncode in (0, 1), r.stderr
        assert r.stderr == b"", r.stderr
    assert b"Payroll" not in r.stdout
    assert sh("grep -r -q Item %s" % shlex.quote(folder)).returncode \
        in (0, 1)


def test_a_50000_row_report_over_5_pages(mounter, tmp_path):
    from conftest import Fake
    f = Fake(str(tmp_path), ["--big-report", "50000"])
    try:
        m = mounter(f, opts="cache_ttl=60")
        n0 = len(f.log())
        with open(m.path("reports", "Big Report.csv"), newline="") as fh:
            rows = list(csv.reader(fh, strict=True))
        # Cells with line ends inside: records, not lines.
        assert len(rows) == 50001
        assert rows[0][0] == "Sheet Name"
        pages = requests_since(f, n0, r"^/2.0/reports/7810000000000001$")
        assert [p["query"].get("page") for p in pages] == \
            ["1", "2", "3", "4", "5"]
        assert all(p["query"].get("pageSize") == "10000" for p in pages)
        j = open(m.path("by-id", "7810000000000001.json"), "rb").read()
        assert j.count(b"\n") == 50002
    finally:
        f.stop()


def test_renames_moves_and_deletions_after_the_ttl(mount_factory,
                                                     fresh_fake):
    m = mount_factory("cache_ttl=2")
    m.allow(refused_read_line())
    eng = m.path("workspaces", "Engineering／Ops")
    assert "Roadmap" in os.listdir(eng)
    fresh_fake.call("POST", "/_control/folders/1200000000000001",
                    {"name": "Roadmap 2025"})
    fresh_fake.call("POST", "/_control/sheets/4583173393803140/move",
                    {"parent": {"workspace": 1100000000000002}})
    fresh_fake.call("DELETE", "/_control/folders/1200000000000003")
    # Within the TTL: as it was.
    assert "Roadmap" in os.listdir(eng)
    time.sleep(2.2)
    lst = os.listdir(eng)
    assert "Roadmap 2025" in lst and "Roadmap" not in lst
    assert "Project Plan.csv" not in lst
    assert "Empty" not in lst
    assert "Project Plan.csv" in os.listdir(m.path("workspaces", "Finance"))
    assert read_errno(os.path.join(eng, "Empty")) == errno.ENOENT


def test_offline_and_remount_show_the_tree_from_disk(mounter, fresh_fake,
                                                     tmp_path):
    cache = str(tmp_path / "cache")
    m = mounter(fresh_fake, opts="cache_ttl=0,cache_dir=%s" % cache)
    m.allow(refused_read_line())
    before = sh("find %s -name '*.csv' | sort" % m.path("workspaces"))
    assert before.returncode == 0 and before.stdout
    assert m.umount() == 0
    fresh_fake.fault(path="^/2.0/", kind="reset", times=-1)
    m2 = mounter(fresh_fake, opts="cache_ttl=0,cache_dir=%s" % cache)
    m2.allow_unreachable(r"(Connection reset by peer|Recv failure|"
                         r"Empty reply)\S*.*")
    m2.allow(r"using the one on disk|using the list from before|"
             r"no answer")
    after = sh("find %s -name '*.csv' | sort" % m2.path("workspaces"))
    assert after.stdout.replace(m2.mnt.encode(), b"") == \
        before.stdout.replace(m.mnt.encode(), b"")


LISTS = r"^/2.0/(sheets|reports|workspaces)$|/children$"


def test_a_remount_within_the_ttl_shows_the_tree_from_disk(mount_factory,
                                                          fresh_fake,
                                                          tmp_path):
    # Issue 13: each folder's listing is kept on disk, so a remount shows
    # the tree at once: within cache_ttl of when it was read, nothing is
    # asked again (it was: only an offline start read the disk); after
    # it, every folder is read again.
    cache = str(tmp_path / "cache")
    opts = "cache_ttl=6,cache_dir=%s" % cache
    m = mount_factory(opts)
    m.allow(refused_read_line())
    before = sh("ls -R %s" % m.path("workspaces"))
    assert before.returncode == 0 and b"Deep Sheet.csv" in before.stdout
    read = time.monotonic()
    assert m.umount() == 0
    m2 = mount_factory(opts)
    m2.allow(refused_read_line())
    # Well into the TTL, so that one counted from the remount would
    # still run at the check below.
    time.sleep(max(0.0, 2.0 - (time.monotonic() - read)))
    n0 = len(fresh_fake.log())
    after = sh("ls -R %s" % m2.path("workspaces"))
    assert time.monotonic() - read < 5, "too slow to test within the TTL"
    assert after.stdout.replace(m2.mnt.encode(), b"") == \
        before.stdout.replace(m.mnt.encode(), b"")
    assert requests_since(fresh_fake, n0, LISTS) == []
    # At the TTL, counted from the first mount's reads, they are old.
    time.sleep(max(0.0, 6.4 - (time.monotonic() - read)))
    n1 = len(fresh_fake.log())
    again = sh("ls -R %s" % m2.path("workspaces"))
    assert again.stdout == after.stdout
    kids = requests_since(fresh_fake, n1, r"/children$")
    assert len(kids) >= 10, len(kids)


def getfattr(path):
    r = subprocess.run(["getfattr", "-d", "--absolute-names", path],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return dict(re.findall(r'^(user\.smartsheet\.\w+)="(.*)"$', r.stdout,
                           re.M))


def test_extended_attributes(tmnt, fresh_fake):
    plan = tmnt.path("workspaces", "Engineering／Ops", "Project Plan.csv")
    open(plan, "rb").read()
    a = getfattr(plan)
    assert a["user.smartsheet.id"] == "4583173393803140"
    assert a["user.smartsheet.permalink"].startswith("https://")
    assert a["user.smartsheet.access"]
    assert int(a["user.smartsheet.version"]) >= 1
    w = getfattr(tmnt.path("workspaces", "Finance"))
    assert w == {"user.smartsheet.id": "1100000000000002",
                 "user.smartsheet.permalink":
                 "https://app.smartsheet.com/b/home?lx=WsFinance1aB2cD3eF4gH5",
                 "user.smartsheet.access": "EDITOR_SHARE"}
    f = getfattr(tmnt.path("workspaces", "Finance", "Reports 2024"))
    assert f["user.smartsheet.id"] == "9007199254740995"
    rp = getfattr(tmnt.path("reports", "Budget Rollup.csv"))
    assert rp["user.smartsheet.id"] == "1400000000000001"
    assert "user.smartsheet.version" not in rp
    r = subprocess.run(["setfattr", "-n", "user.smartsheet.id", "-v", "1",
                        plan], capture_output=True, text=True)
    assert r.returncode != 0 and "Read-only" in r.stderr
    r = subprocess.run(["getfattr", "-n", "user.other", plan],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "No such attribute" in r.stderr


def test_foreign_xattrs_are_enodata_without_a_request(mount_factory,
                                                    fresh_fake):
    # ls -l asks every file for security.selinux and
    # system.posix_acl_access. Names outside user.smartsheet.* are ENODATA
    # at once: no path walked, so at cache_ttl=0 no request (before, each
    # walked the folders and read the sheet list again).
    m = mount_factory("cache_ttl=0")
    m.allow(refused_read_line())
    plan = m.path("workspaces", "Engineering／Ops", "Roadmap", "Level 1",
                  "Level 2", "Level 3", "Level 4", "Level 5",
                  "Deep Sheet.csv")
    folder = os.path.dirname(plan)
    fds = [os.open(plan, os.O_RDONLY), os.open(folder, os.O_RDONLY)]
    try:
        for fd in fds:
            for name in ("security.selinux", "system.posix_acl_access",
                         "system.posix_acl_default", "user.other",
                         "trusted.x", "user.smartsheet"):
                n0 = len(fresh_fake.log())
                with pytest.raises(OSError) as e:
                    os.getxattr(fd, name)
                assert e.value.errno == errno.ENODATA, name
                # (The kernel checks read permission on user.* names
                # first: a GETATTR, which at cache_ttl=0 does ask.)
                if not name.startswith("user."):
                    assert [x["path"] for x in
                            requests_since(fresh_fake, n0)] == [], name
            n0 = len(fresh_fake.log())
            # Its own names still walk the path and answer.
            assert os.getxattr(fd, "user.smartsheet.id")
            assert requests_since(fresh_fake, n0)
    finally:
        for fd in fds:
            os.close(fd)
    # A path that does not exist: ENOENT, whatever the name (the kernel's
    # lookup answers before any getxattr).
    for name in ("security.selinux", "user.smartsheet.id"):
        with pytest.raises(OSError) as e:
            os.getxattr(os.path.join(folder, "Nope.csv"), name)
        assert e.value.errno == errno.ENOENT, name
        with pytest.raises(OSError) as e:
            os.getxattr(m.path("workspaces", "Nowhere"), name)
        assert e.value.errno == errno.ENOENT, name


def test_the_root_shows_every_folder(tmnt):
    assert sorted(os.listdir(tmnt.mnt)) == \
        [".auth", "by-id", "reports", "sheets", "workspaces"]
