"""The write-back tests' helpers (writekit.py) against the fake alone, no
mount: the bodies the tests expect the daemon to send are accepted by the
fake and give the states the tests then expect, the request-log queries
find them, and the faults the tests use fail the request they mean to.
"""
import errno
import json
import urllib.error
import urllib.request

import writekit
from writekit import (COL, ROW0, TODO_ID, add_sheet, all_writes, put_body,
                      settings, stored_rows, summary, todo_sheet, version,
                      version_checks, writes)

todo = writekit.todo  # fixture
wfake = writekit.wfake  # fixture
IDS = [ROW0 + i for i in range(6)]


def send(fake, method, body=None, query="", sid=TODO_ID):
    url = "%s/2.0/sheets/%d/rows%s" % (fake.base, sid, query)
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": "Bearer " + writekit.TOKEN,
        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def items(fake):
    return [(r, v.get("Item")) for r, v in stored_rows(fake)]


def test_todo_sheet_as_stored(todo):
    got = stored_rows(todo)
    assert [r for r, _ in got] == IDS
    assert got[3][1] == {"Item": "item 3", "Qty": 3, "Done": True}
    assert version(todo) == 1


def test_put_one_cell_and_log(todo):
    n0 = len(todo.log())
    assert send(todo, "PUT", put_body(IDS[2], (COL["Qty"], 22)))[0] == 200
    w = writes(todo, n0)
    assert summary(w) == [("PUT", 1)]
    assert w[0]["body"] == put_body(IDS[2], (COL["Qty"], 22))
    assert stored_rows(todo)[2][1]["Qty"] == 22
    assert version(todo) == 2
    assert version_checks(todo, n0) == []


def test_insert_after_sibling(todo):
    code, ans = send(todo, "POST", [{"siblingId": IDS[2], "cells": [
        {"columnId": COL["Item"], "value": "new"},
        {"columnId": COL["Qty"], "value": 9}]}])
    assert code == 200
    assert [t for _, t in items(todo)] == ["item 0", "item 1", "item 2",
                                           "new", "item 3", "item 4",
                                           "item 5"]


def test_move_and_swap(todo):
    assert send(todo, "PUT", [{"id": IDS[0], "siblingId": IDS[5]}])[0] == 200
    assert [r for r, _ in items(todo)] == IDS[1:] + IDS[:1]
    todo.reset()
    add_sheet(todo, todo_sheet())
    assert send(todo, "PUT", [{"id": IDS[1], "siblingId": IDS[2]}])[0] == 200
    assert [r for r, _ in items(todo)] == [IDS[0], IDS[2], IDS[1]] + IDS[3:]


def test_delete_logs_ids(todo):
    n0 = len(todo.log())
    q = "?ids=%d&ignoreRowsNotFound=false" % IDS[4]
    assert send(todo, "DELETE", query=q)[0] == 200
    w = writes(todo, n0)
    assert w[0]["ids"] == [IDS[4]]
    assert w[0]["query"]["ignoreRowsNotFound"] == "false"
    assert [r for r, _ in items(todo)] == IDS[:4] + IDS[5:]


def test_second_write_fault(todo):
    # test_write_faults: the 2nd row write answers 400 1012, changes
    # nothing; the 1st and 3rd go through.
    todo.fault(path=r"/rows$", kind="status", status=400, errorCode=1012,
               message="missing", skip=1)
    n0 = len(todo.log())
    assert send(todo, "PUT", put_body(IDS[0], (COL["Qty"], 50)))[0] == 200
    code, ans = send(todo, "POST", [{"toBottom": True, "cells": [
        {"columnId": COL["Item"], "value": "x"}]}])
    assert code == 400 and ans["errorCode"] == 1012
    assert send(todo, "DELETE", query="?ids=%d" % IDS[3])[0] == 200
    assert [(e["method"], e["status"]) for e in writes(todo, n0)] == \
        [("PUT", 200), ("POST", 400), ("DELETE", 200)]
    assert len(stored_rows(todo)) == 5


def test_reset_fault_logs_status_zero(todo):
    todo.fault(path=r"/rows$", kind="reset", times=-1)
    n0 = len(todo.log())
    try:
        send(todo, "PUT", put_body(IDS[0], (COL["Qty"], 1)))
        raise AssertionError("the connection was not reset")
    except (ConnectionError, urllib.error.URLError) as e:
        assert isinstance(e, ConnectionError) or \
            getattr(e.reason, "errno", None) in (errno.ECONNRESET, None)
    assert [e["status"] for e in writes(todo, n0)] == [0]
    assert stored_rows(todo)[0][1]["Qty"] == 0


def test_concurrent_writes_4004_without_turns(todo):
    # What test_two_appenders_take_turns guards against: two writes of the
    # same token at once, the second answered 500 4004.
    import threading
    settings(todo, write_delay_ms=400)
    out = []
    body = [{"toBottom": True, "cells": [{"columnId": COL["Item"],
                                          "value": "c"}]}]
    ts = [threading.Thread(target=lambda: out.append(
        send(todo, "POST", body))) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    settings(todo, write_delay_ms=0)
    assert sorted(c for c, _ in out) == [200, 500]
    assert [a.get("errorCode") for c, a in out if c == 500] == [4004]


def test_computed_columns_refused_by_fake(wfake):
    # Had the daemon sent them, the fake refuses computed cells (1302
    # column formula, 1046 system column): the daemon must refuse first.
    wfake.reset()
    n0 = len(wfake.log())
    wt = writekit.stored(wfake, writekit.WRITE_TARGET)
    plan = [r["id"] for r in wt["rows"] if r["cells"][0].get("value") ==
            "Plan"][0]
    for col, code in ((1310000000001010, 1302), (1310000000001014, 1046)):
        c, ans = send(wfake, "PUT", put_body(plan, (col, 5)),
                      sid=writekit.WRITE_TARGET)
        assert (c, ans["errorCode"]) == (400, code)
    assert len(all_writes(wfake, n0)) == 2


def test_viewer_refused_by_fake(wfake):
    wfake.reset()
    c, ans = send(wfake, "POST", [{"toBottom": True, "cells": []}],
                  sid=writekit.ROSTER)
    assert (c, ans["errorCode"]) == (403, 1004)
