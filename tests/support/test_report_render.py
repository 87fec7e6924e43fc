"""The API layer (api/) against the fake, with no FUSE: the workspace tree
and reports as SPEC §7 reads them, and report files rendered from the real
parser against spec_render, byte for byte.

tests/support/api_probe.c is built from the library beside $SSFS_BIN
(build/libsmartsheetfs.a by default; an ASan build's library is linked
with the sanitizers) and calls api_list_workspaces, api_list_children,
api_list_reports and api_get_report over the real http/ and auth/ layers,
then render_sheet. The fake serves children and workspace lists in short
and empty pages (--children-page-pattern) and reports in pages of 3 rows
(--max-report-page), and its request log shows what was asked for.

Run with Debian's pytest:
    SSFS_BIN=$PWD/build/smartsheetfs /usr/bin/python3 -m pytest -q \\
        -p no:cacheprovider tests/support/test_report_render.py
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import spec_render  # noqa: E402
from test_fake_server import TOKEN, Fake  # noqa: E402

BIN = os.environ.get("SSFS_BIN", os.path.join(ROOT, "build", "smartsheetfs"))
PATTERN = [0, 1, 3]          # children and workspace page sizes, cycled
REPORT_PAGE = 3              # rows in a report's page (the fake's cap)
CHILD_TYPES = ("sheet", "report", "folder")
R_ROLLUP = 1400000000000001  # Sheet Name column, two sources
R_STATUS = 1400000000000002  # multi-picklist and multi-contact columns
R_RESTRICTED = 1400000000000003
BUDGET_FY24 = 1268407719430020   # a source of R_ROLLUP
BIG_REPORT = 7810000000000001
BIG_SHEET = 7900000000000001
ENOENT, EACCES = 2, 13
# What SPEC §7 may ask for, and the deprecated forms it must never use.
ALLOWED = re.compile(r"^/2\.0/(workspaces|reports|reports/\d+|"
                     r"(workspaces|folders)/\d+/children)$")
DEPRECATED = re.compile(r"^/2\.0/(home(/folders)?|folders/personal|"
                        r"(workspaces|folders)/[^/]+(/folders)?)$")


# ---------------------------------------------------------------------------
# The probe and the fake
# ---------------------------------------------------------------------------

def build_probe(out_dir):
    lib = os.path.join(os.path.dirname(os.path.abspath(BIN)),
                       "libsmartsheetfs.a")
    assert os.path.exists(lib), "build the library first (make): " + lib
    with open(lib, "rb") as f:
        san = b"__asan_init" in f.read()
    pkgs = subprocess.run(["make", "-s", "-C", ROOT, "print-PKGS"],
                          capture_output=True, text=True,
                          check=True).stdout.split()
    extra = subprocess.run(["make", "-s", "-C", ROOT, "print-EXTRA_LIBS"],
                           capture_output=True, text=True).stdout.split()
    cflags = subprocess.run(["pkg-config", "--cflags"] + pkgs,
                            capture_output=True, text=True,
                            check=True).stdout.split()
    libs = subprocess.run(["pkg-config", "--libs"] + pkgs,
                          capture_output=True, text=True,
                          check=True).stdout.split()
    sanflags = ["-fsanitize=address,undefined"] if san else []
    exe = os.path.join(str(out_dir), "api_probe")
    cmd = [os.environ.get("CC", "cc"), "-std=c11", "-O1", "-g",
           "-D_GNU_SOURCE", "-D_FILE_OFFSET_BITS=64", "-Wall", "-Wextra",
           "-Werror", "-I", ROOT] + cflags + sanflags + [
           "-o", exe, os.path.join(HERE, "api_probe.c"), lib] + libs + \
        extra + ["-lm", "-pthread"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return exe


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return build_probe(tmp_path_factory.mktemp("probe"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fake")
    fake = Fake(tmp, "--children-page-pattern",
                ",".join(str(n) for n in PATTERN),
                "--max-report-page", str(REPORT_PAGE))
    yield fake
    fake.stop()


@pytest.fixture
def fake(server):
    """The shared server at its start state, its log empty."""
    server.ok("POST", "reset")
    return server


def run_probe(probe, fake, *args, check=True):
    """(exit status, stdout bytes, stderr text) of one probe run."""
    base = "http://127.0.0.1:%d/2.0" % fake.port
    done = subprocess.run([probe, base, TOKEN] + [str(a) for a in args],
                          capture_output=True, timeout=300,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
    if check:
        assert done.returncode == 0, (done.stdout, done.stderr)
    return done.returncode, done.stdout, done.stderr.decode()


def lines(out):
    return [json.loads(x) for x in out.decode().splitlines()]


def requests(fake):
    return fake.ok("GET", "log")


def check_requests(fake, log=None):
    """Every request is one of SPEC §7's current forms; none deprecated."""
    for e in log if log is not None else requests(fake):
        assert e["method"] == "GET", e
        assert not e.get("deprecated"), e
        assert not DEPRECATED.match(e["path"]) or \
            re.match(r"^/2\.0/(workspaces|folders)/\d+/children$",
                     e["path"]), e
        assert ALLOWED.match(e["path"]), e


