"""Saves that must not go through, and saves that fail half way (SPEC §8):
refused texts (header, computed cells, bad values: EINVAL, nothing sent),
a conflict (ESTALE, nothing sent, the text in .rejected/), the second of
three requests failing (.status says what landed, the text is kept, the
file shows the server's state), the network down, refused sheets
(VIEWER, reports: EACCES).
"""
import csv
import errno
import io
import json
import os
import tempfile

import pytest

from conftest import Fake

from writekit import (COL, ROW0, ROSTER, TODO_ID, WRITE_TARGET, add_sheet,
                      all_writes, allow_api_error, allow_save_failure,
                      mount_w, read, rejected, status, stored_rows, summary,
                      todo_mount, todo_sheet, version, version_checks, write_file,
                      writes)
import writekit

wfake = writekit.wfake  # fixture
todo = writekit.todo  # fixture
pytestmark = writekit.NEEDS_WRITE

IDS = [ROW0 + i for i in range(6)]
TODO_CSV = "sheets/Todo\\.csv"


@pytest.fixture
def fm(todo, mounter):
    return todo_mount(todo, mounter)


def kept_once(m, text, stem="Todo ", ext=".csv"):
    """The text is in .rejected/ exactly once, under "<name> <time>.<ext>"."""
    rej = rejected(m)
    hits = [n for n, t in rej.items() if t == text]
    assert len(hits) == 1, (list(rej), text)
    assert hits[0].startswith(stem) and hits[0].endswith(ext), hits
    st = os.stat(m.path(".rejected", hits[0]))
    assert st.st_mode & 0o777 in (0o400, 0o600)
    return hits[0]


def refused(m, text, err=errno.EINVAL):
    """Saving text fails with err; no row write, the file unchanged."""
    allow_save_failure(m, TODO_CSV, errno.errorcode[err])
    assert write_file(m.csv, text) == err
    assert all_writes(m.fake, m.n0) == []
    assert read(m.csv) == m.base


def test_header_changed(fm):
    text = fm.base.replace("Item,Qty,", "Item,Quantity,", 1)
    refused(fm, text)
    kept_once(fm, text)
    assert any("sheets/Todo.csv" in ln and "failed (EINVAL)" in ln
               for ln in status(fm)), status(fm)


def test_no_line_at_all(fm):
    refused(fm, "")


@pytest.mark.parametrize("line, what", [
    ("item 1,1,maybe,\n", "checkbox"),
    ("item 1,1,true,2024-13-45\n", "date"),
    ("item 1,1,true,,extra\n", "too many fields"),
])
def test_bad_values(fm, line, what):
    ln = fm.base.splitlines(keepends=True)
    ln[2] = line
    refused(fm, "".join(ln))
    # The status names the line (3) of the text.
    assert any("failed (EINVAL)" in s and "line 3" in s
               for s in status(fm)), (what, status(fm))


def target_csv(m):
    return list(csv.reader(io.StringIO(read(m.wt), newline="")))


