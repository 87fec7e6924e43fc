"""Integration fixtures: the fake Smartsheet server and real FUSE mounts.

Every test here mounts build/smartsheetfs (or $SSFS_BIN) on a temporary folder
against tests/support/fake_smartsheet.py on 127.0.0.1, and checks what a
shell user sees. Everything started is stopped at teardown.
"""
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The fakes and the oracle (tests/support/) are not the product's tests.
SUPPORT = os.path.join(ROOT, "tests", "support")
sys.path.insert(0, SUPPORT)
BIN = os.environ.get("SSFS_BIN", os.path.join(ROOT, "build", "smartsheetfs"))
TOKEN = "test-token-0123456789"
FAKE = os.path.join(SUPPORT, "fake_smartsheet.py")

# Daemon stderr lines that fail a test unless the test registers them.
BAD_OUTPUT = re.compile(
    r"AddressSanitizer|runtime error|LeakSanitizer|^==\d+==|"
    r"Assertion|Segmentation", re.M)


def have_fuse():
    return os.path.exists("/dev/fuse") and shutil.which("fusermount3")


if not have_fuse():
    pytest.skip("no /dev/fuse or fusermount3", allow_module_level=True)


class Fake:
    """A running fake Smartsheet server and its control API."""

    def __init__(self, tmp, args=()):
        self.tmp = tmp
        port_file = os.path.join(tmp, "fake.port")
        self.log_path = os.path.join(tmp, "fake.stderr")
        self.stderr = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", FAKE, "--port-file", port_file,
             "--parent-pid", str(os.getpid()), "--max-seconds", "1800",
             *args],
            stdout=self.stderr, stderr=self.stderr)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("fake server exited: " +
                                   open(self.log_path).read())
            try:
                with open(port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError("fake server did not start")
        self.base = "http://127.0.0.1:%d" % self.port

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def reset(self):
        self.call("POST", "/_control/reset", {})

    def log(self):
        return self.call("GET", "/_control/log")

    def clear_log(self):
        # The reset also restores sheets; the log alone is cleared by reading
        # the current length and slicing later.
        return len(self.log())

    def fault(self, **kw):
        self.call("POST", "/_control/fault", kw)

    def clear_faults(self):
        self.call("DELETE", "/_control/fault")

    def update(self, sheet_id, **kw):
        return self.call("POST", "/_control/sheets/%d/update" % sheet_id, kw)

    def sheet(self, sheet_id):
        req = urllib.request.Request(
            "%s/2.0/sheets/%d?level=2&include=objectValue" %
            (self.base, sheet_id),
            headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def sheet_list(self):
        """Every sheet of the list (page by page: this fake may ignore
        includeAll)."""
        out, page = [], 1
        while True:
            req = urllib.request.Request(
                "%s/2.0/sheets?includeAll=true&page=%d&pageSize=1000" %
                (self.base, page),
                headers={"Authorization": "Bearer " + TOKEN})
            with urllib.request.urlopen(req, timeout=30) as r:
                body = json.loads(r.read())
            out += body["data"]
            if page >= body.get("totalPages", 1):
                return out
            page += 1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.stderr.close()


class Mount:
    """smartsheetfs mounted in the foreground on a temporary folder."""

    def __init__(self, tmp, fake, opts="cache_ttl=1", config=None,
                 extra_args=(), env=None, expect_fail=False,
                 daemon_defaults=False):
        self.tmp = tmp
        self.mnt = tempfile.mkdtemp(prefix="mnt-", dir=tmp)
        self.config = os.path.join(tmp, "config.ini")
        if config is None:
            config = ("[connection]\nPersonalAccessToken = %s\n"
                      "BaseURL = %s/2.0\nTimeout = 5\n" % (TOKEN, fake.base))
        fd = os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        with os.fdopen(fd, "w") as f:
            f.write(config)
        self.err_path = os.path.join(tmp, "daemon-%d.stderr" % id(self))
        self.err = open(self.err_path, "w")
        self.allowed = []
        e = dict(os.environ)
        e.setdefault("SSFS_BACKOFF_SCALE", "0.01")
        e.setdefault("SSFS_RATE_PER_MIN", "0")
        e.pop("SMARTSHEET_ACCESS_TOKEN", None)
        # Each mount starts with its own empty disk cache (tests of the
        # disk cache pass cache_dir= to share one between mounts).
        e["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="xdg-cache-", dir=tmp)
        if env:
            e.update(env)
        # Tests count requests: nothing is fetched ahead unless a test
        # asks for it (test_prefetch.py) or wants the daemon's defaults.
        if "prefetch=" not in opts and not daemon_defaults:
            opts += ",prefetch=0"
        if "readahead=" not in opts and not daemon_defaults:
            opts += ",readahead=0"
        cmd = [BIN, "-f", "-o", "auto_unmount,config=%s,%s" %
               (self.config, opts), *extra_args, self.mnt]
        wrapper = os.environ.get("SSFS_TEST_WRAPPER")
        if wrapper:
            cmd = wrapper.split() + cmd
        self.proc = subprocess.Popen(cmd, stdout=self.err, stderr=self.err,
                                     env=e)
        if expect_fail:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("daemon exited %d: %s" %
                                   (self.proc.returncode, self.output()))
            if os.path.ismount(self.mnt):
                return
            time.sleep(0.05)
        self.umount()
        raise RuntimeError("mount did not appear: " + self.output())

    def path(self, *p):
        return os.path.join(self.mnt, *p)

    def output(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def allow(self, pattern):
        """Register daemon output that this test expects."""
        self.allowed.append(re.compile(pattern))

    def check_output(self):
        bad = []
        for line in self.output().splitlines():
            if BAD_OUTPUT.search(line) and not any(
                    a.search(line) for a in self.allowed):
                bad.append(line)
        assert not bad, "unexpected daemon output:\n" + "\n".join(bad)

    def sighup(self):
        self.proc.send_signal(signal.SIGHUP)

    def umount(self):
        if os.path.ismount(self.mnt):
            r = subprocess.run(["fusermount3", "-u", self.mnt],
                               capture_output=True, text=True)
            if r.returncode != 0:
                subprocess.run(["fusermount3", "-u", "-z", self.mnt])
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if not self.err.closed:
            self.err.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def tmpdir_mod():
    d = tempfile.mkdtemp(prefix="ssfs-test-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def fake(tmpdir_mod):
    """The default fixture account, small list pages so paging is used."""
    f = Fake(tmpdir_mod, ["--max-page-size", "5", "--ignore-include-all"])
    yield f
    f.stop()


@pytest.fixture(scope="module")
def gen_fake(tmpdir_mod):
    """The fixture account plus 24 generated sheets (about 40 in all)."""
    f = Fake(tmpdir_mod, ["--generate", "24"])
    yield f
    f.stop()


@pytest.fixture
def gfake(gen_fake):
    gen_fake.reset()
    yield gen_fake
    gen_fake.clear_faults()


@pytest.fixture
def fresh_fake(fake):
    fake.reset()
    yield fake
    fake.clear_faults()


@pytest.fixture
def mounter(tmpdir_mod):
    """Mount against any fake; every mount is unmounted at teardown and its
    stderr checked for sanitizer reports."""
    mounts = []

    def make(fake, opts="cache_ttl=1", **kw):
        m = Mount(tmpdir_mod, fake, opts=opts, **kw)
        mounts.append(m)
        return m

    yield make
    for m in mounts:
        rc = m.umount()
        m.check_output()
        if not getattr(m, "expect_nonzero", False):
            assert rc == 0, "daemon exit status %s:\n%s" % (rc, m.output())


@pytest.fixture
def mount_factory(fresh_fake, mounter):
    """Mount the default fixture account with chosen options."""
    def make(opts="cache_ttl=1", **kw):
        return mounter(fresh_fake, opts=opts, **kw)

    return make


@pytest.fixture
def mnt(mount_factory):
    return mount_factory()


def sh(cmd, **kw):
    """Run a shell command the way a user would; return CompletedProcess."""
    return subprocess.run(cmd, shell=True, capture_output=True, timeout=120,
                          **kw)


def requests_since(fake, n0, path_re=None):
    log = fake.log()[n0:]
    if path_re:
        log = [r for r in log if re.search(path_re, r["path"])]
    return log


def readable_ids(fake):
    """The ids of the sheets the fake lets us read (some answer 403)."""
    out = []
    for item in fake.sheet_list():
        try:
            fake.sheet(item["id"])
            out.append(item["id"])
        except Exception:
            pass
    return out


def read_errno(path):
    try:
        with open(path, "rb") as f:
            f.read()
    except OSError as e:
        return e.errno
    return 0


def build_shim(folder):
    """tests/support/shim/faults.c as a library to LD_PRELOAD into the
    daemon (faults no fake server can make; see the file)."""
    out = os.path.join(folder, "faults-shim.so")
    if not os.path.exists(out):
        r = subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", out,
                            os.path.join(SUPPORT, "shim", "faults.c"), "-ldl"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    return out


def preload_env(shim_path, **env):
    """The environment that preloads the shim, with env (its SHIM_*
    settings). An ASan build wants its runtime first in the library list,
    which a preloaded library is not: tell it that is fine."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    e = {"LD_PRELOAD": shim_path,
         "ASAN_OPTIONS": (asan + ":" if asan else "") +
         "verify_asan_link_order=0"}
    e.update(env)
    return e
