"""Nothing the user typed is lost (SPEC §8): the daemon killed in the middle
of a save leaves the text in .rejected/ at the next mount; rejected texts
stay across mounts until `rm`; two writers of one sheet take turns (no
4004 from Smartsheet).
"""
import errno
import os
import signal
import stat
import subprocess
import threading
import time

import pytest

import writekit
from conftest import sh
from writekit import (TODO_ID, add_sheet, all_writes, allow_save_failure,
                      mount_w, read, rejected, settings, status, stored_rows,
                      summary, todo_sheet, write_file, writes)

wfake = writekit.wfake  # fixture
todo = writekit.todo  # fixture
pytestmark = writekit.NEEDS_WRITE


@pytest.fixture
def cfake(todo):
    return todo


def wait_for(pred, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_sigkill_mid_save_then_remount(cfake, mounter, tmp_path):
    m = mount_w(mounter, cfake)
    csv_path = m.path("sheets", "Todo.csv")
    base = read(csv_path)
    text = base.replace("item 3,3,", "item 3,333,")
    edited = tmp_path / "edited.csv"
    edited.write_text(text)
    # The PUT takes 5 s at the fake: kill the daemon while it waits.
    settings(cfake, write_delay_ms=5000)
    n0 = len(cfake.log())
    cp = subprocess.Popen(["cp", str(edited), csv_path],
                          stderr=subprocess.PIPE)
    # The version check is logged when it is answered; the PUT is sent
    # right after it.
    assert wait_for(lambda: writekit.version_checks(cfake, n0))
    time.sleep(0.5)
    m.kill(signal.SIGKILL)
    m.proc.wait(10)
    cp.wait(30)
    assert cp.returncode != 0     # its close got no answer
    m.umount()
    # The fake finishes the PUT (it is logged when answered): a write
    # still running there would make the next test's writes 4004.
    assert wait_for(lambda: writes(cfake, n0), 15)
    # The text was on disk before the PUT went out, private to the user.
    jdir = os.path.join(m.state_dir, "journal")
    names = os.listdir(jdir)
    for n in names:
        assert stat.S_IMODE(os.stat(os.path.join(jdir, n)).st_mode) == \
            0o600, n
    assert text in [read(os.path.join(jdir, n)) for n in names], names
    settings(cfake, write_delay_ms=0)
    # Whether the PUT landed is for the fake to say; the text is kept.
    m2 = mount_w(mounter, cfake, state_dir=m.state_dir)
    m2.allow(r"warning: sheets/Todo\.csv: found after a crash")
    rej = rejected(m2)
    assert list(rej.values()) == [text], list(rej)
    name = list(rej)[0]
    assert name.startswith("Todo ") and name.endswith(".csv")
    assert any("found after a crash" in s and name in s
               for s in status(m2)), status(m2)


def test_rejected_kept_across_mounts_until_rm(cfake, mounter):
    m = mount_w(mounter, cfake)
    p = m.path("sheets", "Todo.csv")
    text = read(p).replace("Item,Qty", "Item,Qty2")
    allow_save_failure(m, "sheets/Todo\\.csv", "EINVAL")
    assert write_file(p, text) == errno.EINVAL
    names = list(rejected(m))
    assert len(names) == 1
    m.finish()
    m2 = mount_w(mounter, cfake, state_dir=m.state_dir)
    assert rejected(m2) == {names[0]: text}
    r = sh("rm '%s'" % m2.path(".rejected", names[0]))
    assert r.returncode == 0, r.stderr
    assert rejected(m2) == {}
    assert not os.path.exists(m2.path(".rejected", names[0]))


def test_two_appenders_take_turns(cfake, mounter):
    # Two shells append to one sheet at once, through its two files
    # (sheets/ and by-id/: two inodes, so the kernel does not serialise
    # the writes); each write of the fake takes 300 ms, so the second
    # arrives while the first runs. Smartsheet answers 4004 to a second
    # write of the same token to a sheet: the daemon must send one at a
    # time.
    settings(cfake, write_delay_ms=300)
    m = mount_w(mounter, cfake)
    paths = {"a": m.path("sheets", "Todo.csv"),
             "b": m.path("by-id", "%d.csv" % TODO_ID)}
    for p in paths.values():
        read(p)
    n0 = len(cfake.log())
    results = {}

    def append(tag):
        results[tag] = sh("for i in 1 2 3; do echo '%s '$i >> '%s'; done" %
                          (tag, paths[tag]))

    ts = [threading.Thread(target=append, args=(t,)) for t in paths]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    for tag, r in results.items():
        assert r.returncode == 0, (tag, r.stderr)
    w = writes(cfake, n0)
    assert [e["status"] for e in w] == [200] * 6, summary(w)
    items = [v.get("Item") for _, v in stored_rows(cfake)][6:]
    assert sorted(items) == ["a 1", "a 2", "a 3", "b 1", "b 2", "b 3"]
    assert [i for i in items if i[0] == "a"] == ["a 1", "a 2", "a 3"]


def test_two_savers_of_one_sheet(cfake, mounter):
    # Two different sheets' files are not blocked by each other; two saves
    # of one sheet from different bases: the second is ESTALE.
    add_sheet(cfake, todo_sheet(sid=TODO_ID + 1, name="Other"))
    settings(cfake, write_delay_ms=500)
    m = mount_w(mounter, cfake)
    a = m.path("sheets", "Todo.csv")
    b = m.path("sheets", "Other.csv")
    ta = read(a).replace("item 0,0,", "item 0,10,")
    tb = read(b).replace("item 0,0,", "item 0,20,")
    n0 = len(cfake.log())
    out = {}
    th = threading.Thread(target=lambda: out.update(a=write_file(a, ta)))
    th.start()
    out["b"] = write_file(b, tb)
    th.join(60)
    assert out == {"a": 0, "b": 0}
    assert summary(writes(cfake, n0)) == [("PUT", 1)]
    assert summary(writes(cfake, n0, TODO_ID + 1)) == [("PUT", 1)]
    assert len(all_writes(cfake, n0)) == 2
