"""The row diff of a save (SPEC §8 step 3-5), seen from the fake: which
requests a change, an insert, a delete, a move, a swap, a change and a move
together, and duplicate rows make, with their exact bodies, and that every
matched row keeps its id (its attachments, discussions and history).
"""
import json

import pytest

from writekit import (COL, ROW0, add_sheet, mount_w, put_body, read,
                      stored_rows, summary, todo_mount, todo_sheet,
                      version_checks, write_file, writes)
import writekit

wfake = writekit.wfake  # fixture
todo = writekit.todo  # fixture
pytestmark = writekit.NEEDS_WRITE

IDS = [ROW0 + i for i in range(6)]


def lines_of(m):
    return read(m.csv).splitlines(keepends=True)


def save(m, lines):
    assert write_file(m.csv, "".join(lines)) == 0


@pytest.fixture
def dm(todo, mounter):
    """Todo (6 rows) at the fake, a writable mount, the CSV read once."""
    return todo_mount(todo, mounter)


def items(fake):
    return [(rid, v.get("Item")) for rid, v in stored_rows(fake)]


def test_change_one_cell_one_put(dm):
    ln = lines_of(dm)
    ln[3] = "item 2,22,false,\n"
    save(dm, ln)
    w = writes(dm.fake, dm.n0)
    assert summary(w) == [("PUT", 1)]
    assert w[0]["body"] == put_body(IDS[2], (COL["Qty"], 22))
    assert len(version_checks(dm.fake, dm.n0)) == 1
    assert items(dm.fake) == [(IDS[i], "item %d" % i) for i in range(6)]
    assert read(dm.csv) == "".join(ln)


def test_insert_in_the_middle_after_its_row(dm):
    ln = lines_of(dm)
    ln.insert(4, "new,9,,\n")         # after "item 2"
    save(dm, ln)
    w = writes(dm.fake, dm.n0)
    assert summary(w) == [("POST", 1)]
    assert w[0]["body"] == [{"siblingId": IDS[2], "cells": [
        {"columnId": COL["Item"], "value": "new"},
        {"columnId": COL["Qty"], "value": 9}]}]
    got = items(dm.fake)
    assert [t for _, t in got] == ["item 0", "item 1", "item 2", "new",
                                   "item 3", "item 4", "item 5"]
    assert [r for r, t in got if t != "new"] == IDS


def test_delete_one_row(dm):
    ln = lines_of(dm)
    del ln[5]                         # "item 4"
    save(dm, ln)
    w = writes(dm.fake, dm.n0)
    assert summary(w) == [("DELETE", 1)]
    assert w[0]["ids"] == [IDS[4]]
    assert w[0]["query"].get("ignoreRowsNotFound") == "false"
    assert [r for r, _ in items(dm.fake)] == IDS[:4] + IDS[5:]


def test_move_first_row_to_the_end(dm):
    ln = lines_of(dm)
    ln.append(ln.pop(1))              # "item 0" to the bottom
    save(dm, ln)
    w = writes(dm.fake, dm.n0)
    assert summary(w) == [("PUT", 1)]
    assert w[0]["body"] == [{"id": IDS[0], "siblingId": IDS[5]}]
    assert [r for r, _ in items(dm.fake)] == IDS[1:] + IDS[:1]
    assert read(dm.csv) == "".join(ln)


def test_swap_two_rows_one_move(dm):
    ln = lines_of(dm)
    ln[2], ln[3] = ln[3], ln[2]       # item 1 <-> item 2
    save(dm, ln)
    w = writes(dm.fake, dm.n0)
    # One row moves (the other keeps its place): one PUT, no cells, no
    # add or delete.
    assert summary(w) == [("PUT", 1)]
    row = w[0]["body"][0]
    assert row["id"] in (IDS[1], IDS[2]) and "cells" not in row
    assert [r for r, _ in items(dm.fake)] == \
        [IDS[0], IDS[2], IDS[1]] + IDS[3:]


def test_change_and_move_csv_is_add_and_delete(dm):
    # In CSV a row is known by its whole text: changed AND moved out of
    # its gap, it is a new row and the old one is deleted (SPEC §8 step
    # 3). The other rows keep their ids.
    ln = lines_of(dm)
    ln.pop(1)
    ln.append("item 0,100,false,\n")
    save(dm, ln)
    w = writes(dm.fake, dm.n0)
    assert summary(w) == [("POST", 1), ("DELETE", 1)]
    assert w[1]["ids"] == [IDS[0]]
    got = items(dm.fake)
    assert [r for r, _ in got[:5]] == IDS[1:]
    assert got[5][1] == "item 0" and got[5][0] not in IDS


