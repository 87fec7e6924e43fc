"""OAuth and the .auth/ files under stress (issue 11): other local users
cannot authorize or refresh a mount, a rotated pair is never lost to an
unmount in the middle of a refresh, and a pair in use whose save failed is
never swapped for the dead one still in the settings file."""
import os
import stat
import subprocess
import time

from conftest import (build_shim, preload_env, refused_read_line,
                      requests_since)
from test_oauth import (bash, cli, conf, mint_code, oauth_fake,  # noqa: F401
                        oauth_mount, oauth_state)

NOBODY = 65534


def as_nobody(cmd):
    return subprocess.run(["setpriv", "--reuid=%d" % NOBODY,
                           "--regid=%d" % NOBODY, "--clear-groups",
                           "bash", "-c", cmd],
                          capture_output=True, timeout=60)


def open_path_to(path):
    """Let other users reach a mount point inside our 0700 temp folders."""
    d = os.path.dirname(path)
    while d not in ("/", "/tmp"):
        os.chmod(d, os.stat(d).st_mode | 0o111)
        d = os.path.dirname(d)


def test_other_users_cannot_write_auth_files(mount_factory, tmp_path,
                                             oauth_fake):
    m = oauth_mount(mount_factory, tmp_path, oauth_fake,
                    opts="cache_ttl=1,allow_other,umask=0")
    open_path_to(m.mnt)
    verifier = m.path(".auth", "verifier")
    refresh = m.path(".auth", "refresh")
    # umask=0 opens the mode bits to everyone: they are not the guard.
    assert stat.S_IMODE(os.stat(verifier).st_mode) == 0o777
    code = mint_code(oauth_fake)
    n0 = len(oauth_fake.log())
    for cmd in ("echo %s > %s" % (code, verifier),
                "echo now > %s" % refresh,
                "echo %s >> %s" % (code, verifier),
                "truncate -s 0 %s" % verifier):
        r = as_nobody(cmd)
        assert r.returncode != 0, cmd
        assert b"Permission denied" in r.stderr, (cmd, r.stderr)
    assert requests_since(oauth_fake, n0, r"^/2.0/token$") == []
    assert "state: waiting for a code" in open(
        m.path(".auth", "status")).read()
    # Others may still read what is meant to be read.
    r = as_nobody("cat %s" % m.path(".auth", "status"))
    assert r.returncode == 0 and b"state:" in r.stdout
    # The mounting user's code still works, once.
    assert bash("echo %s > %s" % (code, verifier)).returncode == 0
    assert os.listdir(m.path("by-id"))
    assert oauth_state(oauth_fake)["exchanges"] == 1


def wait_for(pred, limit_s, step=0.05):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def test_unmount_during_a_refresh_on_a_warmup_thread_keeps_the_pair(
        mount_factory, tmp_path, oauth_fake, conf):
    config, settings = conf
    # Tokens that need a refresh 5.4 s after the exchange (a tenth of
    # their life before expiry): by then only the warm-up makes requests.
    oauth_fake.call("POST", "/_control/oauth", {"access_ttl_s": 6})
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    # The token endpoint rotates the pair, then takes 3 s to answer.
    oauth_fake.fault(path="^/2.0/token$", method="POST", kind="slow",
                     delay_ms=3000)
    m = oauth_mount(mount_factory, tmp_path, oauth_fake, settings=settings,
                    opts="cache_ttl=60,prefetch=120")
    m.allow(refused_read_line())  # the warm-up meets the restricted sheet
    # The fake logs a request when it answers: watch its count of
    # rotations instead, which moves before the 3 s wait.
    assert wait_for(lambda: oauth_state(oauth_fake)["refreshes"] == 1, 20)
    assert "warm-up: all" not in open(m.path(".auth", "status")).read()
    assert m.umount() == 0, m.output()
    m.check_output()
    assert oauth_state(oauth_fake)["refreshes"] == 1
    # The rotated pair reached the settings file: a new mount works.
    oauth_fake.clear_faults()
    m2 = oauth_mount(mount_factory, tmp_path, oauth_fake, settings=settings,
                     opts="cache_ttl=60")
    assert os.listdir(m2.path("by-id"))
    assert "state: authorized" in open(m2.path(".auth", "status")).read()
    assert oauth_state(oauth_fake)["failures"] == {}


def test_a_pair_not_saved_is_not_swapped_for_the_files(
        mount_factory, tmp_path, oauth_fake, conf):
    config, settings = conf
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    shim = build_shim(str(tmp_path))
    m = oauth_mount(mount_factory, tmp_path, oauth_fake, settings=settings,
                    opts="cache_ttl=0",
                    env=preload_env(shim, SHIM_FAIL_RENAME_TO=settings))
    m.allow(r"cannot save the OAuth tokens")
    assert os.listdir(m.path("by-id"))
    # A refresh whose pair cannot be saved: in use, the file keeps the
    # old pair, which Smartsheet killed when it rotated.
    flag = settings + ".failrename"
    open(flag, "w").close()
    assert bash("echo now > %s" % m.path(".auth", "refresh")
                ).returncode == 0
    assert "tokens not saved" in open(m.path(".auth", "status")).read()
    os.unlink(flag)
    # The next refresh starts from the pair in use, not the file's.
    r = bash("echo now > %s" % m.path(".auth", "refresh"))
    assert r.returncode == 0, r.stderr
    st = oauth_state(oauth_fake)
    assert st["refreshes"] == 2 and st["failures"] == {}, st
    assert os.listdir(m.path("by-id"))
    status = open(m.path(".auth", "status")).read()
    assert "state: authorized" in status and "not saved" not in status
    # And the file now holds the live pair: the CLI can refresh with it.
    assert cli(config, "refresh").returncode == 0
