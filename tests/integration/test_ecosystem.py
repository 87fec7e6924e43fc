"""The Unix mount ecosystem: --help / man page / README agreement, --version,
make install into a DESTDIR, the systemd units, fstab through mount.fuse3,
proxy and custom CA, stderr vs syslog logging, and `config import`.

Mounts made through mount(8) and the syslog test run in a private mount
namespace (unshare -m): /usr/local/bin there holds the freshly installed
binary (mount clears PATH, so mount.fuse3 finds smartsheetfs only in the
standard places) and /dev/log can be ours, and nothing of it is visible
outside or outlives the test.
"""
import atexit
import csv
import errno
import io
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import BIN, HERE, ROOT, TOKEN, Fake, read_errno
from fake_proxy import FakeProxy

PROXY_VARS = ("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
              "ALL_PROXY", "no_proxy", "NO_PROXY")


_CACHE_HOMES = []


@atexit.register
def _remove_cache_homes():
    for d in _CACHE_HOMES:
        shutil.rmtree(d, ignore_errors=True)


def daemon_env(extra=None):
    e = dict(os.environ)
    # A disk cache of its own: what other tests read must not be served.
    _CACHE_HOMES.append(tempfile.mkdtemp(prefix="ssfs-xdg-cache-"))
    e["XDG_CACHE_HOME"] = _CACHE_HOMES[-1]
    e.setdefault("SSFS_BACKOFF_SCALE", "0.01")
    e.setdefault("SSFS_RATE_PER_MIN", "0")
    e.pop("SMARTSHEET_ACCESS_TOKEN", None)
    for v in PROXY_VARS:
        e.pop(v, None)
    if extra:
        e.update(extra)
    return e


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def token_config(base, extra=""):
    return ("[connection]\nPersonalAccessToken = %s\nBaseURL = %s/2.0\n"
            "Timeout = 5\n%s" % (TOKEN, base, extra))


def readable_sheet(fake):
    for item in fake.sheet_list():
        try:
            return item, fake.sheet(item["id"])
        except Exception:
            continue
    raise AssertionError("no readable sheet")


def csv_header(data):
    return next(csv.reader(io.StringIO(data.decode())))


def make_install(destdir, *args):
    """make install (or uninstall) of the binary under test, without
    rebuilding it (-o) and without git (VERSION)."""
    build = os.path.dirname(os.path.abspath(BIN))
    target = args[0] if args and args[0] in ("install", "uninstall") \
        else "install"
    rest = [a for a in args if a not in ("install", "uninstall")]
    r = subprocess.run(
        ["make", "-s", "-C", ROOT, "BUILD=" + build, "-o", BIN,
         "VERSION=test", "DESTDIR=" + destdir, *rest, target],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def have_unshare():
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                       capture_output=True, timeout=10)
    return r.returncode == 0


