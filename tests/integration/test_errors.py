"""Failures as a shell user sees them (SPEC §5) and what the log says."""
import errno
import os
import re
import time

from conftest import read_errno, requests_since, sh


def first_readable(fake):
    for item in fake.sheet_list():
        try:
            fake.sheet(item["id"])
            return item
        except Exception:
            continue
    raise AssertionError("no readable sheet")


def test_transient_errors_are_retried(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=0")
    item = first_readable(fresh_fake)
    # The first read fetches the sheet, later ones check its version.
    path_re = "^/2.0/sheets/%d(/version)?$" % item["id"]
    for kind in ({"status": 500, "errorCode": 4004},
                 {"status": 503, "errorCode": 4001},
                 {"status": 429, "errorCode": 4003},
                 {"kind": "reset"}):
        fresh_fake.fault(path=path_re, times=1, **kind)
        n0 = len(fresh_fake.log())
        data = open(m.path("by-id", "%d.csv" % item["id"]), "rb").read()
        assert data
        gets = requests_since(fresh_fake, n0, path_re)
        assert len(gets) == 2, kind
    # Each first attempt failed and was retried (a reset's retry line
    # names no error).
    m.allow(r"retrying GET \S+/2\.0/sheets/\d+\S* in \d+ ms \(attempt 2\): "
            r"(500 errorCode 4004|503 errorCode 4001|429 errorCode 4003) ")


def test_errorcode_4000_is_not_retried_and_is_eio(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=0")
    m.allow(r"GET /sheets/\d+: HTTP 500, errorCode 4000, refId \w+: "
            r"Unexpected error$")
    item = first_readable(fresh_fake)
    path_re = "^/2.0/sheets/%d$" % item["id"]
    fresh_fake.fault(path=path_re, times=1, status=500, errorCode=4000,
                     message="Unexpected error")
    n0 = len(fresh_fake.log())
    assert read_errno(m.path("by-id", "%d.csv" % item["id"])) == errno.EIO
    assert len(requests_since(fresh_fake, n0, path_re)) == 1
    out = m.output()
    line = [l for l in out.splitlines() if "4000" in l]
    assert line, out
    assert re.search(r"HTTP 500", line[-1]) and "refId" in line[-1]


def test_malformed_and_wrong_shaped_bodies_are_eio(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=0")
    m.allow(r"GET /sheets/\d+: HTTP 200: (malformed answer|"
            r"transfer closed with \d+ bytes remaining to read)$")
    item = first_readable(fresh_fake)
    path_re = "^/2.0/sheets/%d$" % item["id"]
    for kind in ("malformed", "wrong_shape", "truncate"):
        fresh_fake.fault(path=path_re, times=-1, kind=kind)
        e = read_errno(m.path("by-id", "%d.csv" % item["id"]))
        assert e == errno.EIO, kind
        fresh_fake.clear_faults()
    # And it recovers as soon as the fault clears.
    assert open(m.path("by-id", "%d.csv" % item["id"]), "rb").read()


def test_html_error_pages_are_handled(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=0")
    m.allow(r"retrying GET \S+/2\.0/sheets/\d+\S* in \d+ ms "
            r"\(attempt \d\): 502 errorCode 0 refId -$")
    m.allow(r"GET /sheets/\d+: HTTP 502: non-JSON answer: <html><body>"
            r"<h1>502 Bad Gateway</h1></body></html>$")
    item = first_readable(fresh_fake)
    path_re = "^/2.0/sheets/%d$" % item["id"]
    fresh_fake.fault(path=path_re, times=-1, kind="html", status=502)
    assert read_errno(m.path("by-id", "%d.csv" % item["id"])) == errno.EIO
    fresh_fake.clear_faults()
    time.sleep(1.1)  # a 502 is no usable answer: one offline step
    fresh_fake.fault(path=path_re, times=1, kind="html", status=502)
    assert open(m.path("by-id", "%d.csv" % item["id"]), "rb").read()


def test_a_slow_server_times_out(mount_factory, fresh_fake):
    cfg_timeout = 2
    from conftest import TOKEN
    cfg = ("[connection]\nPersonalAccessToken = %s\nBaseURL = %s/2.0\n"
           "Timeout = %d\n" % (TOKEN, fresh_fake.base, cfg_timeout))
    m = mount_factory(config=cfg)
    m.allow(r"GET /sheets/\d+: no answer: Operation timed out after \d+ "
            r"milliseconds with 0 bytes received$")
    item = first_readable(fresh_fake)
    fresh_fake.fault(path="^/2.0/sheets/%d$" % item["id"], times=-1,
                     kind="delay", delay_ms=6000)
    t0 = time.monotonic()
    e = read_errno(m.path("by-id", "%d.csv" % item["id"]))
    took = time.monotonic() - t0
    assert e == errno.ETIMEDOUT
    assert took < 20, took
    fresh_fake.clear_faults()


def test_held_content_is_served_while_offline(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=1")
    # Every request of the list, the version check and the sheet never held
    # is retried, then fails; what is held is served.
    m.allow(r"retrying GET \S+/2\.0/sheets\S* in \d+ ms \(attempt \d\): "
            r"503 errorCode 4001 ")
    m.allow(r"GET /sheets(/\d+(/version)?)?: HTTP 503, errorCode 4001, "
            r"refId \w+: Smartsheet.com is currently offline")
    m.allow(r"warning: sheet list: using the list from before "
            r"\(Input/output error\)$")
    m.allow(r"warning: sheet \d+: serving the copy held "
            r"\(Input/output error\)$")
    item = first_readable(fresh_fake)
    p = m.path("by-id", "%d.json" % item["id"])
    want = open(p, "rb").read()
    others = [i for i in fresh_fake.sheet_list() if i["id"] != item["id"]]
    fresh_fake.fault(path="^/2.0/", times=-1, status=503, errorCode=4001)
    time.sleep(1.2)
    assert open(p, "rb").read() == want
    assert os.listdir(m.path("by-id"))  # the old list is kept too
    status = open(m.path(".auth", "status")).read()
    assert "offline since" in status
    assert "errorCode 4001" in status
    # Content never held fails.
    assert read_errno(m.path("by-id", "%d.csv" % others[0]["id"])) == \
        errno.EIO
    fresh_fake.clear_faults()
    time.sleep(1.1)
    open(p, "rb").read()
    assert "network: online" in open(m.path(".auth", "status")).read()


def test_an_expired_token_is_eacces_not_papered_over(mount_factory,
                                                     fresh_fake):
    from conftest import TOKEN
    m = mount_factory("cache_ttl=1")
    m.allow(r"GET /sheets(/\d+(/version)?)?: HTTP 401, errorCode 1003, "
            r"refId \w+: Your Access Token has expired\.$")
    item = first_readable(fresh_fake)
    p = m.path("by-id", "%d.csv" % item["id"])
    open(p, "rb").read()
    fresh_fake.call("POST", "/_control/tokens", {"expire": [TOKEN]})
    time.sleep(1.2)
    assert read_errno(p) == errno.EACCES
    status = open(m.path(".auth", "status")).read()
    assert "rejected" in status
    assert TOKEN not in status
