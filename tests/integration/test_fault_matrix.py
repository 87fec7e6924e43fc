"""The fault matrix (issue 5): every fault the fake can inject, against
every operation that talks to the API, checked for the errno of SPEC §5, a
log line with the HTTP status / errorCode / refId, no hang beyond Timeout
plus the retry budget, and recovery as soon as the fault clears: at once,
or, where no usable answer came (nothing at all, 5xx, 429), after one step
of the offline backoff (1 s at cache_ttl=0; meanwhile nothing is asked). The
matrix is printed at the end (run with -s to see it)."""
import errno
import os
import time

import pytest

from conftest import TOKEN, Mount, read_errno, requests_since

# name -> (fault body, errno of an operation with nothing held)
FAULTS = {
    "500/4004": ({"status": 500, "errorCode": 4004}, errno.EIO),
    "503/4001": ({"status": 503, "errorCode": 4001}, errno.EIO),
    "429/4003": ({"status": 429, "errorCode": 4003}, errno.EIO),
    "500/4000": ({"status": 500, "errorCode": 4000}, errno.EIO),
    "latency": ({"kind": "delay", "delay_ms": 2500}, errno.ETIMEDOUT),
    "reset": ({"kind": "reset"}, errno.EIO),
    "truncated": ({"kind": "truncate"}, errno.EIO),
    "malformed": ({"kind": "malformed"}, errno.EIO),
    "wrong shape": ({"kind": "wrong_shape"}, errno.EIO),
    "missing fields": ({"kind": "missing_fields"}, errno.EIO),
    "deep nesting": ({"kind": "deep_nesting"}, errno.EIO),
    "huge string": ({"kind": "huge_string"}, errno.EIO),
    "html 502": ({"kind": "html", "status": 502}, errno.EIO),
    "403/1004": ({"status": 403, "errorCode": 1004}, errno.EACCES),
    "404/1006": ({"status": 404, "errorCode": 1006}, errno.ENOENT),
}
# A run of retries (backoff scaled by SSFS_BACKOFF_SCALE) plus Timeout.
BOUND_S = 20
# Faults after which the mount waits one backoff step before it asks the
# server again (issue 11: offline, the network is not tried on every
# lookup and open).
NO_ANSWER = {"500/4004", "503/4001", "429/4003", "500/4000", "latency",
             "reset", "html 502"}
OFFLINE_STEP_S = 1.1


def after_fault(fault):
    if fault in NO_ANSWER:
        time.sleep(OFFLINE_STEP_S)

# What the daemon logs for each fault (registered with Mount.allow): the
# failed request and its cause, the retries of a transient answer (at info
# level, but they name the errorCode), and the warning when what is held
# is served instead.
REQUEST = r"GET /sheets(/\d+(/version)?)?: "
MALFORMED = REQUEST + r"HTTP 200: malformed answer$"


def retried(status, code, ref=r"\w+"):
    return (r"retrying GET \S+/2\.0/sheets\S* in \d+ ms \(attempt \d\): "
            r"%d errorCode %d refId %s$" % (status, code, ref))


def failed(status, code):
    return REQUEST + r"HTTP %d, errorCode %d, refId \w+: " % (status, code)


LOGGED = {
    "500/4004": [failed(500, 4004), retried(500, 4004)],
    "503/4001": [failed(503, 4001), retried(503, 4001)],
    "429/4003": [failed(429, 4003), retried(429, 4003)],
    "500/4000": [failed(500, 4000)],
    "latency": [REQUEST + r"no answer: Operation timed out after \d+ "
                r"milliseconds with 0 bytes received$"],
    "reset": [REQUEST + r"no answer: Recv failure: Connection reset by peer$"],
    "truncated": [REQUEST + r"HTTP 200: transfer closed with \d+ bytes "
                  r"remaining to read$"],
    "malformed": [MALFORMED],
    "wrong shape": [MALFORMED],
    "missing fields": [MALFORMED],
    "deep nesting": [MALFORMED],
    # The list and version answers outgrow their smaller caps.
    "huge string": [MALFORMED, REQUEST + r"HTTP 200: the answer is larger "
                    r"than this client accepts$"],
    "html 502": [REQUEST + r"HTTP 502: non-JSON answer: <html><body><h1>502 "
                 r"Bad Gateway</h1></body></html>$", retried(502, 0, "-")],
    "403/1004": [failed(403, 1004)],
    "404/1006": [failed(404, 1006)],
}
SERVED_HELD = (r"warning: sheet \d+: serving the copy held "
               r"\((Input/output error|Connection timed out)\)$")
