"""Who may write (SPEC §8): only the user who mounted (or root), also on an
allow_other mount whose mode bits let everyone in; with OAuth, only a token
with the WRITE_SHEETS scope, and .auth/status says why not.
"""
import os
import re
import tempfile

import pytest

import writekit
import test_oauth
from test_oauth import cli, mint_code, oauth_config, oauth_mount, write_config
from test_oauth_safety import as_nobody, open_path_to
from writekit import WRITE_TARGET, all_writes, read, writes

pytestmark = writekit.NEEDS_WRITE
oauth_fake = test_oauth.oauth_fake  # fixture
SCOPE = "Scope = READ_SHEETS WRITE_SHEETS\n"


def write_opts(tmp_path, base="cache_ttl=0"):
    state = tempfile.mkdtemp(prefix="state-", dir=str(tmp_path))
    return "%s,write,state_dir=%s" % (base, state)


def target(m):
    return m.path("workspaces", "Write Tests", "Write Target.csv")


def test_other_users_cannot_write(mount_factory, fresh_fake, tmp_path):
    m = mount_factory(write_opts(tmp_path, "cache_ttl=1,allow_other,"
                                           "umask=0"))
    open_path_to(m.mnt)
    p = target(m)
    text = read(p)
    assert os.stat(p).st_mode & 0o777 == 0o777   # the bits are no guard
    n0 = len(fresh_fake.log())
    for cmd in ("echo 'x' >> '%s'" % p,
                "cat '%s' > /dev/null && cp '%s' /tmp/wt-copy.csv && "
                "cp /tmp/wt-copy.csv '%s'" % (p, p, p),
                "truncate -s 0 '%s'" % p):
        r = as_nobody(cmd)
        assert r.returncode != 0, cmd
        assert b"Permission denied" in r.stderr, (cmd, r.stderr)
    # Others may read.
    r = as_nobody("cat '%s'" % p)
    assert r.returncode == 0 and r.stdout.decode() == text
    assert all_writes(fresh_fake, n0) == []
    # The mounting user may write.
    assert writekit.bash("echo 'mine' >> '%s'" % p).returncode == 0
    assert len(writes(fresh_fake, n0, WRITE_TARGET)) == 1


def authorized(mount_factory, tmp_path, fake, scope, extra=""):
    """A token of that scope from `auth exchange` (config with extra),
    then a writable mount sharing it."""
    settings = str(tmp_path / "state" / "OAuthSettings.txt")
    config = write_config(str(tmp_path / "oauth.ini"),
                          oauth_config(fake, settings, extra=extra))
    assert cli(config, "exchange", mint_code(fake, scope)).returncode == 0
    return oauth_mount(mount_factory, tmp_path, fake, settings=settings,
                       opts=write_opts(tmp_path), extra=extra)


def test_oauth_read_scope_cannot_write(mount_factory, tmp_path, oauth_fake):
    m = authorized(mount_factory, tmp_path, oauth_fake, "READ_SHEETS")
    m.allow(r"warning: write-back .*Write Target\.csv.*failed \(EACCES\)")
    p = target(m)
    read(p)
    n0 = len(oauth_fake.log())
    r = writekit.bash("echo 'x' >> '%s'" % p)
    assert r.returncode != 0
    assert b"Permission denied" in r.stderr, r.stderr
    assert all_writes(oauth_fake, n0) == []
    status = read(m.path(".auth", "status"))
    assert re.search(r"^write-back: refused: the OAuth token has no "
                     r"WRITE_SHEETS scope", status, re.M), status


def test_oauth_write_scope_writes(mount_factory, tmp_path, oauth_fake):
    m = authorized(mount_factory, tmp_path, oauth_fake,
                   "READ_SHEETS WRITE_SHEETS", extra=SCOPE)
    p = target(m)
    read(p)
    n0 = len(oauth_fake.log())
    r = writekit.bash("echo 'from oauth' >> '%s'" % p)
    assert r.returncode == 0, r.stderr
    w = writes(oauth_fake, n0, WRITE_TARGET)
    assert [e["method"] for e in w] == ["POST"]
    assert w[0]["body"][0]["cells"][0]["value"] == "from oauth"
    status = read(m.path(".auth", "status"))
    assert re.search(r"^write-back: on$", status, re.M), status
