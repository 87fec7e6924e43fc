"""Helpers of the write-back tests (SPEC §8): sheets made for them at the
fake, a writable mount, and questions to the fake's request log.

The tests (test_write_*.py) mount with `-o write` against the fake, change
files with the tools people use, and check what was sent (exact bodies and
counts, from the fake's request log) and what the file reads afterwards.
"""
import csv
import glob
import io
import json
import os
import re
import subprocess
import tempfile

import pytest

from conftest import TOKEN, Fake, Mount, finish_all

TODO_ID = 1390000000000001
COL = {"Item": 1391000000000001, "Qty": 1391000000000002,
       "Done": 1391000000000003, "Due": 1391000000000004}
ROW0 = 1392000000000001         # the id of row i is ROW0 + i
WRITE_TARGET = 1300000000000010  # fixture: every column type, computed ones
ROSTER = 1300000000000011        # fixture: VIEWER
ROWS_PATH = r"^/2\.0/sheets/%d/rows$"
WRITE_METHODS = ("POST", "PUT", "DELETE")


def todo_sheet(n=6, sid=TODO_ID, name="Todo", access="OWNER"):
    """A plain sheet: Item (primary text), Qty (number), Done (checkbox),
    Due (date); row i is "item i", i, done on odd rows, no date."""
    cols = []
    for i, (title, typ) in enumerate((("Item", "TEXT_NUMBER"),
                                      ("Qty", "TEXT_NUMBER"),
                                      ("Done", "CHECKBOX"),
                                      ("Due", "DATE"))):
        c = {"id": COL[title] + (sid - TODO_ID) * 100, "index": i,
             "title": title, "type": typ, "width": 100}
        if i == 0:
            c["primary"] = True
        cols.append(c)
    rows = []
    for i in range(n):
        rid = ROW0 + (sid - TODO_ID) * 100000 + i
        row = {"id": rid, "rowNumber": i + 1, "expanded": True,
               "createdAt": "2024-01-01T00:00:00Z",
               "modifiedAt": "2024-01-02T00:00:00Z",
               "cells": [{"columnId": cols[0]["id"], "value": "item %d" % i,
                          "displayValue": "item %d" % i},
                         {"columnId": cols[1]["id"], "value": i,
                          "displayValue": str(i)},
                         {"columnId": cols[2]["id"], "value": i % 2 == 1},
                         {"columnId": cols[3]["id"]}]}
        if i:
            row["siblingId"] = rid - 1
        rows.append(row)
    return {"id": sid, "name": name, "version": 1, "accessLevel": access,
            "permalink": "https://app.smartsheet.com/b/home?lx=todo%d" % sid,
            "createdAt": "2024-01-01T00:00:00Z",
            "modifiedAt": "2024-01-02T00:00:00Z",
            "totalRowCount": n, "columns": cols, "rows": rows}


def add_sheet(fake, sheet):
    return fake.call("POST", "/_control/sheets", sheet)


def settings(fake, **kw):
    return fake.call("POST", "/_control/settings", kw)


def stored(fake, sid=TODO_ID):
    """The sheet as the fake holds it now."""
    return fake.call("GET", "/_control/sheets/%d" % sid)


def stored_rows(fake, sid=TODO_ID):
    """[(row id, {column title: value})] in sheet order."""
    s = stored(fake, sid)
    title = {c["id"]: c["title"] for c in s["columns"]}
    return [(r["id"], {title[c["columnId"]]: c.get("value")
                       for c in r["cells"] if "value" in c})
            for r in s["rows"]]


def version(fake, sid=TODO_ID):
    return stored(fake, sid)["version"]


def writes(fake, n0, sid=TODO_ID):
    """The row writes (POST/PUT/DELETE .../rows) logged since entry n0."""
    rx = re.compile(ROWS_PATH % sid)
    return [e for e in fake.log()[n0:]
            if e["method"] in WRITE_METHODS and rx.search(e["path"])]


def all_writes(fake, n0):
    return [e for e in fake.log()[n0:] if e["method"] in WRITE_METHODS]


def version_checks(fake, n0, sid=TODO_ID):
    return [e for e in fake.log()[n0:] if e["method"] == "GET" and
            e["path"] == "/2.0/sheets/%d/version" % sid]


def summary(entries):
    """(method, rows in the body or ids in the URL) per write, for
    messages."""
    out = []
    for e in entries:
        if e["method"] == "DELETE":
            out.append(("DELETE", len(e.get("ids") or [])))
        else:
            b = e.get("body")
            out.append((e["method"], len(b) if isinstance(b, list) else 1))
    return out