LIST_KEPT = (r"warning: sheet list: using the list from before "
             r"\((Input/output error|Connection timed out)\)$")

MATRIX = {}


def record(op, fault, outcome):
    MATRIX.setdefault(op, {})[fault] = outcome


@pytest.fixture(scope="module", autouse=True)
def print_matrix():
    yield
    ops = sorted(MATRIX)
    faults = list(FAULTS) + ["refused", "expired token", "revoked refresh"]
    width = max(len(f) for f in faults) + 2
    lines = ["fault".ljust(width) + "".join(o.ljust(26) for o in ops)]
    ok = total = 0
    for f in faults:
        row = f.ljust(width)
        for o in ops:
            cell = MATRIX[o].get(f, "-")
            row += cell.ljust(26)
            if cell != "-":
                total += 1
                ok += cell.startswith("ok")
        lines.append(row)
    print("\n" + "\n".join(lines))
    print("fault matrix: %d of %d cells as expected" % (ok, total))


def first_sheet(fake):
    for item in fake.sheet_list():
        try:
            fake.sheet(item["id"])
            return item["id"]
        except Exception:
            continue
    raise AssertionError("no readable sheet")


def timed_errno(fn):
    t0 = time.monotonic()
    e = fn()
    return e, time.monotonic() - t0


def list_errno(m):
    try:
        os.listdir(m.path("by-id"))
    except OSError as e:
        return e.errno
    return 0


def logged(m, n0):
    """Whether the daemon logged a line with HTTP status and errorCode
    (and refId where the answer had one) since offset n0."""
    new = m.output()[n0:]
    return "HTTP " in new or "errorCode" in new or "no answer" in new


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_on_cold_read_list_and_version(fault, mount_factory,
                                             fresh_fake):
    body, want = FAULTS[fault]
    sid = first_sheet(fresh_fake)
    m = mount_factory("cache_ttl=0", config=(
        "[connection]\nPersonalAccessToken = %s\nBaseURL = %s/2.0\n"
        "Timeout = 1\n" % (TOKEN, fresh_fake.base)))
    for pattern in LOGGED[fault]:
        m.allow(pattern)
    if want in (errno.EIO, errno.ETIMEDOUT):
        m.allow(SERVED_HELD)
    csv = m.path("by-id", "%d.csv" % sid)

    # 1. The list, nothing held: a fresh mount's first readdir.
    n0 = len(m.output())
    fresh_fake.fault(path="^/2.0/sheets$", times=-1, **body)
    e, dt = timed_errno(lambda: list_errno(m))
    fresh_fake.clear_faults()
    after_fault(fault)
    if want == errno.ENOENT:
        want_list = errno.EIO  # the folder exists: a server failure
    else:
        want_list = want
    ok = e == want_list and dt < BOUND_S and logged(m, n0) and \
        list_errno(m) == 0
    record("list", fault, "ok %s" % errno.errorcode.get(e, e) if ok else
           "BAD %s %.1fs" % (errno.errorcode.get(e, e), dt))
    assert e == want_list, (fault, "list", e)
    assert dt < BOUND_S
    assert logged(m, n0), m.output()[n0:]
    assert list_errno(m) == 0  # recovered

    # 2. A sheet's content, nothing held.
    n0 = len(m.output())
    fresh_fake.fault(path="^/2.0/sheets/%d$" % sid, times=-1, **body)
    e, dt = timed_errno(lambda: read_errno(csv))
    fresh_fake.clear_faults()
    after_fault(fault)
    ok = e == want and dt < BOUND_S and logged(m, n0) and \
        read_errno(csv) == 0
    record("read", fault, "ok %s" % errno.errorcode.get(e, e) if ok else
           "BAD %s %.1fs" % (errno.errorcode.get(e, e), dt))
    assert e == want, (fault, "read", e)
    assert dt < BOUND_S
    assert read_errno(csv) == 0  # recovered

    # 3. The version check with the content held: network-type failures
    # serve what is held (SPEC §3); 403/404 are never papered over.
    n0 = len(m.output())
    before = open(csv, "rb").read()
    fresh_fake.fault(path="^/2.0/sheets/%d/version$" % sid, times=-1,
                     **body)
    try:
        got = open(csv, "rb").read()
        e = 0
    except OSError as ex:
        got, e = None, ex.errno
    fresh_fake.clear_faults()
    held_ok = want in (errno.EIO, errno.ETIMEDOUT)
    if held_ok:
        ok = e == 0 and got == before
        status = open(m.path(".auth", "status")).read()
        # The failure is on record (the list, read again by fstat with
        # cache_ttl=0, may already have put the mount back online).
        ok = ok and "last error: none" not in status
    else:
        ok = e == want
    ok = ok and read_errno(csv) == 0
    record("version (held)", fault, ("ok served" if held_ok else
                                     "ok %s" % errno.errorcode.get(e, e))
           if ok else "BAD %s" % errno.errorcode.get(e, e))
    assert ok, (fault, "version", e, ok)