def test_change_and_move_json_keeps_id(dm):
    text = read(dm.json)
    n0 = len(dm.fake.log())
    doc = json.loads(text)
    row = doc["rows"].pop(0)
    row["cells"]["Qty"] = 100
    doc["rows"].append(row)
    assert write_file(dm.json, json.dumps(doc, indent=2)) == 0
    w = writes(dm.fake, n0)
    assert all(e["method"] == "PUT" for e in w) and 1 <= len(w) <= 2, \
        summary(w)
    cells = [c for e in w for r in e["body"] for c in r.get("cells", [])]
    assert cells == [{"columnId": COL["Qty"], "value": 100}]
    assert all(r["id"] == IDS[0] for e in w for r in e["body"])
    got = stored_rows(dm.fake)
    assert [r for r, _ in got] == IDS[1:] + IDS[:1]
    assert got[5][1]["Qty"] == 100


def test_two_changes_in_one_put(dm):
    ln = lines_of(dm)
    ln[1] = "item 0,0,true,\n"
    ln[6] = "item 5 renamed,5,true,\n"
    save(dm, ln)
    w = writes(dm.fake, dm.n0)
    assert summary(w) == [("PUT", 2)]
    assert w[0]["body"] == put_body(IDS[0], (COL["Done"], True)) + \
        put_body(IDS[5], (COL["Item"], "item 5 renamed"))


def test_header_alone_deletes_every_row(dm):
    save(dm, lines_of(dm)[:1])
    w = writes(dm.fake, dm.n0)
    assert summary(w) == [("DELETE", 6)]
    assert sorted(w[0]["ids"]) == IDS
    assert stored_rows(dm.fake) == []
    assert read(dm.csv) == "Item,Qty,Done,Due\n"


def test_unchanged_text_sends_nothing(dm):
    save(dm, lines_of(dm))
    assert writes(dm.fake, dm.n0) == []


def test_insert_change_delete_in_order(dm):
    # Updates, then additions, then deletions (SPEC §8 step 5).
    ln = lines_of(dm)
    ln[1] = "item 0,50,false,\n"
    del ln[4]                         # item 3
    ln.insert(2, "fresh,,,\n")        # after item 0
    save(dm, ln)
    w = writes(dm.fake, dm.n0)
    assert [e["method"] for e in w] == ["PUT", "POST", "DELETE"]
    assert w[0]["body"] == put_body(IDS[0], (COL["Qty"], 50))
    assert w[1]["body"] == [{"siblingId": IDS[0], "cells": [
        {"columnId": COL["Item"], "value": "fresh"}]}]
    assert w[2]["ids"] == [IDS[3]]


@pytest.fixture
def dup(wfake, mounter):
    """Todo whose rows 2 and 3 are the same text ("dup,7,false,")."""
    wfake.reset()
    s = todo_sheet()
    for i in (2, 3):
        s["rows"][i]["cells"][0].update(value="dup", displayValue="dup")
        s["rows"][i]["cells"][1].update(value=7, displayValue="7")
        s["rows"][i]["cells"][2]["value"] = False
    add_sheet(wfake, s)
    m = mount_w(mounter, wfake)
    m.fake = wfake
    m.csv = m.path("sheets", "Todo.csv")
    assert read(m.csv).splitlines()[3:5] == ["dup,7,false,"] * 2
    m.n0 = len(wfake.log())
    return m


def test_duplicates_delete_one(dup):
    ln = lines_of(dup)
    del ln[4]
    save(dup, ln)
    w = writes(dup.fake, dup.n0)
    assert summary(w) == [("DELETE", 1)]
    assert w[0]["ids"][0] in (IDS[2], IDS[3])
    left = [r for r, _ in items(dup.fake)]
    assert len(left) == 5 and set(IDS) - set(left) == set(w[0]["ids"])


def test_duplicates_add_a_third(dup):
    ln = lines_of(dup)
    ln.insert(5, "dup,7,false,\n")
    save(dup, ln)
    w = writes(dup.fake, dup.n0)
    assert summary(w) == [("POST", 1)]
    assert w[0]["body"][0]["siblingId"] == IDS[3]
    got = items(dup.fake)
    assert [t for _, t in got].count("dup") == 3
    assert set(IDS) <= set(r for r, _ in got)


def test_duplicates_change_one_keeps_both_ids(dup):
    ln = lines_of(dup)
    ln[4] = "dup,8,false,\n"
    save(dup, ln)
    w = writes(dup.fake, dup.n0)
    assert summary(w) == [("PUT", 1)]
    assert w[0]["body"] == put_body(IDS[3], (COL["Qty"], 8))
    assert [r for r, _ in items(dup.fake)] == IDS
