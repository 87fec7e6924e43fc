"""The output checker itself (conftest.Mount): a fake daemon, a shell script
run through the same Mount machinery as smartsheetfs, prints chosen lines
and exits or dies, and the checker must fail or pass as the rules say."""
import re
import signal
import time
import types

import pytest

import conftest
from conftest import Mount

# A daemon that prints $LINES to stderr, then exits with $STATUS, dies of
# $SIGNAL, or waits to be killed ($WAIT). SIGHUP gets its default action
# back: it may be ignored where the tests run (nohup).
FAKE_DAEMON = r'''#!/usr/bin/python3
import os, signal, sys, time
signal.signal(signal.SIGHUP, signal.SIG_DFL)
sys.stderr.write(os.environ["LINES"] + "\n")
sys.stderr.flush()
if os.environ.get("SIGNAL"):
    os.kill(os.getpid(), getattr(signal, "SIG" + os.environ["SIGNAL"]))
    time.sleep(5)
if os.environ.get("WAIT"):
    time.sleep(60)
sys.exit(int(os.environ.get("STATUS", "0")))
'''

NORMAL = "smartsheetfs: info: mounted on /tmp/x"

# What sanitizers, valgrind, glibc and libfuse print when the daemon is
# broken: no allow() may excuse these.
FATAL = [
    "==123==ERROR: AddressSanitizer: heap-use-after-free on address "
    "0x602000000010 at pc 0x55 bp 0x7f sp 0x7f",
    "SUMMARY: AddressSanitizer: heap-use-after-free fs/cache.c:42 in f",
    "==9==ERROR: LeakSanitizer: detected memory leaks",
    "Direct leak of 40 byte(s) in 1 object(s) allocated from:",
    "fs/render.c:12:5: runtime error: signed integer overflow: "
    "2147483647 + 1 cannot be represented in type 'int'",
    "WARNING: ThreadSanitizer: data race (pid=77)",
    "==4242== Invalid read of size 8",
    "Invalid write of size 4",
    "Segmentation fault (core dumped)",
    "smartsheetfs: fs/ops.c:10: fsops_read: Assertion `n > 0' failed.",
    "smartsheetfs: error: fuse internal error: node 12 not found",
    "fuse: error: filesystem requested capabilities 0x10 that are not "
    "supported by kernel, aborting.",
    "free(): invalid pointer",
    "*** stack smashing detected ***: terminated",
]


@pytest.fixture
def fake_daemon(tmp_path, monkeypatch):
    """make(lines, **env) -> a Mount of the fake daemon."""
    script = tmp_path / "fake-daemon"
    script.write_text(FAKE_DAEMON)
    script.chmod(0o755)
    monkeypatch.setattr(conftest, "BIN", str(script))
    monkeypatch.delenv("SSFS_TEST_WRAPPER", raising=False)
    fake = types.SimpleNamespace(base="http://127.0.0.1:9")

    def make(lines, **env):
        env = {k: str(v) for k, v in env.items()}
        env["LINES"] = "\n".join(lines)
        return Mount(str(tmp_path), fake, env=env, expect_fail=True)

    return make


def started(m):
    """Wait until the fake daemon has printed its lines."""
    deadline = time.monotonic() + 10
    while NORMAL not in m.output() and time.monotonic() < deadline:
        time.sleep(0.02)
    return m


def failure(m):
    """The checker's complaint about m (it must have one)."""
    with pytest.raises(AssertionError) as e:
        m.finish()
    return str(e.value)


@pytest.mark.parametrize("line", FATAL)
def test_a_fatal_line_fails_whatever_is_allowed(fake_daemon, line):
    m = fake_daemon([NORMAL, line])
    # The test registers the line itself, and the usual suspects.
    m.allow(re.escape(line))
    for word in ("AddressSanitizer", "Segmentation", "runtime error",
                 "Assertion", "Invalid", "fuse"):
        if word in line:
            m.allow(r"\b%s\b.*\S+ \S+" % word)
    assert line in failure(m)


def test_unregistered_error_and_warning_lines_fail(fake_daemon):
    err = "smartsheetfs: error: GET /sheets/1: HTTP 500, errorCode 4000"
    warn = "smartsheetfs: warning: sheet 1: serving the copy held"
    libfuse = "smartsheetfs: error: fuse: reading device: No such device"
    m = fake_daemon([NORMAL, err, warn, libfuse])
    m.allow(r"GET /sheets/\d+: HTTP 500, errorCode 4000$")
    text = failure(m)
    assert warn in text and libfuse in text and err not in text


def test_registered_lines_and_a_clean_exit_pass(fake_daemon):
    m = fake_daemon([NORMAL, "smartsheetfs: warning: disk cache: 1.json "
                     "is damaged, removing it"])
    m.allow(r"warning: disk cache: [\w.-]+ is damaged, removing it$")
    m.finish()


@pytest.mark.parametrize("pattern", [r".", r"", r".*", r"^", r"(?i)e",
                                     r"error", r"warning", r"smartsheetfs",
                                     r"\w", r"[a-z]|x"])
def test_allow_refuses_patterns_that_match_anything(fake_daemon, pattern):
    m = fake_daemon([NORMAL])
    with pytest.raises(ValueError):
        m.allow(pattern)
    m.finish()


def test_death_by_a_signal_fails_the_test(fake_daemon):
    m = fake_daemon([NORMAL], SIGNAL="SEGV")
    assert "killed by SIGSEGV" in failure(m)


def test_a_signal_the_test_sent_is_expected(fake_daemon):
    m = started(fake_daemon([NORMAL], WAIT=1))
    m.kill(signal.SIGKILL)
    m.finish()
    # Death by a signal meant to be survived (SIGHUP drops the caches)
    # still fails.
    m = started(fake_daemon([NORMAL], WAIT=1))
    m.sighup()
    m.proc.wait(10)
    assert "killed by SIGHUP" in failure(m)


def test_an_exit_status_other_than_expected_fails(fake_daemon):
    m = fake_daemon([NORMAL], STATUS=2)
    assert "exit status 2, expected 0" in failure(m)
    m = fake_daemon([NORMAL], STATUS=2)
    m.expect_exit(2)
    m.finish()
    m = fake_daemon([NORMAL], STATUS=0)
    m.expect_exit(2)
    assert "exit status 0, expected 2" in failure(m)
