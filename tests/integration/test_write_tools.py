"""Write-back with the tools people use (SPEC §8): `echo >>`, `cat >>`,
`sed -i`, `perl -pi`, `gawk -i inplace`, `vim -es`, Python in place and
through a temporary file, `cp`, and `jq` on the JSON. Each test checks what
reached the fake (exact bodies and counts in its request log) and what the
file reads afterwards.
"""
import errno
import json
import os
import subprocess

import pytest

from conftest import sh
import writekit
from writekit import (COL, ROW0, TODO_ID, add_sheet, allow_save_failure,
                      bash, mount_w, put_body, read, status, stored_rows,
                      summary, todo_mount, todo_sheet, version_checks,
                      write_file, writes)

todo = writekit.todo  # fixture
wfake = writekit.wfake  # fixture
pytestmark = writekit.NEEDS_WRITE

CSV = "Item,Qty,Done,Due\n" + "".join(
    "item %d,%d,%s,\n" % (i, i, "true" if i % 2 else "false")
    for i in range(6))


@pytest.fixture
def wm(todo, mounter):
    """A writable mount of the account with Todo; its CSV read once (the
    base of the edits)."""
    m = todo_mount(todo, mounter)
    assert m.base == CSV
    return m


def one_put(fake, m, row, col, value):
    """Exactly one version check and one PUT carrying only that cell."""
    w = writes(fake, m.n0)
    assert summary(w) == [("PUT", 1)], summary(w)
    assert w[0]["body"] == put_body(ROW0 + row, (COL[col], value))
    assert len(version_checks(fake, m.n0)) == 1
    assert w[0]["status"] == 200


def test_echo_append_one_post(wm, todo):
    r = sh("echo 'x,y' >> '%s'" % wm.csv)
    assert r.returncode == 0, r.stderr
    w = writes(todo, wm.n0)
    assert summary(w) == [("POST", 1)]
    assert w[0]["body"] == [{"toBottom": True, "cells": [
        {"columnId": COL["Item"], "value": "x"},
        {"columnId": COL["Qty"], "value": "y"}]}]
    # An append checks no version: it changes no row it read.
    assert not version_checks(todo, wm.n0)
    last = read(wm.csv).splitlines()[-1]
    assert last.startswith("x,y,") and len(read(wm.csv).splitlines()) == 8
    assert stored_rows(todo)[-1][1] == {"Item": "x", "Qty": "y"}
    assert any("sheets/Todo.csv: 1 added, 0 changed, 0 moved, 0 deleted; "
               "1 request; ok" in ln for ln in status(wm)), status(wm)


