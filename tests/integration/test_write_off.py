"""Without `-o write` the mount stays read-only (SPEC §8): every write is
EROFS, nothing is sent, the files are 0444, and there is no .status or
.rejected/ to see."""
import errno
import os

import pytest

import writekit
from conftest import sh
from writekit import writes

todo = writekit.todo  # fixture
wfake = writekit.wfake  # fixture


def test_without_write_option_erofs(todo, mounter):
    m = mounter(todo)
    p = m.path("sheets", "Todo.csv")
    r = sh("echo 'x,y' >> '%s'" % p)
    assert b"Read-only file system" in r.stderr, r.stderr
    assert not writes(todo, 0)
    assert oct(os.stat(p).st_mode & 0o777) == "0o444"
    assert not os.path.exists(m.path(".status"))
    assert not os.path.exists(m.path(".rejected"))


@pytest.mark.parametrize("opts", ["rw", "ro"])
def test_rw_alone_is_not_write(todo, mounter, opts):
    m = mounter(todo, opts="cache_ttl=1," + opts)
    p = m.path("sheets", "Todo.csv")
    assert writekit.write_file(p, "Item,Qty,Done,Due\n") in (
        errno.EROFS, errno.EACCES)  # EACCES: the kernel checked the mode
    assert not writes(todo, 0)