def pages_for(n, cap=100):
    """Requests a token-paged list of n items takes under PATTERN: the
    fake answers a lastKey while items follow the page."""
    start, number = 0, 0
    while True:
        size = min(cap, PATTERN[number % len(PATTERN)])
        number += 1
        if start + size >= n:
            return number
        start += size


# ---------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------

def containers(tree):
    """{("workspace"|"folder", id): [child entries SPEC §7 shows]} from
    GET /_control/tree, every level."""
    out = {}

    def walk(key, children):
        out[key] = [{k: c[k] for k in ("resourceType", "id", "name",
                                        "permalink", "accessLevel")
                     if k in c}
                    for c in children if c["resourceType"] in CHILD_TYPES]
        for c in children:
            if c["resourceType"] == "folder":
                walk(("folder", c["id"]), c.get("children", []))
    for ws in tree["workspaces"]:
        walk(("workspace", ws["id"]), ws.get("children", []))
    return out


def test_tree_as_the_fake_has_it(probe, fake):
    tree = fake.ok("GET", "tree")
    want = containers(tree)
    _, out, _ = run_probe(probe, fake, "tree")
    got = {}
    workspaces = []
    for e in lines(out):
        if e["kind"] == "workspace":
            assert e["parent"] == ""
            workspaces.append((e["id"], e["name"], e["permalink"],
                               e["accessLevel"]))
            continue
        kind, pid = e["parent"].split(":")
        item = {"resourceType": e["kind"], "id": e["id"], "name": e["name"],
                "permalink": e["permalink"]}
        if e["accessLevel"] is not None:
            item["accessLevel"] = e["accessLevel"]
        got.setdefault((kind, int(pid)), []).append(item)
    assert workspaces == [(w["id"], w["name"], w["permalink"],
                           w["accessLevel"]) for w in tree["workspaces"]]
    for key, items in want.items():
        assert got.get(key, []) == items, key
    assert set(got) <= set(want)
    # Ids past 2^53 come through exactly; sights and templates never.
    assert any(i["id"] == 9007199254740995 for i in got[
        ("workspace", 1100000000000002)])
    assert not any(i["resourceType"] not in CHILD_TYPES
                   for items in got.values() for i in items)

    # One request per page: every lastKey followed (the pattern makes
    # empty and short pages), no page after the last; nothing else asked.
    log = requests(fake)
    check_requests(fake, log)
    count = {}
    for e in log:
        count[e["path"]] = count.get(e["path"], 0) + 1
        if e["path"].endswith("/children"):
            assert e["query"]["childrenResourceTypes"] == \
                "sheets,reports,folders"
        else:
            assert e["query"]["paginationType"] == "token"
        assert ("lastKey" in e["query"]) == (count[e["path"]] > 1)
    assert count.pop("/2.0/workspaces") == pages_for(len(workspaces))
    for (kind, cid), items in want.items():
        path = "/2.0/%ss/%d/children" % (kind, cid)
        assert count.pop(path) == pages_for(len(items)), path
    assert count == {}