def test_connection_refused(mount_factory, fresh_fake, tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    m = mount_factory("cache_ttl=0", config=(
        "[connection]\nPersonalAccessToken = %s\n"
        "BaseURL = http://127.0.0.1:%d/2.0\nTimeout = 1\n" % (TOKEN, port)))
    m.allow_unreachable(r"Failed to connect to 127\.0\.0\.1 port %d after "
                        r"\d+ ms: Couldn't connect to server" % port)
    e, dt = timed_errno(lambda: list_errno(m))
    ok = e == errno.EIO and dt < BOUND_S
    assert "offline" in open(m.path(".auth", "status")).read()
    record("list", "refused", "ok EIO" if ok else "BAD %s" % e)
    assert ok, (e, dt)


def test_expired_token(mount_factory, fresh_fake):
    sid = first_sheet(fresh_fake)
    m = mount_factory("cache_ttl=0")
    m.allow(r"GET /sheets(/\d+)?: HTTP 401, errorCode 1003, refId \w+: "
            r"Your Access Token has expired\.$")
    assert list_errno(m) == 0
    fresh_fake.call("POST", "/_control/tokens", {"expire": [TOKEN]})
    e1 = list_errno(m)
    e2 = read_errno(m.path("by-id", "%d.csv" % sid))
    ok = e1 == errno.EACCES and e2 == errno.EACCES
    assert "1003" in m.output()
    record("list", "expired token", "ok EACCES" if e1 == errno.EACCES
           else "BAD %s" % e1)
    record("read", "expired token", "ok EACCES" if e2 == errno.EACCES
           else "BAD %s" % e2)
    fresh_fake.call("POST", "/_control/tokens", {"add": [TOKEN]})
    assert ok


def test_refresh_faults(mount_factory, fresh_fake, tmp_path):
    """The token refresh under each fault: nothing held fails with the
    transport's errno (EIO/ETIMEDOUT), a refused grant with EACCES, and
    the next refresh after the fault clears works."""
    from test_oauth import (SECRET, CLIENT_ID, bash, mint_code,
                            oauth_config, oauth_state)
    fresh_fake.call("POST", "/_control/oauth",
                    {"redirect_uri": "http://localhost:33333/callback"})
    sid = first_sheet(fresh_fake)
    settings = str(tmp_path / "refresh-faults.txt")
    m = mount_factory("cache_ttl=0,nodiskcache", config=oauth_config(
        fresh_fake, settings).replace("Timeout = 5", "Timeout = 1"))
    # Reads with a dead access token, the refresh's failure under each
    # fault, the revoked refresh token at the end.
    m.allow(r"GET /sheets(/\d+)?: HTTP 401, errorCode 100[23], refId \w+: "
            r"(the access token expired and the token endpoint cannot be "
            r"reached to renew it|Your Access Token is invalid\.)$")
    m.allow(r"token refresh failed at the token endpoint: HTTP "
            r"(500, errorCode 4004|503, errorCode 4001|502, errorCode 0: "
            r"non-JSON answer: <html>)")
    m.allow(r"token refresh: cannot reach the token endpoint: "
            r"(Operation timed out after \d+ milliseconds with 0 bytes "
            r"received|Recv failure: Connection reset by peer)$")
    m.allow(r"token refresh refused: HTTP \d+, errorCode 0: transfer "
            r"closed with \d+ bytes remaining to read$")
    m.allow(r"token answer is not a JSON object$")
    m.allow(r"token answer: access_token is missing$")
    m.allow(r"token refresh refused: HTTP 400, errorCode 1071 "
            r"\(invalid_grant\), refId \w+: Invalid Grant\.")
    m.allow(LIST_KEPT)
    assert bash("echo %s > %s" % (mint_code(fresh_fake),
                                  m.path(".auth", "verifier"))
                ).returncode == 0
    for fault in ("500/4004", "503/4001", "latency", "reset", "truncated",
                  "malformed", "wrong shape", "html 502"):
        body, _ = FAULTS[fault]
        m.sighup()  # nothing held (nodiskcache): the read must reach the API
        time.sleep(0.2)
        fresh_fake.call("POST", "/_control/oauth/expire", {"all": True})
        fresh_fake.fault(path="^/2.0/token$", times=-1, **body)
        e, dt = timed_errno(lambda: read_errno(
            m.path("by-id", "%d.json" % sid)))
        fresh_fake.clear_faults()
        if fault == "latency":
            time.sleep(2.6)  # let the late request land at the server
        else:
            # A refresh that failed is a request with no usable answer.
            time.sleep(OFFLINE_STEP_S)
        # The access token is dead and cannot be renewed: the read fails
        # with the transport's errno, within the bound.
        lossy = fault in ("truncated", "latency")
        ok = e in (errno.EIO, errno.ETIMEDOUT) or \
            (lossy and e == errno.EACCES)
        ok = ok and dt < BOUND_S
        note = ""
        e2 = read_errno(m.path("by-id", "%d.json" % sid))
        status = open(m.path(".auth", "status")).read()
        if lossy and e2 == errno.EACCES and "refresh failed" in status:
            # The server rotated the pair but the answer was cut or came
            # after Timeout: the new pair never arrived and the old one is
            # dead (no client can help that). The mount says so; a new
            # code recovers it.
            assert bash("echo %s > %s" % (mint_code(fresh_fake),
                                          m.path(".auth", "verifier"))
                        ).returncode == 0
            note = " (pair lost)"
            e2 = read_errno(m.path("by-id", "%d.json" % sid))
        ok = ok and e2 == 0
        record("refresh", fault, "ok %s%s" % (errno.errorcode.get(e, e), note)
               if ok else "BAD %s then %s" % (errno.errorcode.get(e, e), e2))
        assert ok, (fault, e, e2, dt)
    # A revoked refresh token: EACCES and the status says to authorize.
    fresh_fake.call("POST", "/_control/oauth/revoke", {"all": True})
    e = read_errno(m.path("by-id", "%d.csv" % sid))
    status = open(m.path(".auth", "status")).read()
    ok = e == errno.EACCES and "refresh failed" in status
    record("refresh", "revoked refresh", "ok EACCES" if ok else
           "BAD %s" % e)
    assert ok, (e, status)
    assert not oauth_state(fresh_fake)["failures"].get("1072")