def put_body(rid, *cells):
    """The exact body of a PUT changing cells [(column id, value)] of one
    row (edit/plan.c writes the keys in this order)."""
    return [{"id": rid, "cells": [{"columnId": c, "value": v}
                                  for c, v in cells]}]


def ask(fake, n0):
    """Let an entry be found in the log: the log of the fake is written as
    each request ends, so read it fresh."""
    return fake.log()[n0:]


def bash(cmd):
    """Run cmd with bash (dash's builtins print "I/O error" for any failed
    write; bash names the errno)."""
    return subprocess.run(["bash", "-c", cmd], capture_output=True,
                          timeout=120)


def csv_rows(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def csv_text(rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerows(rows)
    return out.getvalue()


def write_file(path, data, flags=os.O_WRONLY | os.O_TRUNC):
    """Write data through one open/write/close; 0 or the errno of the first
    call that failed (close() carries the save's)."""
    if isinstance(data, str):
        data = data.encode()
    try:
        fd = os.open(path, flags)
    except OSError as e:
        return e.errno
    try:
        n = 0
        while n < len(data):
            n += os.write(fd, data[n:])
    except OSError as e:
        try:
            os.close(fd)
        except OSError:
            pass
        return e.errno
    try:
        os.close(fd)
    except OSError as e:
        return e.errno
    return 0


def read(path):
    with open(path, "rb") as f:
        return f.read().decode()


def rejected(m):
    """{name: text} of the mount's .rejected/."""
    d = m.path(".rejected")
    return {n: read(os.path.join(d, n)) for n in sorted(os.listdir(d))}


def status(m):
    return read(m.path(".status")).splitlines()


def mount_w(mounter, fake, state_dir=None, opts="", **kw):
    """A mount with -o write and its own state folder (the journal and the
    rejected texts), returned with the folder as m.state_dir."""
    if state_dir is None:
        state_dir = tempfile.mkdtemp(prefix="state-", dir=fake.tmp)
    o = "cache_ttl=1,write,state_dir=%s" % state_dir
    if opts:
        o += "," + opts
    m = mounter(fake, opts=o, **kw)
    m.state_dir = state_dir
    return m


def allow_api_error(m, method, sid, code):
    """Register the error line of a refused row write."""
    m.allow(r"error: %s /sheets/%d/rows( \(\d+ rows?\))?: HTTP \d+, "
            r"errorCode %d\b" % (method, sid, code))


def allow_save_failure(m, file_re, errname):
    """Register the line the daemon logs for a failed save of a file
    (cache/save.c logs the .status line: "<file>: ... failed (<ERRNO>)")."""
    m.allow(r"(error|warning): .*%s.*failed \(%s\)" % (file_re, errname))


@pytest.fixture(scope="module")
def wfake(tmpdir_mod):
    """The fixture account; each test adds its own sheets after a reset."""
    f = Fake(tmpdir_mod)
    yield f
    f.stop()


@pytest.fixture
def todo(wfake):
    """The fake reset, with sheet Todo (6 rows) added; the fake."""
    wfake.reset()
    add_sheet(wfake, todo_sheet())
    yield wfake
    wfake.clear_faults()
    settings(wfake, write_delay_ms=0)


def todo_mount(fake, mounter):
    """A writable mount of fake (Todo added), its Todo.csv read once (the
    base of the edits): m.fake, m.csv, m.json, m.base, m.n0 (the log's
    length after the read)."""
    m = mount_w(mounter, fake)
    m.fake = fake
    m.csv = m.path("sheets", "Todo.csv")
    m.json = m.path("sheets", "Todo.json")
    m.base = read(m.csv)
    m.n0 = len(fake.log())
    return m


def supports_write():
    """Whether the daemon under test knows -o write (SPEC §8): its --help
    names it once the feature is built."""
    import subprocess
    from conftest import BIN
    try:
        r = subprocess.run([BIN, "--help"], capture_output=True, text=True,
                           timeout=10)
    except OSError:
        return False
    return re.search(r"^\s*-o write\b", r.stdout + r.stderr, re.M) is not None


# The tests that need the feature: they fail (strictly) until the daemon
# knows -o write.
NEEDS_WRITE = pytest.mark.xfail(
    not supports_write(), strict=True,
    reason="-o write is not built yet (issue 14: h14a/h14b)")

__all__ = [n for n in dir() if not n.startswith("_")] + [
    "TOKEN", "Mount", "finish_all", "glob", "json"]