def test_cat_1200_rows_in_posts_of_500(wm, todo, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("".join("new %04d,%d\n" % (i, i) for i in range(1200)))
    r = sh("cat '%s' >> '%s'" % (big, wm.csv))
    assert r.returncode == 0, r.stderr
    w = writes(todo, wm.n0)
    assert all(e["method"] == "POST" and e["status"] == 200 for e in w)
    assert all(len(e["body"]) <= 500 for e in w), summary(w)
    assert all(all(row.get("toBottom") is True for row in e["body"])
               for e in w)
    sent = [row["cells"][0]["value"] for e in w for row in e["body"]]
    assert sent == ["new %04d" % i for i in range(1200)]
    # cat writes 128 KiB at a time: a few requests, not one per row.
    assert len(w) <= 6, summary(w)
    items = [v.get("Item") for _, v in stored_rows(todo)]
    assert items == ["item %d" % i for i in range(6)] + sent
    lines = read(wm.csv).splitlines()
    assert len(lines) == 1 + 6 + 1200 and lines[-1] == "new 1199,1199,,"


def test_sed_i(wm, todo):
    r = sh("sed -i 's/^item 3,/ITEM 3,/' '%s'" % wm.csv)
    assert r.returncode == 0, r.stderr
    one_put(todo, wm, 3, "Item", "ITEM 3")
    assert sh("grep -c '^ITEM 3,3,true,$' '%s'" % wm.csv).stdout == b"1\n"
    # sed's temporary file is gone; nothing else appeared in sheets/.
    assert not [n for n in os.listdir(wm.path("sheets")) if "Todo" in n
                and n not in ("Todo.csv", "Todo.json")]


def test_perl_pi(wm, todo):
    r = sh("perl -pi -e 's/^item 4,4,/item 4,40,/' '%s'" % wm.csv)
    assert r.returncode == 0, r.stderr
    one_put(todo, wm, 4, "Qty", 40)
    r = sh("awk -F, '$1 == \"item 4\" {print $2}' '%s'" % wm.csv)
    assert r.stdout == b"40\n"


def test_gawk_inplace(wm, todo):
    r = sh("gawk -i inplace -F, -v OFS=, "
           "'NR == 3 { $3 = \"false\" } { print }' '%s'" % wm.csv)
    assert r.returncode == 0, r.stderr
    one_put(todo, wm, 1, "Done", False)
    assert read(wm.csv).splitlines()[2] == "item 1,1,false,"


def test_vim_es(wm, todo):
    r = subprocess.run(["vim", "-es", "-N", "-u", "NONE", "-i", "NONE",
                        "-c", "%s/^item 2,/item two,/", "-c", "wq", wm.csv],
                       capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r
    one_put(todo, wm, 2, "Item", "item two")
    assert sh("grep -c '^item two,2,false,$' '%s'" % wm.csv).stdout == b"1\n"


def test_python_in_place(wm, todo):
    text = read(wm.csv).replace("item 5,5,true,", "item 5,5,true,2024-06-01")
    with open(wm.csv, "w") as f:
        f.write(text)
    one_put(todo, wm, 5, "Due", "2024-06-01")
    assert read(wm.csv) == text


def test_python_temp_then_replace(wm, todo):
    text = read(wm.csv).replace("item 0,0,", "item 0,7,")
    tmp = wm.path("sheets", ".Todo.csv.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    # The scratch file is there, in its folder only, until the rename.
    assert ".Todo.csv.tmp" in os.listdir(wm.path("sheets"))
    assert not writes(todo, wm.n0)
    os.replace(tmp, wm.csv)
    one_put(todo, wm, 0, "Qty", 7)
    assert ".Todo.csv.tmp" not in os.listdir(wm.path("sheets"))
    assert read(wm.csv) == text


def test_cp_edited(wm, todo, tmp_path):
    edited = tmp_path / "edited.csv"
    edited.write_text(read(wm.csv).replace("item 1,1,true,",
                                           "item 1,1,true,2025-01-31"))
    r = sh("cp '%s' '%s'" % (edited, wm.csv))
    assert r.returncode == 0, r.stderr
    one_put(todo, wm, 1, "Due", "2025-01-31")
    assert read(wm.csv) == edited.read_text()


def test_jq_edit_of_json(wm, todo, tmp_path):
    read(wm.json)   # the base of the JSON edit: what jq reads
    n0 = len(todo.log())
    wm.n0 = n0
    t = tmp_path / "t.json"
    r = sh("jq '(.rows[] | select(.cells.Item == \"item 3\") | .cells.Qty)"
           " = 33' '%s' > '%s' && cp '%s' '%s'" % (wm.json, t, t, wm.json))
    assert r.returncode == 0, r.stderr
    one_put(todo, wm, 3, "Qty", 33)
    rows = json.loads(read(wm.json))["rows"]
    assert [r["cells"]["Qty"] for r in rows] == [0, 1, 2, 33, 4, 5]
    assert [r["id"] for r in rows] == [ROW0 + i for i in range(6)]


def test_append_to_json_is_einval(wm, todo):
    allow_save_failure(wm, "sheets/Todo\\.json", "EINVAL")
    r = bash("echo '{}' >> '%s'" % wm.json)
    assert r.returncode != 0
    assert b"Invalid argument" in r.stderr, r.stderr
    assert not writes(todo, wm.n0)


def test_append_last_record_without_line_end(wm, todo):
    r = sh("printf 'a,1' >> '%s'" % wm.csv)
    assert r.returncode == 0, r.stderr
    w = writes(todo, wm.n0)
    assert summary(w) == [("POST", 1)]
    assert w[0]["body"] == [{"toBottom": True, "cells": [
        {"columnId": COL["Item"], "value": "a"},
        {"columnId": COL["Qty"], "value": 1}]}]


def test_append_rejected_record_sends_nothing(wm, todo):
    # One write() of three records, the second with a bad checkbox: none
    # of them is added, the write fails with EINVAL, the text is kept.
    allow_save_failure(wm, "sheets/Todo\\.csv", "EINVAL")
    three = "ok 1,1\nbad,2,maybe\nok 3,3\n"
    assert write_file(wm.csv, three, os.O_WRONLY | os.O_APPEND) == \
        errno.EINVAL
    assert not writes(todo, wm.n0)
    assert read(wm.csv) == CSV
    kept = os.listdir(wm.path(".rejected"))
    assert len(kept) == 1 and kept[0].startswith("Todo ") and \
        kept[0].endswith(".csv"), kept
    assert "bad,2,maybe" in read(wm.path(".rejected", kept[0]))


def test_echo_of_a_rejected_record_fails(wm, todo):
    # bash's echo reports the write's error (each printf/echo line is a
    # write() of its own: the good lines before it are added).
    allow_save_failure(wm, "sheets/Todo\\.csv", "EINVAL")
    r = bash("echo 'bad,2,maybe' >> '%s'" % wm.csv)
    assert r.returncode == 1
    assert b"Invalid argument" in r.stderr, r.stderr
    assert not writes(todo, wm.n0)
    assert any("failed (EINVAL)" in ln and "line 1" in ln
               for ln in status(wm)), status(wm)


def test_modes(wm, todo):
    assert os.stat(wm.csv).st_mode & 0o777 == 0o644
    assert os.stat(wm.json).st_mode & 0o777 == 0o644
    ro = wm.path("workspaces", "Write Tests", "Read Only Roster.csv")
    assert os.stat(ro).st_mode & 0o777 == 0o444
    rep = wm.path("reports", "Budget Rollup.csv")
    assert os.stat(rep).st_mode & 0o777 == 0o444


def test_second_sheet_of_same_shape_is_separate(todo, mounter):
    # Two sheets: a write to one sends nothing to the other.
    add_sheet(todo, todo_sheet(sid=TODO_ID + 1, name="Todo 2"))
    m = mount_w(mounter, todo)
    n0 = len(todo.log())
    assert sh("echo 'z' >> '%s'" % m.path("sheets", "Todo 2.csv")
              ).returncode == 0
    assert not writes(todo, n0)
    assert summary(writes(todo, n0, TODO_ID + 1)) == [("POST", 1)]