def proc_pids_with(needle):
    """Our daemons: processes whose command line mentions needle (a unique
    temporary path)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open("/proc/%s/stat" % d) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmd and state not in ("Z", "X"):
            pids.append(int(d))
    return pids


def kill_leftovers(needle):
    for pid in proc_pids_with(needle):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def run_in_namespace(script, env, timeout=40):
    """Run a sh script in a private mount namespace."""
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True, text=True, env=env, timeout=timeout)


# A shell function for the namespace scripts: wait until no process of
# ours (command line mentions $1) is left, for up to 10 s.
WAIT_GONE = r'''
wait_gone() {
    i=0
    while [ $i -lt 100 ]; do
        alive=0
        for p in /proc/[0-9]*; do
            st=$(cut -d')' -f2 "$p/stat" 2>/dev/null | cut -d' ' -f2)
            [ -n "$st" ] && [ "$st" != Z ] || continue
            if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "^smartsheetfs .*$1"; then
                alive=1
            fi
        done
        [ $alive = 0 ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
'''


# ---------------------------------------------------------------------------
# --help, the man page, the README, --version
# ---------------------------------------------------------------------------

def help_options():
    r = subprocess.run([BIN, "--help"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0
    ours = r.stdout.split("FUSE options:")[0]
    opts = set()
    for line in ours.splitlines():
        m = re.match(r"    (\S.*?)(?:\s{2,}|$)", line)
        if not m:
            continue
        col = m.group(1)
        opts.update("-o " + n for n in re.findall(r"-o ([a-z_]+)", col))
        col = re.sub(r"-o [a-z_]+\S*", "", col)
        opts.update(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", col))
    return opts


def normalized_man():
    with open(os.path.join(ROOT, "man", "smartsheetfs.1")) as f:
        text = f.read()
    text = re.sub(r"\\f[BIRP]", "", text)
    text = text.replace("\\-", "-").replace("\\&", "").replace('"', "")
    return text


def mentions(text, opt):
    if opt.startswith("-o "):
        pat = r"-o\s+%s(?![a-z_])" % re.escape(opt[3:])
    else:
        pat = r"(?<![\w-])%s(?![\w-])" % re.escape(opt)
    return re.search(pat, text) is not None


def test_every_help_option_is_in_the_man_page_and_the_readme():
    opts = help_options()
    # The parse found the list (a broken parse must not pass vacuously).
    for o in ("-o config", "--config", "-o cache_ttl", "-o values", "-o crlf",
              "-o uid", "-o gid", "-o umask", "-o ro", "-o allow_other",
              "-o verbose", "-o quiet", "-f", "-d", "-s", "-h", "--help",
              "-V", "--version", "--output", "--force"):
        assert o in opts, (o, sorted(opts))
    man = normalized_man()
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    missing = [("man", o) for o in sorted(opts) if not mentions(man, o)]
    missing += [("README", o) for o in sorted(opts)
                if not mentions(readme, o)]
    assert not missing, missing
    # allow_other is documented with what it needs.
    assert "user_allow_other" in man and "user_allow_other" in readme


def test_help_gives_every_option_a_default_or_a_meaning():
    r = subprocess.run([BIN, "--help"], capture_output=True, text=True,
                       timeout=10)
    ours = r.stdout.split("FUSE options:")[0]
    for opt in ("cache_ttl", "values", "crlf", "uid", "gid", "umask", "ro",
                "allow_other", "verbose", "quiet", "-f ", "-s "):
        block = ours[ours.index(opt):]
        entry = block.split("\n    -")[0]
        assert "default" in entry, entry


def test_version_names_every_library_with_its_version():
    r = subprocess.run([BIN, "--version"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0
    lines = {l.split(" ", 1)[0]: l for l in r.stdout.splitlines()}
    for name in ("smartsheetfs", "libfuse", "libcurl", "OpenSSL", "cJSON",
                 "inih"):
        assert name in lines, r.stdout
        # Our own version is whatever VERSION the build had ("dev" too).
        pat = r" \S+" if name == "smartsheetfs" else r" \S*\d"
        assert re.search(pat, lines[name]), lines[name]
    if shutil.which("pkg-config"):
        want = subprocess.run(["pkg-config", "--modversion", "inih"],
                              capture_output=True, text=True).stdout.strip()
        if want:
            assert lines["inih"] == "inih " + want


def test_man_page_renders_without_warnings():
    if not shutil.which("groff"):
        pytest.skip("groff is not installed (apt-get install groff-base)")
    r = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z",
         os.path.join(ROOT, "man", "smartsheetfs.1")],
        capture_output=True, text=True, timeout=30,
        env=dict(os.environ, LC_ALL="C.UTF-8"))
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    page = subprocess.run(
        ["groff", "-man", "-Tutf8", os.path.join(ROOT, "man",
                                                  "smartsheetfs.1")],
        capture_output=True, timeout=30).stdout.decode()
    page = re.sub(".\b", "", page)
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS",
                    "CONFIGURATION", "FILES", "AUTH", "EXIT STATUS",
                    "ENVIRONMENT", "EXAMPLES", "SEE ALSO"):
        assert re.search(r"(?m)^%s$" % section, page), section


def test_man_page_lists_every_configuration_key():
    man = normalized_man()
    with open(os.path.join(ROOT, "config", "props.c")) as f:
        keys = re.findall(r'\{"(\w+)", CFG_PROP_', f.read())
    assert len(keys) > 20
    assert [k for k in keys if k not in man] == []


# ---------------------------------------------------------------------------
# make install / uninstall, systemd units
# ---------------------------------------------------------------------------

def test_make_install_and_uninstall_into_a_destdir(tmp_path):
    d = str(tmp_path / "root")
    make_install(d, "PREFIX=/usr/local")
    files = {
        "usr/local/bin/smartsheetfs": 0o755,
        "usr/local/share/man/man1/smartsheetfs.1": 0o644,
        "usr/local/lib/systemd/system/smartsheetfs@.service": 0o644,
        "usr/local/lib/systemd/user/smartsheetfs@.service": 0o644,
        "etc/smartsheetfs/config.ini.example": 0o600,
    }
    for rel, mode in files.items():
        p = os.path.join(d, rel)
        assert os.path.isfile(p), rel
        assert stat.S_IMODE(os.stat(p).st_mode) == mode, (rel, oct(mode))
    with open(os.path.join(d, "usr/local/bin/smartsheetfs"), "rb") as a, \
            open(BIN, "rb") as b:
        assert a.read() == b.read()
    with open(os.path.join(d, "usr/local/share/man/man1/smartsheetfs.1")) \
            as a, \
            open(os.path.join(ROOT, "man", "smartsheetfs.1")) as b:
        assert a.read() == b.read()
    for unit in ("system", "user"):
        with open(os.path.join(d, "usr/local/lib/systemd", unit,
                               "smartsheetfs@.service")) as f:
            text = f.read()
        assert "@BINDIR@" not in text and "@SYSCONFDIR@" not in text
        assert re.search(r"(?m)^ExecStart=/usr/local/bin/smartsheetfs -f ",
                         text)
        assert re.search(r"(?m)^ExecStop=/bin/fusermount3 -u ", text)
        assert re.search(r"(?m)^ExecStartPre=-/bin/fusermount3 -uz ", text)
        assert re.search(r"(?m)^Restart=on-failure$", text)
        assert "XDG_CONFIG_HOME=" in text and "XDG_CACHE_HOME=" in text
    # The example is a configuration the daemon reads (placeholder token;
    # a loopback BaseURL where nothing listens): it gets past the
    # configuration, comes up offline, and stops at the missing mount point.
    with open(os.path.join(d, "etc/smartsheetfs/config.ini.example")) as f:
        example = f.read()
    assert example.count("[connection]\n") == 1
    ex = write_private(str(tmp_path / "example.ini"), example.replace(
        "[connection]\n", "[connection]\nBaseURL = http://127.0.0.1:9/2.0\n"))
    r = subprocess.run([BIN, "-f", ex, str(tmp_path / "no-such-mnt")],
                       env=daemon_env({"XDG_CONFIG_HOME": str(tmp_path)}),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 5, r.stderr
    assert "mounting offline" in r.stderr
    assert "no-such-mnt: No such file or directory" in r.stderr

    # Another PREFIX moves everything but the configuration.
    d2 = str(tmp_path / "opt")
    make_install(d2, "PREFIX=/opt/ssfs")
    assert os.path.isfile(os.path.join(d2, "opt/ssfs/bin/smartsheetfs"))
    with open(os.path.join(d2, "opt/ssfs/lib/systemd/system/"
                           "smartsheetfs@.service")) as f:
        assert "ExecStart=/opt/ssfs/bin/smartsheetfs -f" in f.read()

    # Uninstall removes what install put there, and keeps your own files.
    mine = write_private(os.path.join(d, "etc/smartsheetfs/work.ini"), "x")
    make_install(d, "uninstall", "PREFIX=/usr/local")
    left = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs]
    assert left == [mine]
    os.unlink(mine)
    make_install(d, "uninstall", "PREFIX=/usr/local")  # twice is fine
    assert not os.path.exists(os.path.join(d, "etc/smartsheetfs"))


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    rt = tmp_path / "run"
    rt.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(rt))

    def verify(path, user=False):
        return subprocess.run(
            ["systemd-analyze", "verify", "--man=no"] +
            (["--user"] if user else []) + [path],
            capture_output=True, text=True, timeout=60, env=env)

    # A unit known to be good first: if that fails here, the machine
    # cannot run verify at all (no systemd manager possible).
    good = tmp_path / "ctl" / "ssfs-control@.service"
    good.parent.mkdir()
    good.write_text("[Service]\nExecStart=/bin/true\n")
    for user in (False, True):
        r = verify(str(good.parent / "ssfs-control@x.service"), user)
        if r.returncode != 0:
            pytest.skip("systemd-analyze verify does not work here: " +
                        r.stderr.strip()[:200])
    # Installed with BINDIR = where the binary under test is, so the
    # ExecStart path exists.
    d = str(tmp_path / "root")
    make_install(d, "PREFIX=/usr/local",
                 "BINDIR=" + os.path.dirname(os.path.abspath(BIN)))
    sysd = os.path.join(d, "usr/local/lib/systemd/system")
    r = verify(os.path.join(sysd, "smartsheetfs@work.service"))
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    userd = os.path.join(d, "usr/local/lib/systemd/user")
    r = verify(os.path.join(userd, "smartsheetfs@work.service"), True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    # The check catches a broken unit (it is not a no-op).
    bad = tmp_path / "bad" / "smartsheetfs@.service"
    bad.parent.mkdir()
    with open(os.path.join(sysd, "smartsheetfs@.service")) as f:
        bad.write_text(f.read().replace(os.path.abspath(BIN),
                                        "/nonexistent/smartsheetfs"))
    assert verify(str(bad.parent / "smartsheetfs@work.service")
                  ).returncode != 0


# ---------------------------------------------------------------------------
# fstab and mount.fuse3
# ---------------------------------------------------------------------------

def test_fstab_noise_options_are_accepted(mount_factory):
    m = mount_factory("cache_ttl=1,defaults,rw,dev,suid,exec,auto,noauto,"
                      "user,users,nouser,_netdev,nofail,comment=test,"
                      "x-systemd.automount,x-systemd.mount-timeout=30,"
                      "x-systemd.requires=network-online.target")
    assert sorted(os.listdir(m.mnt)) == [".auth", "by-id", "reports", "sheets",
                                         "workspaces"]


def test_fstab_and_mount_t_through_mount_fuse3(tmp_path, fresh_fake):
    if not have_unshare():
        pytest.skip("unshare -m does not work here")
    if not shutil.which("mount.fuse3") and not os.path.exists(
            "/sbin/mount.fuse3"):
        pytest.skip("mount.fuse3 is not installed")
    if not os.path.isdir("/usr/local/bin"):
        pytest.skip("no /usr/local/bin to stand in for")
    item, sheet = readable_sheet(fresh_fake)
    tmp = str(tmp_path)
    dest = os.path.join(tmp, "root")
    make_install(dest, "PREFIX=/usr/local")
    config = write_private(os.path.join(tmp, "c.ini"),
                           token_config(fresh_fake.base))
    mnts = [os.path.join(tmp, "m%d" % i) for i in (1, 2, 3)]
    for p in mnts:
        os.mkdir(p)
    fstab = os.path.join(tmp, "fstab")
    with open(fstab, "w") as f:
        f.write("# test fstab\n"
                "%s %s fuse.smartsheetfs defaults,_netdev,nofail,"
                "x-systemd.automount,x-systemd.mount-timeout=30,"
                "comment=x,cache_ttl=5 0 0\n"
                "%s %s fuse.smartsheetfs noauto,_netdev,users,"
                "allow_other 0 0\n" % (config, mnts[0], config, mnts[1]))
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    name = "%d.csv" % item["id"]
    script = WAIT_GONE + r'''
set -u
fail() { echo "FAIL: $*"; exit 1; }
mount --bind "$DEST/usr/local/bin" /usr/local/bin || fail bind
mount -a -T "$FSTAB" || fail "mount -a"
grep -q " $M1 " /proc/self/mountinfo || fail "m1 not mounted"
grep -q " $M2 " /proc/self/mountinfo && fail "noauto m2 mounted by -a"
mount -T "$FSTAB" "$M2" || fail "mount m2"
mount -t fuse.smartsheetfs "$CONFIG" "$M3" -o ro,nofail,cache_ttl=2 || fail "mount -t"
for m in "$M1" "$M2" "$M3"; do
    grep -F " $m " /proc/self/mountinfo >>"$OUT/mountinfo"
done
cat "$M1/by-id/$NAME" >"$OUT/1.csv" || fail "read m1"
cat "$M2/by-id/$NAME" >"$OUT/2.csv" || fail "read m2"
cat "$M3/by-id/$NAME" >"$OUT/3.csv" || fail "read m3"
for p in /proc/[0-9]*; do
    c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)
    case "$c" in "smartsheetfs $CONFIG "*) echo "${p#/proc/} $c" >>"$OUT/daemons";; esac
done
umount "$M1" || fail "umount m1"
fusermount3 -u "$M2" || fail "fusermount3 -u m2"
fusermount3 -u "$M3" || fail "fusermount3 -u m3"
wait_gone "$TMP" || fail "a daemon is still running after the unmount"
grep -q "$TMP/m" /proc/self/mountinfo && fail "still mounted"
echo OK
'''
    env = daemon_env({"DEST": dest, "FSTAB": fstab, "CONFIG": config,
                      "M1": mnts[0], "M2": mnts[1], "M3": mnts[2],
                      "OUT": out, "NAME": name, "TMP": tmp})
    try:
        r = run_in_namespace(script, env)
    finally:
        kill_leftovers(tmp)
    assert r.stdout.strip().endswith("OK"), r.stdout + r.stderr
    want = [c["title"] for c in sheet["columns"]]
    for i in (1, 2, 3):
        with open(os.path.join(out, "%d.csv" % i), "rb") as f:
            data = f.read()
        assert csv_header(data) == want
    with open(os.path.join(out, "mountinfo")) as f:
        info = f.read().splitlines()
    assert len(info) == 3
    for line in info:
        assert " - fuse.smartsheetfs smartsheet " in line, line
    assert "allow_other" in info[1]
    assert " ro," in info[2] or " ro " in info[2]
    with open(os.path.join(out, "daemons")) as f:
        daemons = f.read()
    # mount.fuse3 ran our binary as `smartsheetfs CONFIG MOUNTPOINT -o ...`;
    # the fstab-only options never reached it, ours did.
    assert daemons.count("smartsheetfs %s " % config) == 3, daemons
    assert "cache_ttl=5" in daemons and "x-systemd" not in daemons


# ---------------------------------------------------------------------------
# Proxy and TLS
# ---------------------------------------------------------------------------

class TlsFake(Fake):
    """The fake server behind HTTPS with a self-signed certificate."""

    def __init__(self, tmp):
        self.cert = os.path.join(tmp, "cert.pem")
        key = os.path.join(tmp, "key.pem")
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-subj", "/CN=127.0.0.1", "-addext",
             "subjectAltName=IP:127.0.0.1", "-days", "2",
             "-keyout", key, "-out", self.cert],
            capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        super().__init__(tmp, ["--tls-cert", self.cert, "--tls-key", key])
        self.base = "https://127.0.0.1:%d" % self.port
        self.ctx = ssl.create_default_context(cafile=self.cert)

    def call(self, method, path, body=None):
        import json
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30, context=self.ctx) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def first_id(self):
        req = urllib.request.Request(
            self.base + "/2.0/sheets?includeAll=true",
            headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(req, timeout=30, context=self.ctx) as r:
            import json
            return json.loads(r.read())["data"][0]["id"]


@pytest.fixture(scope="module")
def tls_fake(tmpdir_mod):
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is not installed")
    d = tempfile.mkdtemp(prefix="tls-", dir=tmpdir_mod)
    f = TlsFake(d)
    yield f
    f.stop()


def test_proxy_server_with_basic_auth(mounter, fresh_fake):
    password = "pr0xy-Pa55;w0rd"
    proxy = FakeProxy(user="puser", password=password).start()
    try:
        item, sheet = readable_sheet(fresh_fake)
        n0 = len(fresh_fake.log())
        m = mounter(fresh_fake, "cache_ttl=1,verbose", config=token_config(
            fresh_fake.base, "ProxyServer = 127.0.0.1\nProxyPort = %d\n"
            "ProxyUser = puser\nProxyPassword = %s\n" %
            (proxy.port, password)), env=daemon_env())
        with open(m.path("by-id", "%d.csv" % item["id"]), "rb") as f:
            assert csv_header(f.read()) == [c["title"]
                                            for c in sheet["columns"]]
        # Everything the daemon asked went through the proxy, with the
        # credentials (the proxy refuses anything else).
        assert proxy.counts.get("forward", 0) >= 3, proxy.counts
        assert proxy.counts.get("denied", 0) == 0, proxy.counts
        assert len(fresh_fake.log()) - n0 == proxy.counts["forward"]
        out = m.output()
        assert "Proxy-Authorization: (redacted)" in out  # tracing was on
        import base64
        b64 = base64.b64encode(("puser:" + password).encode()).decode()
        with open("/proc/%d/cmdline" % m.proc.pid, "rb") as f:
            cmdline = f.read().decode(errors="replace")
        for secret in (password, b64, TOKEN):
            assert secret not in out and secret not in cmdline
    finally:
        proxy.stop()


def test_tls_with_ssl_server_cert(mounter, tls_fake):
    sid = tls_fake.first_id()
    n0 = len(tls_fake.log())
    m = mounter(tls_fake, config=token_config(
        tls_fake.base, "SSLServerCert = %s\n" % tls_fake.cert),
        env=daemon_env())
    with open(m.path("by-id", "%d.json" % sid)) as f:
        assert '"id":%d,' % sid in f.readline()
    assert len(tls_fake.log()) > n0


def test_tls_without_the_cert_is_refused_and_says_why(mounter, tls_fake):
    sid = tls_fake.first_id()
    n0 = len(tls_fake.log())
    m = mounter(tls_fake, config=token_config(tls_fake.base),
                env=daemon_env())
    m.allow_unreachable(r"SSL certificate problem: self-signed certificate")
    # Up, but offline: nothing is served, and the log says why.
    assert read_errno(m.path("by-id", "%d.csv" % sid)) == errno.EIO
    out = m.output()
    assert "mounting offline" in out
    assert re.search(r"certificate", out, re.I), out
    assert len(tls_fake.log()) == n0  # no request got through
    with open(m.path(".auth", "status")) as f:
        assert "offline" in f.read()


def test_https_proxy_and_no_proxy_environment(mounter, tls_fake):
    sid = tls_fake.first_id()
    proxy = FakeProxy().start()
    try:
        config = token_config(tls_fake.base,
                              "SSLServerCert = %s\n" % tls_fake.cert)
        m = mounter(tls_fake, config=config,
                    env=daemon_env({"https_proxy": proxy.url}))
        with open(m.path("by-id", "%d.csv" % sid), "rb") as f:
            assert f.read()
        tunnels = proxy.counts.get("connect", 0)
        assert tunnels >= 1, proxy.counts
        m2 = mounter(tls_fake, config=config, env=daemon_env(
            {"https_proxy": proxy.url, "no_proxy": "127.0.0.1"}))
        with open(m2.path("by-id", "%d.csv" % sid), "rb") as f:
            assert f.read()
        assert proxy.counts.get("connect", 0) == tunnels, proxy.counts
    finally:
        proxy.stop()


# ---------------------------------------------------------------------------
# Logging: stderr in the foreground, syslog when daemonized
# ---------------------------------------------------------------------------

def fault_sheet(fake):
    item, _ = readable_sheet(fake)
    fake.fault(path="^/2.0/sheets/%d$" % item["id"], times=1, status=500,
               errorCode=4000, message="Unexpected trouble")
    return item["id"]


FAILURE_LINE = (r"GET /sheets/%d: HTTP 500, errorCode 4000, "
                r"refId [a-z0-9]+: Unexpected trouble$")


def test_foreground_log_levels_and_failure_lines(mount_factory, fresh_fake):
    # Default level: info and errors, no debug.
    m = mount_factory("cache_ttl=0")
    sid = fault_sheet(fresh_fake)
    m.allow(FAILURE_LINE % sid)
    assert read_errno(m.path("by-id", "%d.csv" % sid)) == errno.EIO
    lines = m.output().splitlines()
    assert any(l.startswith("smartsheetfs: info: mounted on ") for l in lines)
    assert not any(l.startswith("smartsheetfs: debug:") for l in lines)
    fails = [l for l in lines if "errorCode 4000" in l]
    assert len(fails) == 1, lines  # one line per failure the user saw
    assert re.match(r"smartsheetfs: error: " + FAILURE_LINE % sid, fails[0])

    # quiet: errors only.
    q = mount_factory("cache_ttl=0,quiet")
    q.allow(FAILURE_LINE % sid)
    fault_sheet(fresh_fake)
    assert read_errno(q.path("by-id", "%d.csv" % sid)) == errno.EIO
    lines = q.output().splitlines()
    assert lines and all(l.startswith("smartsheetfs: error: ")
                         for l in lines), lines

    # verbose: debug lines too, with the HTTP trace redacted.
    v = mount_factory("cache_ttl=0,verbose")
    assert os.listdir(v.path("by-id"))
    out = v.output()
    assert "smartsheetfs: debug: " in out
    assert "Authorization: Bearer (redacted)" in out
    for out in (m.output(), q.output(), v.output()):
        assert TOKEN not in out


def test_daemonized_logs_go_to_syslog(tmp_path, fresh_fake):
    """Without -f the daemon's messages go to syslog (/dev/log), none to
    the terminal. /dev/log is a socket of ours: bound at /dev/log when the
    machine has none, else bound over it in a private mount namespace."""
    if not have_unshare():
        pytest.skip("unshare -m does not work here")
    tmp = str(tmp_path)
    ours_at_dev_log = not os.path.lexists("/dev/log")
    sock_path = "/dev/log" if ours_at_dev_log else os.path.join(tmp, "log")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.setblocking(False)
    sock_ino = os.stat(sock_path).st_ino
    sid = fault_sheet(fresh_fake)
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    config = write_private(os.path.join(tmp, "c.ini"),
                           token_config(fresh_fake.base))
    script = WAIT_GONE + r'''
set -u
fail() { echo "FAIL: $*"; exit 1; }
if [ "$BIND" = 1 ]; then mount --bind "$SOCK" /dev/log || fail bind; fi
"$BIN" "$CONFIG" "$MNT" -o cache_ttl=0,prefetch=0 2>"$TMP/stderr" || fail "mount"
grep -q " $MNT " /proc/self/mountinfo || fail "not mounted"
ls "$MNT/sheets" >/dev/null || fail "ls"
cat "$MNT/by-id/$SID.csv" >/dev/null 2>&1 && fail "the faulted read worked"
fusermount3 -u "$MNT" || fail "fusermount3 -u"
wait_gone "$MNT" || fail "the daemon is still running"
echo OK
'''
    env = daemon_env({"BIND": "0" if ours_at_dev_log else "1",
                      "SOCK": sock_path, "BIN": BIN, "CONFIG": config,
                      "MNT": mnt, "TMP": tmp, "SID": str(sid)})
    try:
        r = run_in_namespace(script, env)
        msgs = []
        while True:
            try:
                msgs.append(sock.recv(65536).decode(errors="replace"))
            except BlockingIOError:
                break
    finally:
        kill_leftovers(mnt)
        sock.close()
        if ours_at_dev_log and os.path.exists(sock_path) and \
                os.stat(sock_path).st_ino == sock_ino:
            os.unlink(sock_path)
    assert r.stdout.strip().endswith("OK"), r.stdout + r.stderr
    # <priority>timestamp smartsheetfs[pid]: text; facility user (8).
    parsed = []
    for msg in msgs:
        mm = re.match(r"<(\d+)>.*? smartsheetfs\[(\d+)\]: (.*)$", msg, re.S)
        assert mm, msg
        parsed.append((int(mm.group(1)), mm.group(3)))
    assert (8 + 6, "mounted on %s" % mnt) in parsed, parsed
    errors = [t for p, t in parsed if p == 8 + 3]
    assert len([t for t in errors if re.match(FAILURE_LINE % sid, t)]) == 1, \
        parsed
    assert not any(TOKEN in t for _, t in parsed)
    with open(os.path.join(tmp, "stderr")) as f:
        stderr = f.read()
    assert "mounted on" not in stderr and "errorCode" not in stderr, stderr


# ---------------------------------------------------------------------------
# config import
# ---------------------------------------------------------------------------

def ssfs(args, stdin=None, env=None, cwd=None):
    return subprocess.run([BIN, *args], input=stdin, capture_output=True,
                          text=True, timeout=30, env=daemon_env(env),
                          cwd=cwd)


def test_config_import_writes_a_private_file_that_mounts(tmp_path, mounter,
                                                         fresh_fake):
    out = str(tmp_path / "new" / "imported.ini")
    conn = ("personalaccesstoken=%s; BASEURL = %s/2.0 ;Timeout=5;"
            "CacheTTL=1;Values='display';Logfile=C:\\driver.log" %
            (TOKEN, fresh_fake.base))
    r = ssfs(["config", "import", "--output", out, "-"], stdin=conn + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "wrote %s\n" % out
    assert TOKEN not in r.stdout + r.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with open(out) as f:
        text = f.read()
    assert "PersonalAccessToken = %s\n" % TOKEN in text
    assert "BaseURL = %s/2.0\n" % fresh_fake.base in text
    assert re.search(r"\[mount\]\nCacheTTL = 1\nValues = display\n", text)
    assert "Logfile" not in text and "ignoring Logfile" in r.stderr
    # What it wrote is a working configuration.
    m = mounter(fresh_fake, config=text, env=daemon_env())
    assert os.listdir(m.path("by-id"))


def test_config_import_quoting_errors_and_replacing(tmp_path):
    d = str(tmp_path)
    out = os.path.join(d, "o.ini")
    secret = "s3cr;et 'quoted' \"x\""
    conn = ("AuthScheme=OAuth;OAuthClientId=cid;OAuthClientSecret=\"%s\";"
            "InitiateOAuth=REFRESH;OAuthSettingsLocation=tok/settings.txt;"
            "SSLServerCert='ca.pem'" %
            secret.replace('"', '""'))
    r = ssfs(["config", "import", "--output", out, conn], cwd=d)
    assert r.returncode == 0, r.stderr
    assert secret not in r.stdout + r.stderr
    assert "visible to other users" in r.stderr  # it was in argv
    with open(out) as f:
        text = f.read()
    assert "OAuthClientSecret = %s\n" % secret in text
    assert "InitiateOAuth = REFRESH\n" in text
    # Relative paths were the driver's working folder: made absolute.
    assert "OAuthSettingsLocation = %s/tok/settings.txt\n" % d in text
    assert "SSLServerCert = %s/ca.pem\n" % d in text

    # An existing file is kept without --force.
    r = ssfs(["config", "import", "--output", out, "-"],
             stdin="PersonalAccessToken=other-token-1")
    assert r.returncode == 1 and "--force" in r.stderr
    with open(out) as f:
        assert f.read() == text
    # --force replaces it atomically, still 0600, no temporary file left.
    os.chmod(out, 0o644)
    r = ssfs(["config", "import", "--force", "--output", out, "-"],
             stdin="PersonalAccessToken=other-token-1")
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        assert "PersonalAccessToken = other-token-1\n" in f.read()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert sorted(os.listdir(d)) == ["o.ini"]

    # Mistakes: exit 2, a suggestion, no value echoed, nothing written.
    bad = os.path.join(d, "bad.ini")
    for conn, want in (
            ("PersonalAccessToken=tok-123;Timout=5", "did you mean 'Timeout'"),
            ("PersonalAccessToken=tok-123;Timeout=abc", "Timeout"),
            ("PersonalAccessToken='tok-123", "quote"),
            ("PersonalAccessToken=tok-123;Region=Mars", "Region"),
            ("PersonalAccessToken=tok-123;BaseURL=http://api.example.com/2.0",
             "BaseURL: plain http would send the token in clear text"),
            ("AuthScheme=OAuth;OAuthClientSecret=tok-123",
             "OAuthClientId is missing"),
            ("PersonalAccessToken=tok-123;PERSONALACCESSTOKEN=tok-123",
             "twice"),
            ("PersonalAccessToken='tok-123 ;x'", "comment"),
            ("justatoken-123", "Name=Value")):
        r = ssfs(["config", "import", "--output", bad, "-"], stdin=conn)
        assert r.returncode == 2, (conn, r.stderr)
        assert want in r.stderr, (conn, r.stderr)
        assert "tok-123" not in r.stderr and "justatoken" not in r.stderr
        assert not os.path.exists(bad)


def test_config_import_default_path(tmp_path):
    xdg = str(tmp_path / "xdg")
    r = ssfs(["config", "import", "-"], stdin="PersonalAccessToken=t-1",
             env={"XDG_CONFIG_HOME": xdg, "SMARTSHEETFS_CONFIG": ""})
    assert r.returncode == 0, r.stderr
    p = os.path.join(xdg, "smartsheetfs", "config.ini")
    assert r.stdout == "wrote %s\n" % p
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(p)).st_mode) == 0o700
