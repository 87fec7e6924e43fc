"""Integration fixtures: the fake Smartsheet server and real FUSE mounts.

Every test here mounts build/smartsheetfs (or $SSFS_BIN) on a temporary folder
against tests/support/fake_smartsheet.py on 127.0.0.1, and checks what a
shell user sees. Everything started is stopped at teardown.
"""
import errno
import json
import os
import random
import re
import shutil
import signal
import string
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

# Daemon stderr lines that fail a test whatever it registered with allow():
# sanitizer and valgrind reports, crashes, failed assertions, and the
# messages glibc and libfuse print before they abort.
FATAL_OUTPUT = re.compile(
    r"AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer|"
    r"UndefinedBehaviorSanitizer|runtime error|^==\d+==|"
    r"SUMMARY: \w*Sanitizer|Segmentation fault|Assertion .* failed|"
    r"Invalid (read|write|free)|(Direct|Indirect) leak of|"
    r"fuse:? internal error|aborting|Aborted|"
    r"\*\*\* .* \*\*\*|double free|free\(\): invalid|malloc\(\): |"
    r"corrupted (size|double-linked)")
# Daemon stderr lines that fail a test unless the test registers them
# (STYLE T2): "smartsheetfs: error: ...", "smartsheetfs: warning: ...",
# libfuse's "fuse: ... error" lines and the like.
BAD_OUTPUT = re.compile(r"error|warning", re.I)


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

    def pages(self, path, query=""):
        """Every entry of a paged list (page by page: this fake may ignore
        includeAll)."""
        out, page = [], 1
        while True:
            req = urllib.request.Request(
                "%s/2.0/%s?%spage=%d&pageSize=1000" %
                (self.base, path, query, page),
                headers={"Authorization": "Bearer " + TOKEN})
            with urllib.request.urlopen(req, timeout=30) as r:
                body = json.loads(r.read())
            out += body["data"]
            if page >= body.get("totalPages", 1):
                return out
            page += 1

    def report_list(self):
        """Every report of GET /reports."""
        return self.pages("reports")

    def sheet_list(self):
        """Every sheet of the list."""
        return self.pages("sheets", "includeAll=true&")

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
    """smartsheetfs mounted in the foreground on a temporary folder.

    Its stderr is checked when the test ends (finish(); the mounter fixture
    and check_every_mount make sure it happens): FATAL_OUTPUT always fails,
    BAD_OUTPUT fails unless registered with allow(), and so does an exit
    status other than the expected one (expect_exit(), kill())."""

    created = []  # every Mount, for check_every_mount

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
        self.exit_status = 0        # what the daemon must exit with
        self.signals_sent = set()   # signals it may die of (kill())
        self.hung = False           # umount() had to terminate it
        self.checked = False
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
        Mount.created.append(self)
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
        """Register an error or warning line this test expects. The pattern
        must name its cause: one that matches nothing in particular (an
        empty line, random text) is refused. It never excuses FATAL_OUTPUT."""
        rx = re.compile(pattern)
        probe = "".join(random.choice(string.ascii_letters + string.digits)
                        for _ in range(24))
        for line in ("", probe, "smartsheetfs: error: " + probe,
                     "smartsheetfs: warning: " + probe):
            if rx.search(line):
                raise ValueError("allow(%r) matches %r: name the request "
                                 "or cause instead" % (pattern, line))
        self.allowed.append(rx)

    def allow_unreachable(self, cause):
        """Register the lines of a mount that starts with the API out of
        reach: its first requests fail for cause (a pattern) and it comes
        up offline."""
        self.allow(r"error: GET /(users/me|sheets): no answer: %s$" % cause)
        self.allow(r"warning: cannot reach the API \(Input/output error: "
                   r"%s\)$" % cause)

    def expect_exit(self, status):
        """The daemon is meant to exit with this status (a refused start)."""
        self.exit_status = status

    def bad_lines(self):
        """The lines of the daemon's stderr that fail the test."""
        bad = []
        for line in self.output().splitlines():
            if FATAL_OUTPUT.search(line):
                bad.append(line)
            elif BAD_OUTPUT.search(line) and not any(
                    a.search(line) for a in self.allowed):
                bad.append(line)
        return bad

    def check_output(self):
        """Fail on FATAL_OUTPUT, unregistered BAD_OUTPUT, and, once the
        daemon has exited, on an exit status other than the expected one
        (death by a signal the test did not send included). A daemon
        still running is checked again at the end of the test."""
        rc = self.proc.poll()
        self.checked = rc is not None
        bad = self.bad_lines()
        assert not bad, "unexpected daemon output:\n" + "\n".join(bad)
        if rc is None:
            return
        assert not self.hung, \
            "the daemon did not exit after the unmount and was killed"
        if rc < 0:
            assert -rc in self.signals_sent, \
                "daemon killed by %s:\n%s" % (signal.Signals(-rc).name,
                                              self.output())
        else:
            assert rc == self.exit_status, \
                "daemon exit status %s, expected %s:\n%s" % (
                    rc, self.exit_status, self.output())

    def finish(self):
        """Unmount, wait for the daemon and check what it printed."""
        self.umount()
        self.check_output()

    def sighup(self):
        self.proc.send_signal(signal.SIGHUP)

    def kill(self, sig=signal.SIGKILL):
        """Send a signal the daemon is meant to die of: its death by it
        does not fail the test."""
        self.signals_sent.add(sig)
        self.proc.send_signal(sig)

    def umount(self):
        if os.path.ismount(self.mnt):
            r = subprocess.run(["fusermount3", "-u", self.mnt],
                               capture_output=True, text=True)
            if r.returncode != 0:
                subprocess.run(["fusermount3", "-u", "-z", self.mnt])
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.hung = True
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
    finish_all(mounts)


def finish_all(mounts):
    """finish() each mount; report every failure, not only the first."""
    errors = []
    for m in mounts:
        try:
            m.finish()
        except AssertionError as e:
            errors.append("%s: %s" % (m.mnt, e))
    assert not errors, "\n\n".join(errors)


@pytest.fixture(autouse=True)
def check_every_mount():
    """A Mount the test made by hand and did not check is checked here."""
    before = len(Mount.created)
    yield
    finish_all([m for m in Mount.created[before:] if not m.checked])


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


def refused_read_line(fake=None):
    """For Mount.allow: the error line of a read of a sheet (or a report)
    the fake lists but refuses (403, errorCode 1004). With a fake, the line
    names the sheets it refuses (found by reading each once: call this
    before counting requests); without, any sheet. Any report: the fake
    refuses one of them."""
    ids = r"\d+"
    if fake is not None:
        refused = set(i["id"] for i in fake.sheet_list()) - \
            set(readable_ids(fake))
        ids = "|".join(str(i) for i in sorted(refused))
    return (r"error: GET /(?:sheets/(?:%s)|reports/\d+): HTTP 403, "
            r"errorCode 1004, refId \w+: (?:page \d+: )?You are not "
            r"authorized to perform this action\.$" % ids)


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