def test_same_id_sheet_and_report(probe, fake):
    """A sheet and a report may share an id: both are entries."""
    ws, sid = 1100000000000003, 1300000000000010
    fake.ok("POST", "reports", {"id": sid, "name": "Write Target",
                                "sources": [sid], "columns": ["Name"],
                                "sheetNameColumn": False,
                                "parent": {"workspace": ws}})
    _, out, _ = run_probe(probe, fake, "children", "workspace", ws)
    got = [(e["kind"], e["id"]) for e in lines(out)]
    assert ("sheet", sid) in got and ("report", sid) in got
    assert len(got) == len(set(got)) == 3


def test_children_errors(probe, fake):
    rc, out, err = run_probe(probe, fake, "children", "folder", 42,
                             check=False)
    assert rc == 3 and lines(out) == [{"error": ENOENT, "status": 404}]
    assert "GET /folders/42/children: HTTP 404, errorCode 1006" in err
    fake.ok("POST", "access", {"folder": 1200000000000001, "noAccess": True})
    rc, out, _ = run_probe(probe, fake, "children", "folder",
                           1200000000000001, check=False)
    assert rc == 3 and lines(out) == [{"error": EACCES, "status": 403}]
    rc, out, _ = run_probe(probe, fake, "children", "workspace", 7,
                           check=False)
    assert rc == 3 and lines(out) == [{"error": ENOENT, "status": 404}]
    check_requests(fake)


def test_lists_of_reports_and_sheets(probe, fake):
    _, out, _ = run_probe(probe, fake, "reports")
    status, listing = fake.get_json("/2.0/reports?includeAll=true")
    assert status == 200
    assert [(e["kind"], e["id"], e["name"], e["permalink"],
             e["accessLevel"]) for e in lines(out)] == \
        [("report", r["id"], r["name"], r["permalink"], r["accessLevel"])
         for r in listing["data"]]
    _, out, _ = run_probe(probe, fake, "sheets")
    got = lines(out)
    assert got and all(e["kind"] == "sheet" and e["permalink"]
                       for e in got)


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------