def to_text(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture
def wt(wfake, mounter):
    """The Write Target fixture (EDITOR; computed and locked cells)."""
    wfake.reset()
    m = mount_w(mounter, wfake)
    m.fake = wfake
    m.wt = m.path("workspaces", "Write Tests", "Write Target.csv")
    m.base = read(m.wt)
    m.n0 = len(wfake.log())
    yield m
    wfake.clear_faults()


@pytest.mark.parametrize("row, column", [
    ("Plan", "Total"),          # column formula
    ("Plan", "Row ID"),         # AUTO_NUMBER system column
    ("Plan", "Created"),        # CREATED_DATE
    ("Plan", "Modified By"),    # MODIFIED_BY
    ("Plan", "Locked Note"),    # locked column
    ("Build", "Estimate"),      # a cell formula
    ("Release", "Task"),        # a locked row
])
def test_computed_cell_changed(wt, row, column):
    rows = target_csv(wt)
    j = rows[0].index(column)
    i = [r[0] for r in rows].index(row)
    rows[i][j] = (rows[i][j] + "9") if rows[i][j] else "99"
    text = to_text(rows)
    allow_save_failure(wt, "Write Target\\.csv", "EINVAL")
    assert write_file(wt.wt, text) == errno.EINVAL
    assert all_writes(wt.fake, wt.n0) == []
    assert read(wt.wt) == wt.base
    # The status names the column.
    assert any("failed (EINVAL)" in s and column in s
               for s in status(wt)), status(wt)
    kept_once(wt, text, "Write Target ")


def test_parent_deleted_children_kept(wt):
    rows = target_csv(wt)
    rows = [r for r in rows if r[0] != "Plan"]   # Design, Build stay
    allow_save_failure(wt, "Write Target\\.csv", "EINVAL")
    assert write_file(wt.wt, to_text(rows)) == errno.EINVAL
    assert all_writes(wt.fake, wt.n0) == []
    assert any("failed (EINVAL)" in s and "Plan" in s for s in status(wt))


def test_conflict_estale(fm):
    # The sheet changes at Smartsheet between the read and the save.
    fm.fake.update(TODO_ID, cells=[{"row": 0, "column": 1, "value": 1000}])
    v = version(fm.fake)
    text = fm.base.replace("item 5,5,", "item 5,55,")
    allow_save_failure(fm, TODO_CSV, "ESTALE")
    assert write_file(fm.csv, text) == errno.ESTALE
    # One version check, or none when the daemon already holds the newer
    # version (ESTALE without asking).
    assert len(version_checks(fm.fake, fm.n0)) <= 1
    assert all_writes(fm.fake, fm.n0) == []
    assert version(fm.fake) == v
    kept_once(fm, text)
    assert any("failed (ESTALE)" in s for s in status(fm)), status(fm)
    # The file then reads the server's state (its new Qty of row 0).
    assert read(fm.csv).splitlines()[1] == "item 0,1000,false,"


def test_second_of_three_requests_fails(fm):
    # A change (PUT), an insert (POST) and a delete (DELETE): the POST is
    # refused; the PUT landed, the DELETE is not sent.
    fm.fake.fault(path=r"/rows$", kind="status", status=400,
                  errorCode=1012, message="Required object attribute(s) "
                  "are missing from your request: cell.value.", skip=1)
    ln = fm.base.splitlines(keepends=True)
    ln[1] = "item 0,50,false,\n"
    del ln[4]
    ln.insert(2, "fresh,,,\n")
    text = "".join(ln)
    allow_api_error(fm, "POST", TODO_ID, 1012)
    allow_save_failure(fm, TODO_CSV, "EINVAL")
    err = write_file(fm.csv, text)
    assert err == errno.EINVAL, os.strerror(err)
    w = writes(fm.fake, fm.n0)
    assert [(e["method"], e["status"]) for e in w] == \
        [("PUT", 200), ("POST", 400)]
    name = kept_once(fm, text)
    line = [s for s in status(fm) if "sheets/Todo.csv" in s][0]
    assert "0 added, 1 changed, 0 moved, 0 deleted; 3 requests; " \
        "failed (EINVAL): Smartsheet errorCode 1012" in line, line
    assert "the save meant 1 added, 1 changed, 0 moved, 1 deleted" in line
    assert ".rejected/" + name in line
    # The file shows the server's state: the change, not the rest.
    got = read(fm.csv).splitlines()
    assert got[1] == "item 0,50,false," and "fresh,,," not in got
    assert "item 3,3,true," in got
    assert [r for r, _ in stored_rows(fm.fake)] == IDS


def test_network_down_during_save(fm):
    # Every row write is cut before any answer: the save fails, the text
    # is kept, and the status says the outcome is not known.
    fm.fake.fault(path=r"/rows$", kind="reset", times=-1)
    text = fm.base.replace("item 2,2,", "item 2,20,")
    allow_save_failure(fm, TODO_CSV, "(EIO|ETIMEDOUT)")
    fm.allow(r"error: PUT /sheets/\d+/rows \(\d+ rows?\): no answer")
    err = write_file(fm.csv, text)
    assert err in (errno.EIO, errno.ETIMEDOUT), os.strerror(err)
    kept_once(fm, text)
    assert all(e["status"] == 0 for e in writes(fm.fake, fm.n0))
    fm.fake.clear_faults()
    assert read(fm.csv) == fm.base


def test_server_gone_before_save(tmpdir_mod, mounter):
    # The server stops (connection refused): nothing can be sent, the
    # text is kept, close() reports the error. A fake of its own: it dies.
    own = Fake(tempfile.mkdtemp(prefix="gone-", dir=tmpdir_mod))
    try:
        add_sheet(own, todo_sheet())
        m = todo_mount(own, mounter)
        text = m.base.replace("item 2,2,", "item 2,21,")
    finally:
        own.stop()
    allow_save_failure(m, TODO_CSV, "(EIO|ETIMEDOUT)")
    m.allow(r"error: GET /sheets/\d+/version: no answer")
    m.allow(r"warning: cannot reach the API")
    err = write_file(m.csv, text)
    assert err in (errno.EIO, errno.ETIMEDOUT), os.strerror(err)
    kept_once(m, text)
    assert any("failed (" in s for s in status(m)), status(m)


def test_viewer_sheet_refused(wfake, mounter):
    wfake.reset()
    m = mount_w(mounter, wfake)
    p = m.path("workspaces", "Write Tests", "Read Only Roster.csv")
    allow_save_failure(m, "Read Only Roster\\.csv", "EACCES")
    text = read(p)
    n0 = len(wfake.log())
    assert write_file(p, text + "x\n") == errno.EACCES
    assert write_file(p, "x\n", os.O_WRONLY | os.O_APPEND) == errno.EACCES
    assert writes(wfake, n0, ROSTER) == []


def test_report_refused(wfake, mounter):
    wfake.reset()
    m = mount_w(mounter, wfake)
    for name in ("Budget Rollup.csv", "Budget Rollup.json"):
        p = m.path("reports", name)
        allow_save_failure(m, "reports/Budget Rollup", "EACCES")
        n0 = len(wfake.log())
        assert write_file(p, read(p)) == errno.EACCES
        assert all_writes(wfake, n0) == []


def test_by_id_file_saves(fm):
    # by-id/ holds the same file: a save there is the same save.
    p = fm.path("by-id", "%d.csv" % TODO_ID)
    if not os.path.exists(p):
        pytest.skip("by-id/ names files differently: %s" %
                    os.listdir(fm.path("by-id"))[:3])
    text = read(p).replace("item 1,1,", "item 1,11,")
    assert write_file(p, text) == 0
    assert summary(writes(fm.fake, fm.n0)) == [("PUT", 1)]
    assert stored_rows(fm.fake)[1][1]["Qty"] == 11


def test_write_target_json_only_changed_cell(wt):
    # The JSON of a sheet with every column type, saved back unchanged
    # but for one cell: one PUT with that cell only.
    p = wt.wt[:-4] + ".json"
    doc = json.loads(read(p))
    n0 = len(wt.fake.log())
    row = [r for r in doc["rows"] if r["cells"].get("Task") == "Retro"][0]
    row["cells"]["Estimate"] = 12
    assert write_file(p, json.dumps(doc)) == 0
    w = writes(wt.fake, n0, WRITE_TARGET)
    assert summary(w) == [("PUT", 1)]
    assert w[0]["body"] == [{"id": row["id"], "cells": [
        {"columnId": 1310000000001009, "value": 12}]}]


def test_two_edits_from_one_base_second_is_estale(fm):
    # Two writers read the same version; the first save wins, the second
    # is refused with ESTALE and sends nothing.
    a = fm.base.replace("item 1,1,", "item 1,101,")
    b = fm.base.replace("item 2,2,", "item 2,202,")
    fa = os.open(fm.csv, os.O_WRONLY | os.O_TRUNC)
    fb = os.open(fm.csv, os.O_WRONLY | os.O_TRUNC)
    os.write(fa, a.encode())
    os.write(fb, b.encode())
    os.close(fa)
    allow_save_failure(fm, TODO_CSV, "ESTALE")
    with pytest.raises(OSError) as e:
        os.close(fb)
    assert e.value.errno == errno.ESTALE
    assert summary(writes(fm.fake, fm.n0)) == [("PUT", 1)]
    kept_once(fm, b)
    assert stored_rows(fm.fake)[1][1]["Qty"] == 101
    assert stored_rows(fm.fake)[2][1]["Qty"] == 2
    assert COL  # the column map is the fixture's
