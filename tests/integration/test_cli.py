"""The command line: options, config errors, exit codes (SPEC §1, §2)."""
import os
import subprocess
import tempfile

from conftest import BIN, TOKEN, Mount


def run(args, env=None, timeout=60):
    e = dict(os.environ)
    e.pop("SMARTSHEET_ACCESS_TOKEN", None)
    e["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
    if env:
        e.update(env)
    return subprocess.run([BIN, *args], capture_output=True, text=True,
                          env=e, timeout=timeout)


def write(tmp, text, mode=0o600):
    p = os.path.join(tmp, "c.ini")
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(p, mode)
    return p


def test_version_names_the_libraries():
    r = run(["--version"])
    assert r.returncode == 0
    for word in ("smartsheetfs", "libfuse", "libcurl", "OpenSSL", "cJSON"):
        assert word in r.stdout, word


def test_help_lists_the_options():
    r = run(["--help"])
    assert r.returncode == 0
    for opt in ("config=", "cache_ttl=", "values=", "crlf", "uid=", "umask=",
                "allow_other", "-f", "-d", "-s", "ro"):
        assert opt in r.stdout, opt


def test_no_mountpoint_is_a_usage_error():
    r = run([])
    assert r.returncode == 1
    assert "usage" in r.stderr


def test_config_errors_name_file_and_line(tmp_path):
    p = write(str(tmp_path), "[connection]\nPersonalAccessToken = x\n"
              "Timeuot = 5\n")
    r = run(["-f", "-o", "config=" + p, str(tmp_path)])
    assert r.returncode == 2
    assert "%s:3:" % p in r.stderr
    assert "Timeout" in r.stderr  # the suggestion


def test_a_world_readable_config_with_a_secret_is_refused(tmp_path):
    p = write(str(tmp_path), "[connection]\nPersonalAccessToken = "
              "secret-value-123\n", mode=0o644)
    r = run(["-f", p, str(tmp_path)])
    assert r.returncode == 2
    assert "chmod 600" in r.stderr
    assert "secret-value-123" not in r.stderr


def test_a_missing_explicit_config_is_a_config_error(tmp_path):
    r = run(["-f", "-o", "config=/nonexistent/x.ini", str(tmp_path)])
    assert r.returncode == 2
    assert "/nonexistent/x.ini" in r.stderr


def test_bad_option_values(tmp_path, fresh_fake):
    p = write(str(tmp_path), "[connection]\nPersonalAccessToken = %s\n"
              "BaseURL = %s/2.0\n" % (TOKEN, fresh_fake.base))
    r = run(["-f", "-o", "config=%s,cache_ttl=abc" % p, str(tmp_path)])
    assert r.returncode == 2 and "cache_ttl" in r.stderr
    r = run(["-f", "-o", "config=%s,values=pretty" % p, str(tmp_path)])
    assert r.returncode == 2 and "values" in r.stderr


def test_a_rejected_token_stops_the_mount_with_status_3(tmp_path,
                                                        fresh_fake):
    p = write(str(tmp_path), "[connection]\nPersonalAccessToken = wrong\n"
              "BaseURL = %s/2.0\n" % fresh_fake.base)
    r = run(["-f", "-o", "config=" + p, str(tmp_path)])
    assert r.returncode == 3
    assert "Your Access Token is invalid" in r.stderr
    assert "wrong" not in r.stderr.replace("went wrong", "")
    assert not os.path.ismount(str(tmp_path))


def test_token_from_the_environment(tmpdir_mod, fresh_fake):
    cfg = "[connection]\nBaseURL = %s/2.0\n" % fresh_fake.base
    m = Mount(tmpdir_mod, fresh_fake, config=cfg,
              env={"SMARTSHEET_ACCESS_TOKEN": TOKEN})
    try:
        assert os.listdir(m.path("sheets"))
    finally:
        assert m.umount() == 0
    m.check_output()


def test_positional_config_form(tmpdir_mod, fresh_fake, tmp_path):
    p = write(str(tmp_path), "[connection]\nPersonalAccessToken = %s\n"
              "BaseURL = %s/2.0\n" % (TOKEN, fresh_fake.base))
    mnt = tempfile.mkdtemp(dir=tmpdir_mod)
    proc = subprocess.Popen([BIN, p, mnt, "-o", "auto_unmount"],
                            stderr=subprocess.PIPE)
    # Without -f it daemonizes: the parent exits 0 once mounted.
    assert proc.wait(30) == 0
    try:
        assert os.path.ismount(mnt)
        assert os.listdir(os.path.join(mnt, "sheets"))
        with open("/proc/self/mountinfo") as f:
            line = [l for l in f if mnt in l][0]
        assert "fuse.smartsheetfs" in line and "smartsheet" in line
    finally:
        subprocess.run(["fusermount3", "-u", mnt], check=True)


def test_unreachable_api_still_mounts_offline(tmpdir_mod, fresh_fake):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    cfg = ("[connection]\nPersonalAccessToken = %s\n"
           "BaseURL = http://127.0.0.1:%d/2.0\nTimeout = 2\n" % (TOKEN, port))
    m = Mount(tmpdir_mod, fresh_fake, config=cfg)
    m.allow_unreachable(r"Failed to connect to 127\.0\.0\.1 port %d after "
                        r"\d+ ms: Couldn't connect to server" % port)
    try:
        status = open(m.path(".auth", "status")).read()
        assert "network: offline since" in status
        import errno
        try:
            os.listdir(m.path("sheets"))
            assert False, "listing should fail"
        except OSError as e:
            assert e.errno == errno.EIO
    finally:
        assert m.umount() == 0
    m.check_output()


def test_a_missing_mountpoint_is_a_mount_failure(tmp_path, fresh_fake):
    cfg = tmp_path / "c.ini"
    cfg.write_text("[connection]\nPersonalAccessToken = %s\nBaseURL = "
                   "%s/2.0\n" % (TOKEN, fresh_fake.base))
    cfg.chmod(0o600)
    r = run([str(cfg), str(tmp_path / "not-there")])
    assert r.returncode == 5
    assert "not-there: No such file or directory" in r.stderr