def fetch_report(fake, rid, page_size=10000):
    """The report with every page's rows in one list (as spec_render
    takes it), fetched here with urllib, and the number of pages."""
    rows, page, head = [], 1, None
    while True:
        url = ("http://127.0.0.1:%d/2.0/reports/%d?pageSize=%d&page=%d"
               "&level=3&include=objectValue" % (fake.port, rid, page_size,
                                                 page))
        req = urllib.request.Request(
            url, headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(req, timeout=120) as r:
            body = json.loads(r.read())
        head = head or body
        assert body["totalRowCount"] == head["totalRowCount"]
        rows += body["rows"]
        if len(rows) >= head["totalRowCount"] or not body["rows"]:
            break
        page += 1
    report = dict(head)
    report["rows"] = rows
    return report, page


ORACLE = {
    "csv": lambda r: spec_render.render_report_csv(r),
    "csv-display": lambda r: spec_render.render_report_csv(r, display=True),
    "csv-crlf": lambda r: spec_render.render_report_csv(r, crlf=True),
    "json": spec_render.render_report_json,
    "ndjson": spec_render.render_report_ndjson,
}


@pytest.mark.parametrize("rid", [R_ROLLUP, R_STATUS])
def test_report_files_are_the_oracles(probe, fake, rid):
    report, npages = fetch_report(fake, rid, REPORT_PAGE)
    assert npages >= 3 and len(report["rows"]) == report["totalRowCount"]
    for fmt, oracle in ORACLE.items():
        fake.ok("DELETE", "log")
        _, out, _ = run_probe(probe, fake, "report", rid, fmt)
        assert out == oracle(report), fmt
        # Page after page of Smartsheet's largest, until totalRowCount.
        log = requests(fake)
        check_requests(fake, log)
        assert [e["query"] for e in log] == [
            {"pageSize": "10000", "page": str(p), "level": "3",
             "include": "objectValue"} for p in range(1, npages + 1)]


def test_report_errors(probe, fake):
    rc, out, err = run_probe(probe, fake, "report", R_RESTRICTED, "csv",
                             check=False)
    assert rc == 3 and lines(out) == [{"error": EACCES, "status": 403}]
    assert "GET /reports/%d: HTTP 403, errorCode 1004" % R_RESTRICTED in err
    rc, out, _ = run_probe(probe, fake, "report", 42, "json", check=False)
    assert rc == 3 and lines(out) == [{"error": ENOENT, "status": 404}]
    # A page that is not JSON: EIO, said once, with its page.
    fake.ok("POST", "fault", {"path": "^/2.0/reports/%d$" % R_ROLLUP,
                              "kind": "malformed", "skip": 1})
    rc, out, err = run_probe(probe, fake, "report", R_ROLLUP, "csv",
                             check=False)
    assert rc == 3 and lines(out)[0]["error"] == 5
    assert "page 2: malformed answer" in err


def test_report_changed_between_pages(probe, fake):
    """A source sheet changes while page 2 is on its way: the pages no
    longer agree (totalRowCount), so the report is read again from page
    1, and the files are those of the new state."""
    fake.ok("POST", "fault", {"path": "^/2.0/reports/%d$" % R_ROLLUP,
                              "kind": "delay", "delay_ms": 1500,
                              "skip": 1})
    proc = subprocess.Popen(
        [probe, "http://127.0.0.1:%d/2.0" % fake.port, TOKEN, "report",
         str(R_ROLLUP), "csv"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.7)
    fake.ok("POST", "sheets/%d/update" % BUDGET_FY24, {"add_rows": 2})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert b"the report changed while it was read; reading it again" in err
    fake.ok("DELETE", "fault")
    report, npages = fetch_report(fake, R_ROLLUP, REPORT_PAGE)
    assert out == spec_render.render_report_csv(report)
    pages = [int(e["query"]["page"]) for e in requests(fake)
             if e["path"] == "/2.0/reports/%d" % R_ROLLUP and
             e["query"].get("pageSize") == "10000"]
    assert pages == [1, 2] + list(range(1, npages + 1))


# ---------------------------------------------------------------------------
# Smartsheet's largest report, against a sheet of the same size
# ---------------------------------------------------------------------------

def test_big_report_memory_and_bytes(probe, tmp_path):
    fake = Fake(tmp_path, "--big-report", "50000", "--big", "50000x11",
                "--max-seconds", "900")
    try:
        report, npages = fetch_report(fake, BIG_REPORT)   # waits for it
        assert npages == 5 and len(report["rows"]) == 50000
        _, out, _ = run_probe(probe, fake, "report", BIG_REPORT, "csv")
        assert out == spec_render.render_report_csv(report)
        pages_bytes = 0
        for page in range(1, 6):
            _, _, body = fake.get("/2.0/reports/%d?pageSize=10000&page=%d"
                                  "&level=3&include=objectValue"
                                  % (BIG_REPORT, page))
            pages_bytes += len(body)
        _, _, sheet = fake.get("/2.0/sheets/%d?level=2&include=objectValue"
                               % BIG_SHEET)
        growth = {}
        for kind, oid in (("report", BIG_REPORT), ("sheet", BIG_SHEET)):
            runs = []
            for _ in range(2):
                _, m, _ = run_probe(probe, fake, "measure", kind, oid)
                m = json.loads(m)
                assert m["rows"] == 50000
                runs.append((m["hwm_after_kb"] - m["rss_before_kb"]) * 1024)
            growth[kind] = min(runs)
        print("\nreport: %d pages, %d bytes of JSON, parse RSS growth %d"
              " bytes; sheet: %d bytes of JSON, %d bytes"
              % (npages, pages_bytes, growth["report"], len(sheet),
                 growth["sheet"]))
        # The bench's bound for a sheet (peak growth <= its JSON), and no
        # more than a sheet of the same rows and columns needs.
        assert growth["report"] <= pages_bytes
        assert growth["report"] <= 1.25 * growth["sheet"]
    finally:
        fake.stop()
