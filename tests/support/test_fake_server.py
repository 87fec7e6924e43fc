"""Tests of the fake Smartsheet server and of the reference renderer.

Run with Debian's pytest:
    /usr/bin/python3 -m pytest tests/integration/test_fake_server.py

Every server started here is stopped at teardown (terminate, wait with a
timeout, kill as a last resort); each also runs with --max-seconds so that
nothing outlives a crashed test run.
"""

import csv
import glob
import gzip
import hashlib
import http.client
import io
import json
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import spec_render  # noqa: E402
from spec_render import (file_stems, number_to_js, render_csv,  # noqa: E402
                         render_json)

FAKE = os.path.join(HERE, "fake_smartsheet.py")
FIXTURES = os.path.join(HERE, "fixtures")
TOKEN = "test-token-0123456789"
FULL = "?level=2&include=objectValue"
REFID = re.compile(r"^[a-z0-9]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

ID_2P53_PLUS_1 = 9007199254740993
ID_INT64_MAX = 9223372036854775807
NO_ACCESS_ID = 4011111111111111
PROJECT_ID = 4583173393803140
TAGS_ID = 2206389125924740
ASCII_ID = 6917529027641081
BIG_ID = 7900000000000001


def fixture_sheets():
    out = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "sheets", "*.json"))):
        with open(path, encoding="utf-8") as f:
            out.append(json.load(f))
    return out


# ---------------------------------------------------------------------------
# Starting and stopping servers
# ---------------------------------------------------------------------------

class Fake:
    """One fake server process on a random port."""

    def __init__(self, tmp, *args, wait=True):
        tmp = str(tmp)
        self.port_file = os.path.join(tmp, "port")
        self.stderr_path = os.path.join(tmp, "stderr.txt")
        self.stderr = open(self.stderr_path, "wb")
        cmd = [sys.executable, FAKE, "--port-file", self.port_file]
        if "--max-seconds" not in args:
            cmd += ["--max-seconds", "120"]
        self.proc = subprocess.Popen(cmd + list(args),
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        self.port = None
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    self.port = int(f.read())
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        with open(self.stderr_path, errors="replace") as f:
            raise AssertionError("fake did not start: " + f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.stderr.close()

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def request(self, method, path, token=TOKEN, headers=None, body=None):
        """(status, headers, body bytes) on a fresh connection."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, r.headers, r.read()
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def get_json(self, path, **kw):
        status, headers, body = self.get(path, **kw)
        return status, json.loads(body)

    def control(self, method, path, obj=None):
        body = None if obj is None else json.dumps(obj).encode()
        status, _, data = self.request(method, "/_control/" + path,
                                       token=None, body=body)
        return status, json.loads(data)

    def ok(self, method, path, obj=None):
        status, data = self.control(method, path, obj)
        assert status == 200, data
        return data


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fake")
    fake = Fake(tmp, "--max-page-size", "5", "--log",
                os.path.join(str(tmp), "requests.jsonl"))
    fake.log_path = os.path.join(str(tmp), "requests.jsonl")
    yield fake
    fake.stop()
    assert fake.proc.returncode is not None


@pytest.fixture
def fake(server):
    """The shared server, reset to its start state."""
    server.ok("POST", "reset")
    return server


@pytest.fixture
def spawn(tmp_path):
    """Start extra servers; all of them are stopped at teardown."""
    started = []

    def start(*args, **kw):
        d = tmp_path / ("s%d" % len(started))
        d.mkdir()
        f = Fake(d, *args, **kw)
        started.append(f)
        return f
    yield start
    for f in started:
        f.stop()


# ---------------------------------------------------------------------------
# Sheet list
# ---------------------------------------------------------------------------

def test_list_pages_at_max_page_size_5(fake):
    n = len(fixture_sheets())
    assert n >= 12
    seen = []
    page, pages = 1, None
    while True:
        # Asking for more than the cap gets the cap.
        status, data = fake.get_json("/2.0/sheets?pageSize=100&page=%d" % page)
        assert status == 200
        assert data["pageSize"] == 5
        assert data["pageNumber"] == page
        assert data["totalCount"] == n
        pages = data["totalPages"]
        assert pages == math.ceil(n / 5) and pages >= 3
        want = 5 if page < pages else n - 5 * (pages - 1)
        assert len(data["data"]) == want
        seen += data["data"]
        if data["pageNumber"] >= data["totalPages"]:
            break
        page += 1
    assert len({s["id"] for s in seen}) == n
    assert [(s["name"].lower(), s["id"]) for s in seen] == \
        sorted((s["name"].lower(), s["id"]) for s in seen)
    # A page past the end answers the last page.
    _, last = fake.get_json("/2.0/sheets?page=%d" % pages)
    _, past = fake.get_json("/2.0/sheets?page=99")
    assert past["pageNumber"] == pages and past["data"] == last["data"]
    # includeAll: everything, no pageSize.
    _, everything = fake.get_json("/2.0/sheets?includeAll=true")
    assert everything["totalCount"] == n and len(everything["data"]) == n
    assert "pageSize" not in everything
    assert everything["data"] == seen


def test_list_items_fields_and_sheet_version(fake):
    _, data = fake.get_json("/2.0/sheets?includeAll=true")
    for item in data["data"]:
        assert set(item) == {"id", "name", "accessLevel", "permalink",
                             "createdAt", "modifiedAt"}
        assert item["permalink"].startswith(
            "https://app.smartsheet.com/b/home?lx=")
        assert TIME_RE.match(item["modifiedAt"])
    assert len({i["modifiedAt"] for i in data["data"]}) == len(data["data"])
    _, data = fake.get_json("/2.0/sheets?includeAll=true&include=sheetVersion")
    by_id = {i["id"]: i for i in data["data"]}
    assert by_id[PROJECT_ID]["version"] == 42
    assert by_id[ID_INT64_MAX]["version"] == 9223372036
    names = [i["name"] for i in data["data"]]
    assert names.count("Budget") == 2
    for hostile in ("A/B", "A\uff0fB", "..", ".", "Q3\tForecast\nDraft"):
        assert hostile in names
    assert any(len(n.encode()) == 300 for n in names)
    assert any("%" in n and "*" in n for n in names)


def test_list_bad_number_is_400(fake):
    status, data = fake.get_json("/2.0/sheets?pageSize=abc")
    assert status == 400 and data["errorCode"] == 1018


# ---------------------------------------------------------------------------
# Auth and errors
# ---------------------------------------------------------------------------

def check_error(fake, path, status, code, message=None, **kw):
    got, headers, body = fake.get(path, **kw)
    assert got == status, body
    assert headers["Content-Type"] == "application/json;charset=UTF-8"
    data = json.loads(body)
    assert data["errorCode"] == code
    assert REFID.match(data["refId"])
    if message is not None:
        assert data["message"] == message
    return data


def test_auth_errors(fake):
    check_error(fake, "/2.0/users/me", 401, 1001,
                "An Access Token is required.", token=None)
    check_error(fake, "/2.0/users/me", 401, 1002,
                "Your Access Token is invalid.", token="nope")
    status, _, _ = fake.get("/2.0/users/me",
                            headers={"Authorization": "Basic abc"}, token=None)
    assert status == 401
    fake.ok("POST", "tokens", {"expire": [TOKEN], "add": ["second-token"]})
    check_error(fake, "/2.0/sheets", 401, 1003,
                "Your Access Token has expired.")
    assert fake.get("/2.0/sheets", token="second-token")[0] == 200
    fake.ok("POST", "tokens", {"remove": ["second-token"]})
    check_error(fake, "/2.0/sheets", 401, 1002, token="second-token")
    # reset brings the start tokens back
    fake.ok("POST", "reset")
    assert fake.get("/2.0/sheets")[0] == 200
    assert fake.get("/2.0/sheets", token="second-token")[0] == 401


def test_ref_ids_differ(fake):
    a = check_error(fake, "/2.0/sheets", 401, 1001, token=None)
    b = check_error(fake, "/2.0/sheets", 401, 1001, token=None)
    assert a["refId"] != b["refId"]


def test_not_found_no_access_and_methods(fake):
    for path in ("/2.0/sheets/1", "/2.0/sheets/abc", "/2.0/sheets/-5",
                 "/2.0/sheets/99999999999999999999", "/2.0/nothing",
                 "/2.0/sheets/1/version", "/elsewhere"):
        check_error(fake, path, 404, 1006, "Not Found")
    check_error(fake, "/2.0/sheets/%d" % NO_ACCESS_ID, 403, 1004)
    check_error(fake, "/2.0/sheets/%d/version" % NO_ACCESS_ID, 403, 1004)
    status, _, body = fake.request("POST", "/2.0/sheets", body=b"{}")
    assert status == 405 and json.loads(body)["errorCode"] == 1122


# ---------------------------------------------------------------------------
# OAuth: the authorize page, POST /2.0/token, the OAuth controls
# ---------------------------------------------------------------------------

CLIENT_ID = "test-client-id"
SECRET = "test-client-secret-0123456789"
REDIRECT = "http://localhost:33333/callback"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOKEN_KEYS = {"access_token", "token_type", "refresh_token", "expires_in"}


def hash_of(value, secret=SECRET):
    return hashlib.sha256((secret + "|" + value).encode()).hexdigest()


def authorize(fake, **params):
    """GET /b/authorize: (status, headers, body, redirect query or None)."""
    status, h, body = fake.get("/b/authorize?" + urllib.parse.urlencode(
        params), token=None)
    q = None
    if status == 302:
        loc = h["Location"]
        assert loc.startswith(REDIRECT + "?")
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query,
                                        keep_blank_values=True))
    return status, h, body, q


def allow_params(**kw):
    p = {"response_type": "code", "client_id": CLIENT_ID,
         "scope": "READ_SHEETS WRITE_SHEETS", "state": "st8 &=x"}
    p.update(kw)
    return {k: v for k, v in p.items() if v is not None}


def token_request(fake, params=None, query=None, headers=FORM, token=None):
    """POST /2.0/token: (status, JSON answer)."""
    path = "/2.0/token"
    if query:
        path += "?" + urllib.parse.urlencode(query)
    body = urllib.parse.urlencode(params or {}).encode()
    status, h, data = fake.request("POST", path, token=token,
                                   headers=headers, body=body)
    assert h["Content-Type"] == "application/json;charset=UTF-8"
    return status, json.loads(data)


def exchange_params(code, **kw):
    p = {"grant_type": "authorization_code", "client_id": CLIENT_ID,
         "code": code, "hash": hash_of(code)}
    p.update(kw)
    return {k: v for k, v in p.items() if v is not None}


def refresh_params(refresh, **kw):
    p = {"grant_type": "refresh_token", "client_id": CLIENT_ID,
         "refresh_token": refresh, "hash": hash_of(refresh)}
    p.update(kw)
    return {k: v for k, v in p.items() if v is not None}


def mint(fake, scope=None):
    return fake.ok("POST", "oauth/code",
                   {} if scope is None else {"scope": scope})["code"]


def exchange(fake, code=None):
    status, data = token_request(fake, exchange_params(code or mint(fake)))
    assert status == 200, data
    return data


def token_error(fake, status, code, error, params=None, **kw):
    got, data = token_request(fake, params, **kw)
    assert (got, data["errorCode"], data["error"]) == (status, code, error), \
        data
    assert set(data) == {"errorCode", "error", "error_description",
                         "message", "refId"}
    assert data["message"] == data["error_description"] and data["message"]
    assert REFID.match(data["refId"])
    return data


def api_status(fake, token):
    status, _, body = fake.get("/2.0/users/me", token=token)
    return status, json.loads(body).get("errorCode")


def test_authorize_allow_then_exchange(fake):
    status, h, _, q = authorize(fake, **allow_params())
    assert status == 302 and h["Content-Type"].startswith("text/html")
    assert set(q) == {"code", "expires_in", "state"}
    assert q["expires_in"] == "599135" and q["state"] == "st8 &=x"
    # The raw Location is URL-encoded.
    assert "state=st8+%26%3Dx" in h["Location"] \
        or "state=st8%20%26%3Dx" in h["Location"]
    data = exchange(fake, q["code"])
    assert set(data) == TOKEN_KEYS
    assert data["token_type"] == "bearer" and data["expires_in"] == 604799
    assert data["access_token"] != data["refresh_token"]
    assert api_status(fake, data["access_token"]) == (200, None)
    assert fake.get("/2.0/sheets", token=data["access_token"])[0] == 200
    st = fake.ok("GET", "oauth")
    assert st == {"client_id": CLIENT_ID, "redirect_uri": REDIRECT,
                  "live_refresh_tokens": [data["refresh_token"]],
                  "live_access_tokens": [data["access_token"]],
                  "expired_access_tokens": [], "exchanges": 1,
                  "refreshes": 0, "failures": {}, "codes_issued": 1,
                  "revocations": 0}
    # No state asked for, none given back; one scope is enough.
    _, _, _, q = authorize(fake, **allow_params(state=None,
                                                scope="READ_SHEETS"))
    assert set(q) == {"code", "expires_in"}
    # The page is in the request log like any request.
    log = fake.ok("GET", "log")
    assert log[0]["path"] == "/b/authorize" and log[0]["status"] == 302
    assert log[0]["query"]["client_id"] == CLIENT_ID


def test_authorize_post_and_redirect_with_a_query(fake):
    fake.ok("POST", "oauth", {"redirect_uri": REDIRECT + "?app=1"})
    status, h, _ = fake.request(
        "POST", "/b/authorize", token=None, headers=FORM,
        body=urllib.parse.urlencode(allow_params(state="s")).encode())
    assert status == 302
    loc = h["Location"]
    assert loc.startswith(REDIRECT + "?app=1&code=")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    assert q["app"] == "1" and q["state"] == "s"
    exchange(fake, q["code"])


def test_authorize_errors(fake):
    cases = [(dict(response_type="token"), "unsupported_response_type"),
             (dict(response_type=None), "unsupported_response_type"),
             (dict(scope=None), "invalid_scope"),
             (dict(scope=""), "invalid_scope"),
             (dict(scope="READ_SHEETS,WRITE_SHEETS"), "invalid_scope"),
             (dict(scope="READ_SHEETS FLY"), "invalid_scope")]
    for kw, error in cases:
        status, _, _, q = authorize(fake, **allow_params(**kw))
        assert status == 302 and q == {"error": error, "state": "st8 &=x"}, kw
    fake.ok("POST", "oauth", {"deny": True})
    status, _, _, q = authorize(fake, **allow_params(state="S1"))
    assert q == {"error": "access_denied", "state": "S1"}
    fake.ok("POST", "oauth", {"error": "invalid_scope"})
    _, _, _, q = authorize(fake, **allow_params(state=None))
    assert q == {"error": "invalid_scope"}
    fake.ok("POST", "oauth", {"error": None, "deny": False})
    _, _, _, q = authorize(fake, **allow_params())
    assert "code" in q
    # An unknown (or missing) client gets a page, not a redirect.
    for cid in ("someone-else", None):
        status, h, body, _ = authorize(fake, **allow_params(client_id=cid))
        assert status == 400 and "Location" not in h
        assert h["Content-Type"].startswith("text/html")
        assert b"<html>" in body
    assert fake.ok("GET", "oauth")["codes_issued"] == 1


def test_token_exchange_client_auth(fake):
    code = mint(fake)
    # Wrong hash: 1072, and the code stays usable.
    token_error(fake, 400, 1072, "invalid_grant",
                exchange_params(code, hash=hash_of(code, "wrong")))
    token_error(fake, 400, 1072, "invalid_grant",
                exchange_params(code, hash=hash_of(code).upper()))
    token_error(fake, 400, 1072, "invalid_grant",   # the classic: no "|"
                exchange_params(code, hash=hashlib.sha256(
                    (SECRET + code).encode()).hexdigest()))
    token_error(fake, 400, 1238, "invalid_client",
                exchange_params(code, hash=None, client_secret="nope"))
    token_error(fake, 400, 1237, "invalid_request",
                exchange_params(code, client_secret=SECRET))
    token_error(fake, 400, 1236, "invalid_request",
                exchange_params(code, hash=None))
    token_error(fake, 400, 1073, "invalid_request",
                exchange_params(code, redirect_uri="http://evil/cb"))
    data = exchange(fake, code)
    # Used: 1071, however it is asked.
    token_error(fake, 400, 1071, "invalid_grant", exchange_params(code))
    token_error(fake, 400, 1071, "invalid_grant", exchange_params(
        code, hash=None, client_secret=SECRET))
    # The plain secret instead of the hash, and a matching redirect_uri.
    data2 = exchange_params(mint(fake), hash=None, client_secret=SECRET,
                            redirect_uri=REDIRECT)
    status, data2 = token_request(fake, data2)
    assert status == 200 and set(data2) == TOKEN_KEYS
    token_error(fake, 400, 1071, "invalid_grant",
                exchange_params("never-issued"))
    st = fake.ok("GET", "oauth")
    assert st["exchanges"] == 2
    assert st["failures"] == {"1072": 3, "1238": 1, "1237": 1, "1236": 1,
                              "1073": 1, "1071": 3}
    assert sorted(st["live_access_tokens"]) == sorted(
        [data["access_token"], data2["access_token"]])


def test_token_request_shape_errors(fake):
    code = mint(fake)
    good = exchange_params(code)
    token_error(fake, 400, 1070, "invalid_request", good,
                headers={"Content-Type": "application/json"})
    token_error(fake, 400, 1070, "invalid_request", good, headers={})
    d = token_error(fake, 400, 1292, "invalid_request", good, token=TOKEN)
    assert "inconsistent" in d["message"]
    d = token_error(fake, 400, 1070, "invalid_request",
                    exchange_params(code, grant_type=None))
    assert "grant_type" in d["message"]
    token_error(fake, 400, 1068, "unsupported_grant_type",
                exchange_params(code, grant_type="client_credentials"))
    token_error(fake, 400, 1070, "invalid_request",
                exchange_params(code, client_id=None))
    token_error(fake, 401, 1067, "invalid_client",
                exchange_params(code, client_id="other-client"))
    d = token_error(fake, 400, 1070, "invalid_request",
                    {"grant_type": "authorization_code",
                     "client_id": CLIENT_ID, "hash": "x"})
    assert "code" in d["message"]
    token_error(fake, 400, 1070, "invalid_request",
                refresh_params("r", refresh_token=None, hash="x"))
    # A charset after the form type is fine; none of that used the code.
    status, _ = token_request(fake, good, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert status == 200
    # Other methods.
    status, _, body = fake.request("GET", "/2.0/token", token=None)
    assert status == 405 and json.loads(body)["errorCode"] == 1122


def test_code_expiry(fake):
    fake.ok("POST", "oauth", {"code_ttl_ms": 150})
    code = fake.ok("POST", "oauth/code", {"scope": "READ_SHEETS"})
    assert code["expires_in"] == 150
    _, _, _, q = authorize(fake, **allow_params())
    assert q["expires_in"] == "150"
    time.sleep(0.25)
    for c in (code["code"], q["code"]):
        token_error(fake, 400, 1069, "invalid_grant", exchange_params(c))
    assert fake.ok("GET", "oauth")["failures"] == {"1069": 2}


def test_refresh_rotates(fake):
    first = exchange(fake)
    status, second = token_request(fake,
                                   refresh_params(first["refresh_token"]))
    assert status == 200 and set(second) == TOKEN_KEYS
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    # The old pair is dead at once; the new one works.
    token_error(fake, 400, 1071, "invalid_grant",
                refresh_params(first["refresh_token"]))
    assert api_status(fake, first["access_token"]) == (401, 1002)
    assert api_status(fake, second["access_token"]) == (200, None)
    # Wrong hash (over the secret|refresh token) does not rotate.
    token_error(fake, 400, 1072, "invalid_grant", refresh_params(
        second["refresh_token"], hash=hash_of(second["access_token"])))
    # The plain secret works for refresh too.
    status, third = token_request(fake, refresh_params(
        second["refresh_token"], hash=None, client_secret=SECRET))
    assert status == 200
    st = fake.ok("GET", "oauth")
    assert st["live_refresh_tokens"] == [third["refresh_token"]]
    assert st["live_access_tokens"] == [third["access_token"]]
    assert (st["exchanges"], st["refreshes"]) == (1, 2)
    assert st["failures"] == {"1071": 1, "1072": 1}


def test_access_token_expires_by_time_refresh_still_works(fake):
    fake.ok("POST", "oauth", {"access_ttl_s": 1})
    pair = exchange(fake)
    assert pair["expires_in"] == 1
    assert api_status(fake, pair["access_token"]) == (200, None)
    time.sleep(1.2)
    assert api_status(fake, pair["access_token"]) == (401, 1003)
    st = fake.ok("GET", "oauth")
    assert st["live_access_tokens"] == []
    assert st["expired_access_tokens"] == [pair["access_token"]]
    fake.ok("POST", "oauth", {"access_ttl_s": 604799})
    status, new = token_request(fake, refresh_params(pair["refresh_token"]))
    assert status == 200 and new["expires_in"] == 604799
    assert api_status(fake, new["access_token"]) == (200, None)
    assert api_status(fake, pair["access_token"]) == (401, 1002)


def test_expire_and_revoke_controls(fake):
    a, b, c = exchange(fake), exchange(fake), exchange(fake)
    assert fake.ok("POST", "oauth/expire",
                   {"access_token": a["access_token"]}) == {"expired": 1}
    assert api_status(fake, a["access_token"]) == (401, 1003)
    assert api_status(fake, b["access_token"]) == (200, None)
    status, a2 = token_request(fake, refresh_params(a["refresh_token"]))
    assert status == 200
    assert api_status(fake, a2["access_token"]) == (200, None)
    assert fake.ok("POST", "oauth/revoke",
                   {"refresh_token": b["refresh_token"]}) == {"revoked": 1}
    assert api_status(fake, b["access_token"]) == (401, 1002)
    token_error(fake, 400, 1071, "invalid_grant",
                refresh_params(b["refresh_token"]))
    assert fake.ok("POST", "oauth/revoke",
                   {"access_token": c["access_token"]}) == {"revoked": 1}
    token_error(fake, 400, 1071, "invalid_grant",
                refresh_params(c["refresh_token"]))
    assert fake.ok("POST", "oauth/revoke",
                   {"access_token": "unknown"}) == {"revoked": 0}
    d = exchange(fake)
    assert fake.ok("POST", "oauth/expire", {"all": True}) == {"expired": 2}
    for t in (a2, d):
        assert api_status(fake, t["access_token"]) == (401, 1003)
    assert fake.ok("POST", "oauth/revoke", {"all": True}) == {"revoked": 2}
    for t in (a2, d):
        assert api_status(fake, t["access_token"]) == (401, 1002)
        token_error(fake, 400, 1071, "invalid_grant",
                    refresh_params(t["refresh_token"]))
    st = fake.ok("GET", "oauth")
    assert st["live_refresh_tokens"] == st["live_access_tokens"] == []
    # --token tokens are not OAuth pairs: untouched, and /_control/tokens
    # still governs them.
    assert api_status(fake, TOKEN) == (200, None)
    fake.ok("POST", "tokens", {"expire": [TOKEN]})
    assert api_status(fake, TOKEN) == (401, 1003)
    # Bad control requests.
    for path, req in (("oauth/revoke", {}), ("oauth/revoke", {"all": 1}),
                      ("oauth/expire", {"refresh_token": "x"}),
                      ("oauth", {"access_ttl_s": -1}),
                      ("oauth", {"deny": "yes"}), ("oauth", {"nope": 1}),
                      ("oauth/code", {"scope": "READ_EVERYTHING"}),
                      ("oauth/code", {"scope": ""})):
        assert fake.control("POST", path, req)[0] == 400, (path, req)


def test_delete_token_revokes(fake):
    a, b = exchange(fake), exchange(fake)
    status, _, body = fake.request("DELETE", "/2.0/token",
                                   token=a["access_token"])
    assert status == 200
    assert json.loads(body) == {"message": "SUCCESS", "resultCode": 0}
    assert api_status(fake, a["access_token"]) == (401, 1002)
    token_error(fake, 400, 1071, "invalid_grant",
                refresh_params(a["refresh_token"]))
    assert api_status(fake, b["access_token"]) == (200, None)
    c = exchange(fake)
    status, _, _ = fake.request(
        "DELETE", "/2.0/token?deleteAllForApiClient=true",
        token=c["access_token"])
    assert status == 200
    assert fake.ok("GET", "oauth")["live_refresh_tokens"] == []
    assert fake.request("DELETE", "/2.0/token", token=None)[0] == 401
    assert fake.ok("GET", "oauth")["revocations"] == 2


def test_token_params_in_query_accepted_and_flagged(fake):
    code = mint(fake)
    status, pair = token_request(fake, query=exchange_params(code))
    assert status == 200
    # Body and query mixed: the body wins.
    status, _ = token_request(fake, refresh_params(pair["refresh_token"]),
                              query={"grant_type": "bogus"})
    assert status == 200
    status, _ = token_request(fake, exchange_params(mint(fake)))
    assert status == 200
    log = [e for e in fake.ok("GET", "log") if e["path"] == "/2.0/token"]
    assert [e["token_params_in_query"] for e in log] == [True, True, False]
    assert all(e["query"] == {} for e in log)


def test_request_log_holds_no_oauth_secrets(fake):
    code = mint(fake)
    _, pair = token_request(fake, query=exchange_params(code))
    _, pair2 = token_request(fake, refresh_params(pair["refresh_token"]))
    token_request(fake, refresh_params(pair["refresh_token"]))      # 1071
    token_request(fake, exchange_params(mint(fake), hash=None,
                                        client_secret=SECRET))
    fake.get("/2.0/users/me", token=pair2["access_token"])
    secrets = [code, hash_of(code), SECRET, pair["access_token"],
               pair["refresh_token"], pair2["refresh_token"],
               hash_of(pair["refresh_token"])]
    text = json.dumps(fake.ok("GET", "log"))
    with open(fake.log_path, encoding="utf-8") as f:
        text += f.read()
    for s in secrets:
        assert s not in text
    tok = [e for e in fake.ok("GET", "log") if e["path"] == "/2.0/token"]
    assert [e["status"] for e in tok] == [200, 200, 400, 200]


def test_verbose_log_redacts_token_queries(spawn):
    f = spawn("--verbose")
    code = f.ok("POST", "oauth/code", {})["code"]
    status, _ = token_request(f, query=exchange_params(code))
    assert status == 200
    f.stop()
    with open(f.stderr_path, errors="replace") as fh:
        text = fh.read()
    assert "/2.0/token" in text
    assert code not in text and hash_of(code) not in text


def test_faults_apply_to_token_endpoint(fake):
    code = mint(fake)
    good = exchange_params(code)
    add_fault(fake, path="^/2\\.0/token$", status=503, errorCode=4001)
    status, data = token_request(fake, good)
    assert status == 503 and data["errorCode"] == 4001
    add_fault(fake, path="^/2\\.0/token$", kind="html")
    status, h, body = fake.request("POST", "/2.0/token", token=None,
                                   headers=FORM,
                                   body=urllib.parse.urlencode(good).encode())
    assert status == 502 and h["Content-Type"] == "text/html"
    add_fault(fake, path="^/2\\.0/token$", kind="reset")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        token_request(fake, good)
    # None of those reached the endpoint: the code is still good.
    add_fault(fake, path="^/2\\.0/token$", kind="delay", delay_ms=200)
    t0 = time.monotonic()
    status, _ = token_request(fake, good)
    assert status == 200 and time.monotonic() - t0 >= 0.2
    log = [e for e in fake.ok("GET", "log") if e["path"] == "/2.0/token"]
    assert [(e["status"], e["fault"]) for e in log] == [
        (503, "status"), (502, "html"), (0, "reset"), (200, "delay")]
    # And to the page.
    add_fault(fake, path="^/b/authorize$", status=500)
    assert authorize(fake, **allow_params())[0] == 500


def test_reset_clears_oauth_state(fake):
    fake.ok("POST", "oauth", {"client_id": "cid2", "client_secret": "s2",
                              "redirect_uri": "http://x/cb", "deny": True,
                              "error": "invalid_scope", "code_ttl_ms": 5,
                              "access_ttl_s": 5})
    st = fake.ok("GET", "oauth")
    assert (st["client_id"], st["redirect_uri"]) == ("cid2", "http://x/cb")
    status, pair = token_request(fake, exchange_params(
        mint(fake), client_id="cid2", hash=None, client_secret="s2"))
    assert status == 200 and pair["expires_in"] == 5
    code = mint(fake)
    token_request(fake, {"grant_type": "x"})
    fake.ok("POST", "reset")
    assert fake.ok("GET", "oauth") == {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
        "live_refresh_tokens": [], "live_access_tokens": [],
        "expired_access_tokens": [], "exchanges": 0, "refreshes": 0,
        "failures": {}, "codes_issued": 0, "revocations": 0}
    assert api_status(fake, pair["access_token"]) == (401, 1002)
    token_error(fake, 400, 1071, "invalid_grant", exchange_params(code))
    assert api_status(fake, TOKEN) == (200, None)
    _, _, _, q = authorize(fake, **allow_params())
    assert q["expires_in"] == "599135"


def test_oauth_command_line_options(spawn):
    f = spawn("--client-id", "cli-id", "--client-secret", "cli-secret",
              "--redirect-uri", "http://127.0.0.1:9/cb", "--code-ttl-ms",
              "1234", "--access-ttl", "77")
    status, h, _ = f.get("/b/authorize?" + urllib.parse.urlencode(
        allow_params(client_id="cli-id")), token=None)
    assert status == 302
    loc = h["Location"]
    assert loc.startswith("http://127.0.0.1:9/cb?code=")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    assert q["expires_in"] == "1234"
    status, pair = token_request(f, exchange_params(
        q["code"], client_id="cli-id", hash=hash_of(q["code"], "cli-secret")))
    assert status == 200 and pair["expires_in"] == 77
    assert api_status(f, pair["access_token"]) == (200, None)
    f.ok("POST", "reset")
    assert f.ok("GET", "oauth")["client_id"] == "cli-id"


def test_concurrent_refresh_chains(fake):
    """4 threads each refresh their own pair 25 times, in parallel, and
    use each new access token: no spurious failure."""
    pairs = [exchange(fake) for _ in range(4)]
    errors = []

    def chain(pair):
        try:
            for _ in range(25):
                status, new = token_request(
                    fake, refresh_params(pair["refresh_token"]))
                if status != 200:
                    errors.append(new)
                    return
                pair = new
                if api_status(fake, pair["access_token"]) != (200, None):
                    errors.append("access token refused")
                    return
        except Exception as e:              # noqa: BLE001
            errors.append(repr(e))
    threads = [threading.Thread(target=chain, args=(p,)) for p in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    st = fake.ok("GET", "oauth")
    assert st["refreshes"] == 100 and st["failures"] == {}
    assert len(st["live_refresh_tokens"]) == 4


def test_racing_refreshes_of_one_token_exactly_one_wins(fake):
    pair = exchange(fake)
    results = []
    barrier = threading.Barrier(8)

    def go():
        barrier.wait(10)
        results.append(token_request(fake,
                                     refresh_params(pair["refresh_token"])))
    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(s for s, _ in results) == [200] + [400] * 7
    assert all(d["errorCode"] == 1071 for s, d in results if s == 400)
    st = fake.ok("GET", "oauth")
    assert st["refreshes"] == 1 and st["failures"] == {"1071": 7}
    assert len(st["live_refresh_tokens"]) == 1


def test_user_me(fake):
    status, user = fake.get_json("/2.0/users/me")
    with open(os.path.join(FIXTURES, "user.json"), encoding="utf-8") as f:
        assert status == 200 and user == json.load(f)


# ---------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------

def private_keys(obj):
    if isinstance(obj, dict):
        return [k for k in obj if k.startswith("_")] + \
            [k for v in obj.values() for k in private_keys(v)]
    if isinstance(obj, list):
        return [k for v in obj for k in private_keys(v)]
    return []


def test_every_fixture_served_in_full_without_private_fields(fake):
    for raw in fixture_sheets():
        status, served = fake.get_json("/2.0/sheets/%d%s" % (raw["id"], FULL))
        if raw.get("_noAccess"):
            assert status == 403
            continue
        assert status == 200
        assert private_keys(served) == []
        assert raw["totalRowCount"] == len(raw["rows"])
        assert served == {k: v for k, v in raw.items()
                          if not k.startswith("_")}


def test_ids_exact_in_raw_bytes(fake):
    _, _, body = fake.get("/2.0/sheets/%d%s" % (ID_2P53_PLUS_1, FULL))
    assert b'"id":9007199254740993' in body
    assert b'"parentId":9007199254741001' in body
    _, _, body = fake.get("/2.0/sheets/%d%s" % (ID_INT64_MAX, FULL))
    assert b'"id":9223372036854775807' in body
    _, _, body = fake.get("/2.0/sheets?includeAll=true")
    assert b"9007199254740993" in body and b"9223372036854775807" in body


def test_degraded_without_level_2_and_object_value(fake):
    _, full = fake.get_json("/2.0/sheets/%d%s" % (TAGS_ID, FULL))
    types = {c["title"]: c["type"] for c in full["columns"]}
    assert types["Tags"] == "MULTI_PICKLIST"
    assert types["Reviewers"] == "MULTI_CONTACT_LIST"
    for query in ("", "?level=2", "?include=objectValue",
                  "?level=1&include=objectValue"):
        _, sheet = fake.get_json("/2.0/sheets/%d%s" % (TAGS_ID, query))
        types = {c["title"]: c["type"] for c in sheet["columns"]}
        assert types["Tags"] == "TEXT_NUMBER", query
        assert types["Reviewers"] == "TEXT_NUMBER", query
        assert types["Owner"] == "CONTACT_LIST", query
        assert b"objectValue" not in json.dumps(sheet).encode()
        first = {c["columnId"]: c for c in sheet["rows"][0]["cells"]}
        tags_col = next(c["id"] for c in sheet["columns"]
                        if c["title"] == "Tags")
        assert first[tags_col]["value"] == "urgent, backend"
    log = fake.ok("GET", "log")
    assert log[-1]["query"] == {"level": "1", "include": "objectValue"}


def test_ascii_only_fixture_is_escaped(fake):
    status, _, body = fake.get("/2.0/sheets/%d%s" % (ASCII_ID, FULL))
    assert status == 200
    assert body.isascii()
    assert b"\\ud83d\\ude80" in body            # U+1F680 as a surrogate pair
    assert "R\u00e9sum\u00e9 \U0001F680" in json.loads(body)["name"]


def test_version_and_if_version_after(fake):
    status, data = fake.get_json("/2.0/sheets/%d/version" % PROJECT_ID)
    assert status == 200 and data == {"version": 42}
    _, data = fake.get_json("/2.0/sheets/%d%s&ifVersionAfter=42"
                            % (PROJECT_ID, FULL))
    assert data == {"version": 42}
    _, data = fake.get_json("/2.0/sheets/%d%s&ifVersionAfter=41"
                            % (PROJECT_ID, FULL))
    assert data["version"] == 42 and len(data["rows"]) == 10


# ---------------------------------------------------------------------------
# Control API: changes
# ---------------------------------------------------------------------------

def test_update_bumps_version_and_modified_at(fake):
    _, before = fake.get_json("/2.0/sheets/%d%s" % (PROJECT_ID, FULL))
    v1 = fake.ok("POST", "sheets/%d/update" % PROJECT_ID,
                 {"cells": [{"row": 0, "column": 0, "value": "Renamed task"},
                            {"row": 1, "column": 6, "value": 0.5,
                             "displayValue": "50%"},
                            {"row": 2, "column": 7, "value": None}]})
    assert v1 == {"version": 43}
    # Two updates within one second still get strictly later times.
    v2 = fake.ok("POST", "sheets/%d/update" % PROJECT_ID,
                 {"name": "Project Plan v2", "add_rows": 2})
    assert v2 == {"version": 44}
    _, after = fake.get_json("/2.0/sheets/%d%s" % (PROJECT_ID, FULL))
    assert after["version"] == 44 and after["name"] == "Project Plan v2"
    assert TIME_RE.match(after["modifiedAt"])
    assert after["modifiedAt"] > before["modifiedAt"]
    assert len(after["rows"]) == 12 and after["totalRowCount"] == 12
    assert after["rows"][11]["rowNumber"] == 12
    cells0 = {c["columnId"]: c for c in after["rows"][0]["cells"]}
    task_col = after["columns"][0]["id"]
    assert cells0[task_col]["value"] == "Renamed task"
    assert cells0[task_col]["displayValue"] == "Renamed task"
    cells1 = {c["columnId"]: c for c in after["rows"][1]["cells"]}
    assert cells1[after["columns"][6]["id"]]["displayValue"] == "50%"
    cells2 = {c["columnId"]: c for c in after["rows"][2]["cells"]}
    assert cells2[after["columns"][7]["id"]] == \
        {"columnId": after["columns"][7]["id"]}
    assert fake.get_json("/2.0/sheets/%d/version" % PROJECT_ID)[1] == \
        {"version": 44}
    _, listing = fake.get_json("/2.0/sheets?includeAll=true")
    item = next(i for i in listing["data"] if i["id"] == PROJECT_ID)
    assert item["name"] == "Project Plan v2"
    assert item["modifiedAt"] == after["modifiedAt"]
    # Reset restores the start state.
    fake.ok("POST", "reset")
    _, again = fake.get_json("/2.0/sheets/%d%s" % (PROJECT_ID, FULL))
    assert again == before


def test_update_modified_at_strictly_increases(fake):
    stamps = []
    for _ in range(3):
        fake.ok("POST", "sheets/%d/update" % TAGS_ID, {"cells": []})
        _, s = fake.get_json("/2.0/sheets/%d%s" % (TAGS_ID, FULL))
        stamps.append(s["modifiedAt"])
    assert stamps == sorted(set(stamps))


def test_update_bad_input(fake):
    status, data = fake.control("POST", "sheets/%d/update" % PROJECT_ID,
                                {"cells": [{"row": 99, "column": 0,
                                            "value": 1}]})
    assert status == 400 and "row" in data["error"]
    status, _ = fake.control("POST", "sheets/1/update", {})
    assert status == 404
    assert fake.get_json("/2.0/sheets/%d/version" % PROJECT_ID)[1] == \
        {"version": 42}


def test_add_and_delete_sheet(fake):
    sheet = {"id": 123456789, "name": "Added", "version": 5,
             "permalink": "https://app.smartsheet.com/b/home?lx=added",
             "modifiedAt": "2024-06-01T00:00:00Z", "_secret": 1,
             "columns": [{"id": 1, "title": "A", "type": "TEXT_NUMBER",
                          "primary": True}],
             "rows": [{"id": 2, "rowNumber": 1,
                       "cells": [{"columnId": 1, "value": "x"}]}]}
    assert fake.ok("POST", "sheets", sheet) == {"id": 123456789, "version": 5}
    status, served = fake.get_json("/2.0/sheets/123456789" + FULL)
    assert status == 200 and served["name"] == "Added"
    assert "_secret" not in served
    _, listing = fake.get_json("/2.0/sheets?includeAll=true")
    assert listing["totalCount"] == len(fixture_sheets()) + 1
    fake.ok("DELETE", "sheets/123456789")
    assert fake.get("/2.0/sheets/123456789")[0] == 404
    status, _ = fake.control("POST", "sheets", {"name": "no id"})
    assert status == 400


# ---------------------------------------------------------------------------
# Transport: gzip, keep-alive, robustness
# ---------------------------------------------------------------------------

def test_gzip_when_asked(fake):
    path = "/2.0/sheets/%d%s" % (PROJECT_ID, FULL)
    _, plain_h, plain = fake.get(path)
    assert plain_h.get("Content-Encoding") is None
    _, gz_h, gz = fake.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert gz_h["Content-Encoding"] == "gzip"
    assert int(gz_h["Content-Length"]) == len(gz) < len(plain)
    assert gzip.decompress(gz) == plain
    # Small bodies are not compressed.
    _, h, body = fake.get("/2.0/sheets/%d/version" % PROJECT_ID,
                          headers={"Accept-Encoding": "gzip"})
    assert h.get("Content-Encoding") is None and json.loads(body)
    log = fake.ok("GET", "log")
    assert log[-1]["accept_encoding"] == "gzip"
    assert log[-2]["accept_encoding"] == "gzip, deflate"


def test_keep_alive(fake):
    c = fake.conn()
    try:
        socks = set()
        for _ in range(3):
            c.request("GET", "/2.0/sheets/%d/version" % PROJECT_ID,
                      headers={"Authorization": "Bearer " + TOKEN})
            r = c.getresponse()
            assert r.status == 200 and json.loads(r.read())
            socks.add(id(c.sock))
        assert len(socks) == 1 and c.sock is not None
    finally:
        c.close()


def test_survives_clients_that_disconnect(fake):
    # Mid request body.
    s = socket.create_connection(("127.0.0.1", fake.port))
    s.sendall(b"POST /_control/fault HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: 1000\r\n\r\n{\"path\":")
    s.close()
    # Mid response body (a large one).
    s = socket.create_connection(("127.0.0.1", fake.port))
    s.sendall(b"GET /2.0/sheets/%d%s HTTP/1.1\r\nHost: x\r\n"
              b"Authorization: Bearer %s\r\n\r\n"
              % (PROJECT_ID, FULL.encode(), TOKEN.encode()))
    s.recv(100)
    s.close()
    # Garbage.
    s = socket.create_connection(("127.0.0.1", fake.port))
    s.sendall(b"\x00\x01garbage\r\n\r\n")
    s.close()
    time.sleep(0.1)
    assert fake.get("/2.0/users/me")[0] == 200
    assert fake.proc.poll() is None


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------

VERSION_PATH = "/2.0/sheets/%d/version" % PROJECT_ID
SHEET_PATH = "/2.0/sheets/%d" % PROJECT_ID


def add_fault(fake, **f):
    return fake.ok("POST", "fault", f)


def test_fault_status_once_then_normal(fake):
    add_fault(fake, path="^/2\\.0/sheets/%d/version$" % PROJECT_ID)
    check_error(fake, VERSION_PATH, 500, 4004)
    assert fake.get(VERSION_PATH)[0] == 200


def test_fault_status_custom_method_and_count(fake):
    add_fault(fake, path="/version$", method="GET", times=2, status=503,
              errorCode=4001, message="Down for maintenance")
    add_fault(fake, path="/version$", method="POST", times=-1, status=418)
    check_error(fake, VERSION_PATH, 503, 4001, "Down for maintenance")
    check_error(fake, VERSION_PATH, 503, 4001)
    assert fake.get(VERSION_PATH)[0] == 200


def test_fault_queue_order_and_until_cleared(fake):
    add_fault(fake, path="version", status=500, errorCode=4002)
    add_fault(fake, path="version", status=429, errorCode=4003, times=-1)
    check_error(fake, VERSION_PATH, 500, 4002)
    for _ in range(3):
        check_error(fake, VERSION_PATH, 429, 4003)
    fake.ok("DELETE", "fault")
    assert fake.get(VERSION_PATH)[0] == 200


def test_fault_applies_before_auth(fake):
    add_fault(fake, path="version", status=500)
    assert fake.get(VERSION_PATH, token=None)[0] == 500


def test_fault_reset(fake):
    add_fault(fake, path="version", kind="reset")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        fake.get(VERSION_PATH)
    assert fake.get(VERSION_PATH)[0] == 200
    log = fake.ok("GET", "log")
    assert log[-2]["fault"] == "reset" and log[-2]["status"] == 0
    assert log[-1]["fault"] is None and log[-1]["status"] == 200


def test_fault_truncate(fake):
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        add_fault(fake, path="^/2\\.0/sheets/\\d+$", kind="truncate")
        c = fake.conn()
        try:
            c.request("GET", SHEET_PATH + FULL, headers=dict(
                headers, Authorization="Bearer " + TOKEN))
            r = c.getresponse()
            assert r.status == 200
            with pytest.raises(http.client.IncompleteRead) as err:
                r.read()
            announced = int(r.headers["Content-Length"])
            assert 0 < len(err.value.partial) < announced
        finally:
            c.close()
    assert fake.get(SHEET_PATH + FULL)[0] == 200


def test_fault_malformed_html_wrong_shape(fake):
    add_fault(fake, path="version", kind="malformed")
    status, h, body = fake.get(VERSION_PATH)
    assert status == 200 and h["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(body)
    add_fault(fake, path="version", kind="html")
    status, h, body = fake.get(VERSION_PATH)
    assert status == 502 and h["Content-Type"] == "text/html"
    assert body == b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    add_fault(fake, path="version", kind="html", status=414)
    assert fake.get(VERSION_PATH)[0] == 414
    add_fault(fake, path="version", kind="wrong_shape")
    status, data = fake.get_json(VERSION_PATH)
    assert status == 200 and data == {"id": "not-a-number", "rows": "x"}


def test_fault_delay(fake):
    add_fault(fake, path="version", kind="delay", delay_ms=300)
    t0 = time.monotonic()
    status, data = fake.get_json(VERSION_PATH)
    assert time.monotonic() - t0 >= 0.3
    assert status == 200 and data == {"version": 42}
    assert fake.ok("GET", "log")[-1]["fault"] == "delay"


def test_fault_bad_requests(fake):
    assert fake.control("POST", "fault", {"path": "x", "kind": "boom"})[0] \
        == 400
    assert fake.control("POST", "fault", {"path": "("})[0] == 400
    assert fake.control("POST", "fault", {"kind": "status"})[0] == 400


# ---------------------------------------------------------------------------
# Rate limit, request log, stats
# ---------------------------------------------------------------------------

def test_rate_limit(fake):
    fake.ok("POST", "rate", {"per_minute": 3})
    fake.ok("POST", "tokens", {"add": ["other-token"]})
    for _ in range(3):
        assert fake.get(VERSION_PATH)[0] == 200
    data = check_error(fake, VERSION_PATH, 429, 4003, "Rate limit exceeded.")
    assert REFID.match(data["refId"])
    # Per token.
    assert fake.get(VERSION_PATH, token="other-token")[0] == 200
    fake.ok("POST", "reset")
    for _ in range(5):
        assert fake.get(VERSION_PATH)[0] == 200


def test_rate_limit_from_command_line(spawn):
    f = spawn("--rate-per-min", "2")
    assert [f.get(VERSION_PATH)[0] for _ in range(3)] == [200, 200, 429]


def test_request_log_and_stats(fake):
    t0 = time.time()
    fake.get("/2.0/sheets?page=2&pageSize=5", headers={"User-Agent": "ua/1"})
    fake.get(SHEET_PATH + FULL, token=None)
    fake.ok("GET", "stats")                     # control: never logged
    log = fake.ok("GET", "log")
    assert len(log) == 2
    a, b = log
    assert a == {"method": "GET", "path": "/2.0/sheets",
                 "query": {"page": "2", "pageSize": "5"}, "auth": True,
                 "status": 200, "t": a["t"], "fault": None,
                 "accept_encoding": "identity", "user_agent": "ua/1"}
    assert b["path"] == SHEET_PATH and b["auth"] is False
    assert b["status"] == 401
    assert b["query"] == {"level": "2", "include": "objectValue"}
    assert t0 - 1 <= a["t"] <= b["t"] <= time.time()
    assert fake.ok("GET", "log?since=1") == [b]
    stats = fake.ok("GET", "stats")
    assert stats["requests"] == 2
    assert stats["by_path"] == {"/2.0/sheets": 1, SHEET_PATH: 1}
    # The log file has a line per API request (it is not reset).
    with open(fake.log_path, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert lines[-2:] == log
    assert not any(e["path"].startswith("/_control") for e in lines)
    fake.ok("DELETE", "log")
    assert fake.ok("GET", "log") == []


# ---------------------------------------------------------------------------
# Other accounts and options
# ---------------------------------------------------------------------------

def load_scenario(name):
    for path in glob.glob(os.path.join(HERE, "..", "..", "..", "shared",
                                       "smartsheet-sdk-scenarios", "*.json")):
        with open(path, encoding="utf-8") as f:
            for s in json.load(f):
                if s.get("scenario") == name:
                    return s["response"]["jsonBody"]
    raise LookupError(name)


def test_sdk_account(spawn):
    if not os.path.isdir(os.path.join(HERE, "..", "..", "..", "shared",
                                      "smartsheet-sdk-scenarios")):
        pytest.skip("../shared/smartsheet-sdk-scenarios is not beside "
                    "the repository")
    f = spawn("--account", "sdk")
    _, listing = f.get_json("/2.0/sheets")
    assert [(i["id"], i["name"]) for i in listing["data"]] == [
        (1, "Copy of Sample Sheet"), (123, "New Sheet"),
        (2, "Task Tracking Document")]
    status, sheet = f.get_json("/2.0/sheets/123" + FULL)
    full = load_scenario("Assume User - Can Be Set")
    assert status == 200
    assert sheet == full                # verbatim, totalRowCount 6 and all
    status, user = f.get_json("/2.0/users/me")
    assert user == load_scenario("Serialization - UserProfile")
    status, minimal = f.get_json("/2.0/sheets/2" + FULL)
    assert status == 200 and minimal["version"] == 1
    assert minimal["rows"] == []
    assert minimal["name"] == "Task Tracking Document"
    assert [(c["title"], c["type"], c["primary"])
            for c in minimal["columns"]] == [("Name", "TEXT_NUMBER", True)]


def test_generated_sheets(spawn):
    f = spawn("--generate", "3", "--generate-medium", "1", "--big", "20000x25")
    _, listing = f.get_json("/2.0/sheets?includeAll=true&include=sheetVersion")
    names = [i["name"] for i in listing["data"]]
    for n in ("Generated 0001", "Generated 0003", "Medium 0001", "Big"):
        assert n in names
    _, small = f.get_json("/2.0/sheets/7000000000000002" + FULL)
    assert len(small["rows"]) == 5 and len(small["columns"]) == 3
    _, medium = f.get_json("/2.0/sheets/7100000000000001" + FULL)
    assert len(medium["rows"]) == 200 and len(medium["columns"]) == 10
    types = {c["type"] for c in medium["columns"]}
    assert {"TEXT_NUMBER", "DATE", "CHECKBOX", "PICKLIST", "CONTACT_LIST",
            "MULTI_PICKLIST", "MULTI_CONTACT_LIST", "DURATION"} <= types
    t0 = time.monotonic()
    status, h, raw = f.get("/2.0/sheets/%d%s" % (BIG_ID, FULL),
                           headers={"Accept-Encoding": "gzip"})
    assert status == 200 and h["Content-Encoding"] == "gzip"
    assert time.monotonic() - t0 < 8
    big = json.loads(gzip.decompress(raw))
    assert len(big["rows"]) == 20000 and len(big["columns"]) == 25
    assert big["totalRowCount"] == 20000
    assert big["rows"][1]["parentId"] == big["rows"][0]["id"]
    # Deterministic, and served from the cache the second time.
    t0 = time.monotonic()
    _, _, again = f.get("/2.0/sheets/%d%s" % (BIG_ID, FULL),
                        headers={"Accept-Encoding": "gzip"})
    assert again == raw and time.monotonic() - t0 < 2
    # Updates work on generated sheets too.
    medium_id = 7100000000000001
    f.ok("POST", "sheets/%d/update" % medium_id,
         {"cells": [{"row": 5, "column": 1, "value": 7}], "add_rows": 1})
    _, version = f.get_json("/2.0/sheets/%d/version" % medium_id)
    assert version == {"version": 2}
    _, medium2 = f.get_json("/2.0/sheets/%d%s" % (medium_id, FULL))
    assert len(medium2["rows"]) == 201
    cell = next(c for c in medium2["rows"][5]["cells"]
                if c["columnId"] == medium2["columns"][1]["id"])
    assert cell == {"columnId": medium2["columns"][1]["id"], "value": 7,
                    "displayValue": "7"}
    assert medium2["rows"][6] == medium["rows"][6]
    assert medium2["rows"][200]["rowNumber"] == 201


def test_throttle(spawn):
    f = spawn("--throttle-bytes-per-sec", "100000")
    t0 = time.monotonic()
    _, _, body = f.get(SHEET_PATH + FULL)
    elapsed = time.monotonic() - t0
    assert elapsed >= 0.8 * len(body) / 100000 and len(body) > 10000


def test_max_seconds_exit(spawn):
    f = spawn("--max-seconds", "0.5")
    assert f.proc.wait(timeout=5) == 0


def test_parent_death_exit(spawn, tmp_path):
    port_file = str(tmp_path / "port-child")
    stderr = open(str(tmp_path / "child-stderr"), "wb")
    # sh starts the fake with --parent-pid $$ and exits after 0.5 s.
    sh = subprocess.Popen(
        ["sh", "-c", '"$0" "$1" --port-file "$2" --max-seconds 30 '
         '--parent-pid $$ & sleep 0.5', sys.executable, FAKE, port_file],
        stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        assert sh.wait(timeout=10) == 0
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with open(port_file) as fh:
            port = int(fh.read())
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
            except OSError:
                break                       # gone: the fake exited
            assert time.monotonic() < deadline, "fake outlived its parent"
            time.sleep(0.1)
    finally:
        if sh.poll() is None:
            sh.kill()
            sh.wait(timeout=5)
        stderr.close()


def test_port_option_and_shutdown(spawn, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, FAKE, "--port", str(port),
                             "--max-seconds", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().decode()
        assert "127.0.0.1:%d" % port in line
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("POST", "/_control/shutdown")
        assert c.getresponse().status == 200
        c.close()
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        proc.stdout.close()


# ---------------------------------------------------------------------------
# Fixture coverage (what the brief asks the fixtures to contain)
# ---------------------------------------------------------------------------

def test_fixtures_cover_the_edge_cases():
    sheets = fixture_sheets()
    types = {c["type"] for s in sheets for c in s["columns"]}
    assert types >= {"TEXT_NUMBER", "DATE", "DATETIME", "ABSTRACT_DATETIME",
                     "CONTACT_LIST", "MULTI_CONTACT_LIST", "CHECKBOX",
                     "PICKLIST", "MULTI_PICKLIST", "DURATION", "PREDECESSOR"}
    cells = [c for s in sheets for r in s["rows"] for c in r["cells"]]
    values = [c.get("value") for c in cells]
    texts = [v for v in values if isinstance(v, str)]
    floats = [v for v in values if isinstance(v, float)]
    assert True in values and False in values
    assert any(set(c) == {"columnId"} for c in cells)
    for x in (0.1, 1e21, 1.5e-7):
        assert x in floats
    assert any(v == 0 and math.copysign(1, v) < 0 for v in floats)
    shown = [c.get("displayValue") for c in cells]
    assert "12,345" in shown and "$1,234.57" in shown
    for needle in ('"', ",", "\r\n", "\n", "\u2028", "\U0001F680", "\u05e9",
                   "\u65e5"):
        assert any(needle in t for t in texts), needle
    assert any("\r" in t and "\r\n" not in t for t in texts)
    kinds = [c["objectValue"] for c in cells if "objectValue" in c]
    multi = [o for o in kinds if o["objectType"] == "MULTI_CONTACT"]
    assert any("name" in v for o in multi for v in o["values"])
    assert any("name" not in v for o in multi for v in o["values"])
    assert any(o["objectType"] == "MULTI_PICKLIST" for o in kinds)
    assert any(c.get("hidden") for s in sheets for c in s["columns"])
    # parentId chain three deep
    depth = 0
    for s in sheets:
        parent = {r["id"]: r.get("parentId") for r in s["rows"]}
        for rid in parent:
            d, p = 0, parent[rid]
            while p is not None:
                d, p = d + 1, parent.get(p)
            depth = max(depth, d)
    assert depth >= 3
    assert any(s["rows"] == [] and s["columns"] for s in sheets)
    # Ids kept exact by json: literals in the files.
    for path in glob.glob(os.path.join(FIXTURES, "sheets", "*.json")):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if "9007199254740993" in text:
            assert json.loads(text)["id"] == 9007199254740993
    assert {ID_2P53_PLUS_1, ID_INT64_MAX} <= {s["id"] for s in sheets}


# ---------------------------------------------------------------------------
# spec_render: hand-written golden outputs
# ---------------------------------------------------------------------------

NUMBER_CASES = [
    (0.1, "0.1"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (1.5e-7, "1.5e-7"), (1e-7, "1e-7"), (1e-6, "0.000001"),
    (0.0000125, "0.0000125"), (-0.0, "0"), (0.0, "0"), (100.0, "100"),
    (12345, "12345"), (-250.5, "-250.5"), (1234.5678, "1234.5678"),
    (0.30000000000000004, "0.30000000000000004"),
    (123e-20, "1.23e-18"), (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (1.0000000000000012e21, "1.0000000000000012e+21"),
    (9007199254740993, "9007199254740992"),
    (2 ** 70, "1.1805916207174113e+21"),
    (float("nan"), "NaN"), (float("inf"), "Infinity"),
    (float("-inf"), "-Infinity"),
]


@pytest.mark.parametrize("x,text", NUMBER_CASES)
def test_spec_render_number_to_js(x, text):
    assert number_to_js(x) == text


def test_spec_render_number_refuses_booleans():
    with pytest.raises(TypeError):
        number_to_js(True)


SPEC_EXAMPLE = {
    "id": 1, "name": "Plan", "version": 7,
    "permalink": "https://app.smartsheet.com/b/home?lx=x",
    "modifiedAt": "2024-05-05T05:05:05Z", "totalRowCount": 2,
    "columns": [{"id": 11, "index": 0, "title": "Task", "type": "TEXT_NUMBER",
                 "primary": True, "width": 150},
                {"id": 12, "index": 1, "title": "Done", "type": "CHECKBOX",
                 "hidden": False}],
    "rows": [{"id": 21, "rowNumber": 1, "expanded": True,
              "cells": [{"columnId": 11, "value": "Design",
                         "displayValue": "Design"},
                        {"columnId": 12, "value": True}]},
             {"id": 22, "rowNumber": 2, "parentId": 21,
              "cells": [{"columnId": 11, "value": "Build",
                         "displayValue": "Build"},
                        {"columnId": 12}]}]}


def test_spec_render_json_spec_example():
    # Verbatim from SPEC.md §4 JSON.
    assert render_json(SPEC_EXAMPLE) == (
        b'{"id":1,"name":"Plan","version":7,"permalink":"https://app.smartshee'
        b't.com/b/home?lx=x","modifiedAt":"2024-05-05T05:05:05Z","columns":[{'
        b'"id":11,"title":"Task","type":"TEXT_NUMBER","primary":true},{"id":1'
        b'2,"title":"Done","type":"CHECKBOX"}],"rows":[\n'
        b'{"id":21,"rowNumber":1,"parentId":null,"cells":{"Task":"Design","Do'
        b'ne":true}},\n'
        b'{"id":22,"rowNumber":2,"parentId":21,"cells":{"Task":"Build"}}\n'
        b']}\n')
    assert render_csv(SPEC_EXAMPLE) == b"Task,Done\nDesign,true\nBuild,\n"


MINI = {
    "id": 9007199254740993, "name": 'Mini, "quoted"', "version": 3,
    "permalink": "https://app.smartsheet.com/b/home?lx=mini",
    "modifiedAt": "2024-01-02T03:04:05Z",
    "columns": [
        {"id": 1, "title": "Name", "type": "TEXT_NUMBER", "primary": True},
        {"id": 2, "title": "Amount", "type": "TEXT_NUMBER", "hidden": True},
        {"id": 3, "title": "Tags", "type": "MULTI_PICKLIST"}],
    "rows": [
        {"id": 10, "rowNumber": 1, "cells": [
            {"columnId": 1, "value": "a,b", "displayValue": "a,b"},
            {"columnId": 2, "value": 1234.5, "displayValue": "$1,234.50"},
            {"columnId": 3, "displayValue": "x, y", "objectValue": {
                "objectType": "MULTI_PICKLIST", "values": ["x", "y"]}}]},
        {"id": 11, "rowNumber": 2, "parentId": 10, "cells": [
            {"columnId": 1, "value": 'say "hi"\nbye'},
            {"columnId": 2, "value": 1e21, "displayValue": "1E+21"},
            {"columnId": 3}]},
        {"id": 12, "rowNumber": 3, "parentId": 11, "cells": [
            {"columnId": 2, "value": -0.0},
            {"columnId": 1, "value": "line\u2028sep\r\nx"}]}]}


def test_spec_render_mini_csv():
    assert render_csv(MINI) == (
        b'Name,Amount,Tags\n'
        b'"a,b",1234.5,"x, y"\n'
        b'"say ""hi""\nbye",1e+21,\n'
        b'"line\xe2\x80\xa8sep\r\nx",0,\n')
    assert render_csv(MINI, display=True) == (
        b'Name,Amount,Tags\n'
        b'"a,b","$1,234.50","x, y"\n'
        b'"say ""hi""\nbye",1E+21,\n'
        b'"line\xe2\x80\xa8sep\r\nx",0,\n')
    assert render_csv(MINI, crlf=True) == (
        b'Name,Amount,Tags\r\n'
        b'"a,b",1234.5,"x, y"\r\n'
        b'"say ""hi""\nbye",1e+21,\r\n'
        b'"line\xe2\x80\xa8sep\r\nx",0,\r\n')


def test_spec_render_mini_json():
    assert render_json(MINI) == (
        b'{"id":9007199254740993,"name":"Mini, \\"quoted\\"","version":3,'
        b'"permalink":"https://app.smartsheet.com/b/home?lx=mini",'
        b'"modifiedAt":"2024-01-02T03:04:05Z","columns":['
        b'{"id":1,"title":"Name","type":"TEXT_NUMBER","primary":true},'
        b'{"id":2,"title":"Amount","type":"TEXT_NUMBER","hidden":true},'
        b'{"id":3,"title":"Tags","type":"MULTI_PICKLIST"}],"rows":[\n'
        b'{"id":10,"rowNumber":1,"parentId":null,"cells":{"Name":"a,b",'
        b'"Amount":1234.5,"Tags":["x","y"]}},\n'
        b'{"id":11,"rowNumber":2,"parentId":10,"cells":{"Name":'
        b'"say \\"hi\\"\\nbye","Amount":1e+21}},\n'
        b'{"id":12,"rowNumber":3,"parentId":11,"cells":{"Name":'
        b'"line\\u2028sep\\r\\nx","Amount":0}}\n'
        b']}\n')


CONTACTS = {
    "id": 5, "name": "Caf\u00e9 / \U0001F680", "version": 1,
    "permalink": "https://app.smartsheet.com/b/home?lx=c",
    "modifiedAt": "2024-02-02T02:02:02Z",
    "columns": [
        {"id": 1, "title": "Who", "type": "MULTI_CONTACT_LIST"},
        {"id": 2, "title": "Who", "type": "CONTACT_LIST"},
        {"id": 3, "title": "Ok", "type": "CHECKBOX"},
        {"id": 4, "title": "Shown", "type": "TEXT_NUMBER"}],
    "rows": [
        {"id": 7, "rowNumber": 1, "cells": [
            {"columnId": 1, "displayValue": "Ana, b@x.io", "objectValue": {
                "objectType": "MULTI_CONTACT", "values": [
                    {"objectType": "CONTACT", "email": "a@x.io",
                     "name": "Ana"},
                    {"objectType": "CONTACT", "email": "b@x.io"}]}},
            {"columnId": 2, "value": "c@x.io", "displayValue": "C\u00e9"},
            {"columnId": 3, "value": False},
            {"columnId": 4, "displayValue": "only shown"}]}]}


def test_spec_render_contacts_duplicate_titles_display_only():
    assert render_json(CONTACTS) == (
        '{"id":5,"name":"Caf\u00e9 / \U0001F680","version":1,'
        '"permalink":"https://app.smartsheet.com/b/home?lx=c",'
        '"modifiedAt":"2024-02-02T02:02:02Z","columns":['
        '{"id":1,"title":"Who","type":"MULTI_CONTACT_LIST"},'
        '{"id":2,"title":"Who","type":"CONTACT_LIST"},'
        '{"id":3,"title":"Ok","type":"CHECKBOX"},'
        '{"id":4,"title":"Shown","type":"TEXT_NUMBER"}],"rows":[\n'
        '{"id":7,"rowNumber":1,"parentId":null,"cells":{"Who":['
        '{"name":"Ana","email":"a@x.io"},{"email":"b@x.io"}],'
        '"Who (2)":"c@x.io","Ok":false,"Shown":"only shown"}}\n'
        ']}\n').encode()
    assert render_csv(CONTACTS) == \
        'Who,Who,Ok,Shown\n"Ana, b@x.io",c@x.io,false,only shown\n'.encode()
    assert render_csv(CONTACTS, display=True) == \
        'Who,Who,Ok,Shown\n"Ana, b@x.io",C\u00e9,false,only shown\n'.encode()


def test_spec_render_no_rows():
    sheet = {"id": 8, "name": "E", "version": 2, "permalink": "p",
             "modifiedAt": "m", "rows": [],
             "columns": [{"id": 1, "title": "A, B", "type": "TEXT_NUMBER",
                          "primary": True},
                         {"id": 2, "title": "C", "type": "DATE"}]}
    assert render_csv(sheet) == b'"A, B",C\n'
    assert render_csv(sheet, crlf=True) == b'"A, B",C\r\n'
    assert render_json(sheet) == (
        b'{"id":8,"name":"E","version":2,"permalink":"p","modifiedAt":"m",'
        b'"columns":[{"id":1,"title":"A, B","type":"TEXT_NUMBER",'
        b'"primary":true},{"id":2,"title":"C","type":"DATE"}],"rows":[\n'
        b']}\n')


def test_spec_render_file_stems():
    long_cjk = "\U0001F4CA" + "\u65e5" * 100           # 4 + 300 bytes
    exact = "\u00e9" * 125                              # 250 bytes: fits
    over = "\u00e9" * 125 + "x"                         # 251 bytes: cut
    items = [
        {"id": 1, "name": "A/B"}, {"id": 2, "name": "A\uff0fB"},
        {"id": 3, "name": ".."}, {"id": 4, "name": "."},
        {"id": 5, "name": "Q3\tForecast\nDraft"}, {"id": 6, "name": ""},
        {"id": 7, "name": "Budget"}, {"id": 8, "name": "Budget"},
        {"id": 9, "name": "Rates 50% *final*"}, {"id": 10, "name": "del\x7f"},
        {"id": 6235291302799236, "name": long_cjk},
        {"id": 12, "name": exact}, {"id": 13, "name": over},
        {"id": 14, "name": "budget"}]
    stems = file_stems(items)
    # 255 - len(".json") - len(" (6235291302799236)") = 231 bytes for <cut>;
    # the emoji (4) + 75 CJK (225) = 229, the next CJK would pass 231.
    assert stems == {
        1: "A\uff0fB (1)", 2: "A\uff0fB (2)", 3: "..", 4: ".",
        5: "Q3_Forecast_Draft", 6: "_", 7: "Budget (7)", 8: "Budget (8)",
        9: "Rates 50% *final*", 10: "del_",
        6235291302799236: "\U0001F4CA" + "\u65e5" * 75 + " (6235291302799236)",
        12: exact, 13: "\u00e9" * 122 + " (13)", 14: "budget"}
    for stem in stems.values():
        assert len((stem + ".json").encode()) <= 255


def test_spec_render_all_fixtures_parse_back():
    """The oracle's output for every fixture is valid CSV and JSON with the
    expected shape (a check of the oracle, not of smartsheetfs)."""
    for sheet in fixture_sheets():
        body = render_json(sheet)
        lines = body.split(b"\n")
        assert lines[0].endswith(b'"rows":[') and lines[-2:] == [b"]}", b""]
        assert len(lines) == len(sheet["rows"]) + 3
        data = json.loads(body)
        assert data["id"] == sheet["id"]
        assert [r["id"] for r in data["rows"]] == \
            [r["id"] for r in sheet["rows"]]
        for display in (False, True):
            text = render_csv(sheet, display=display).decode("utf-8")
            records = list(csv.reader(io.StringIO(text, newline="")))
            assert len(records) == len(sheet["rows"]) + 1
            assert all(len(r) == len(sheet["columns"]) for r in records)
    stems = file_stems(fixture_sheets())
    assert len(set(stems.values())) == len(stems)
    assert stems[5521689150269316] == "A\uff0fB (5521689150269316)"
    assert stems[1018089522898820] == "A\uff0fB (1018089522898820)"
    assert stems[8148440269006724] == ".."
    assert stems[5896640455321476] == "Q3_Forecast_Draft"


def test_spec_render_fixture_spot_checks():
    by_id = {s["id"]: s for s in fixture_sheets()}
    budget = render_csv(by_id[1268407719430020]).decode().split("\n")
    assert budget[1] == \
        "Office rent,Facilities,1234.5678,12345,0.1,2024-01-31,true"
    assert budget[3] == "National debt (for scale),3,1e+21,0,0.000001,,"
    shown = render_csv(by_id[1268407719430020], display=True).decode()
    assert 'Office rent,Facilities,"$1,234.57","12,345",0.1,2024-01-31,true' \
        in shown
    tags = render_json(by_id[TAGS_ID]).decode().split("\n")
    assert ('"Reviewers":[{"name":"Ana Silva",'
            '"email":"ana.silva@example.com"},'
            '{"email":"li.wei@example.com"}]') in tags[1]
    assert '"Tags":["docs","Q1, Q2"]' in tags[2]
    assert '"Internal Notes"' not in tags[3]            # empty cells absent
    edge = render_json(by_id[7773488963954564]).decode()
    assert '"hidden"' not in edge
    assert ('"Note":"first Note",'
            '"Note (5651746131962756)":"second Note"') in edge
    assert spec_render.MISSING is spec_render.cell_json_value({"columnId": 1})


def test_spec_render_json_string_escapes():
    sheet = {"id": 1, "name": "n", "version": 1, "permalink": "p",
             "modifiedAt": "m",
             "columns": [{"id": 2, "title": "T", "type": "TEXT_NUMBER"}],
             "rows": [{"id": 3, "rowNumber": 1, "cells": [
                 {"columnId": 2,
                  "value": "\x07\x1f\x7f/\t\b\f\\\"\u2029\u00e9"}]}]}
    line = render_json(sheet).split(b"\n")[1]
    assert line == (b'{"id":3,"rowNumber":1,"parentId":null,"cells":{"T":'
                    b'"\\u0007\\u001f\x7f/\\t\\b\\f\\\\\\"\\u2029\xc3\xa9"}}')


# ---------------------------------------------------------------------------
# Workspaces, folders, reports (SPEC §7)
# ---------------------------------------------------------------------------

WS_ENG, WS_FIN, WS_WRITE = (1100000000000001, 1100000000000002,
                            1100000000000003)
F_ROADMAP, F_NOTES, F_EMPTY = (1200000000000001, 1200000000000002,
                               1200000000000003)
F_LEVEL1, F_LEVEL5 = 1200000000000011, 1200000000000015
F_REPORTS = 9007199254740995                    # above 2^53
R_ROLLUP, R_STATUS, R_RESTRICTED = (1400000000000001, 1400000000000002,
                                    1400000000000003)
S_ROADMAP, S_NOTES, S_STATUS, S_DEEP = (1300000000000001, 1300000000000002,
                                        1300000000000003, 1300000000000005)
S_WRITE, S_READONLY = 1300000000000010, 1300000000000011
BUDGET_FY24, BUDGET_MKT = 1268407719430020, 6837504383018884
TEXT_ID, EMPTY_ID = 7773488963954564, 2882303761517117
SIGHT, TEMPLATE = 1500000000000001, 1500000000000002
ITEM_KEYS = {"id", "name", "accessLevel", "permalink"}
REPORT_FULL = "?level=3&include=objectValue"


def kids(fake, kind, oid, query=""):
    """(status, body) of one children page."""
    return fake.get_json("/2.0/%ss/%d/children%s" % (kind, oid, query))


def all_kids(fake, kind, oid, query=""):
    """Every child, following lastKey; also the pages."""
    pages, items, key = [], [], None
    while True:
        q = query
        if key is not None:
            q += ("&" if q else "?") + "lastKey=" + urllib.parse.quote(key)
        status, page = kids(fake, kind, oid, q)
        assert status == 200, page
        assert set(page) <= {"data", "lastKey"}
        pages.append(page)
        items += page["data"]
        key = page.get("lastKey")
        if key is None:
            return items, pages
        assert len(pages) < 200


def names(items):
    return [(i["resourceType"], i["name"]) for i in items]


def walk_tree(fake):
    """{container: [children]} of the whole tree, read through the API."""
    _, listing = fake.get_json("/2.0/workspaces?includeAll=true")
    out, todo = {}, [("workspace", w["id"]) for w in listing["data"]]
    while todo:
        kind, oid = todo.pop()
        out[(kind, oid)], _ = all_kids(fake, kind, oid)
        todo += [("folder", i["id"]) for i in out[(kind, oid)]
                 if i["resourceType"] == "folder"]
    return listing["data"], out


def test_workspaces_list_offset_and_token_paging(fake):
    status, first = fake.get_json("/2.0/workspaces")
    assert status == 200
    assert first["totalCount"] == 3 and first["pageSize"] == 5
    assert [w["name"] for w in first["data"]] == [
        "Engineering/Ops", "Finance", "Write Tests"]
    assert all(set(w) == ITEM_KEYS for w in first["data"])
    assert first["data"][0]["accessLevel"] == "ADMIN"
    _, page2 = fake.get_json("/2.0/workspaces?pageSize=2&page=2")
    assert page2["totalPages"] == 2 and \
        [w["id"] for w in page2["data"]] == [WS_WRITE]
    _, every = fake.get_json("/2.0/workspaces?includeAll=true")
    assert "pageSize" not in every and every["data"] == first["data"]
    _, tok = fake.get_json("/2.0/workspaces?paginationType=token&maxItems=2")
    assert [w["id"] for w in tok["data"]] == [WS_ENG, WS_FIN]
    _, tok2 = fake.get_json("/2.0/workspaces?paginationType=token&maxItems=2"
                            "&lastKey=" + tok["lastKey"])
    assert tok2 == {"data": first["data"][2:]}


def test_children_shapes_and_resource_types(fake):
    items, pages = all_kids(fake, "workspace", WS_ENG)
    assert len(pages) == 1
    assert [(i["resourceType"], i["id"], i["name"]) for i in items] == [
        ("sheet", BUDGET_FY24, "Budget"), ("sheet", BUDGET_MKT, "Budget"),
        ("folder", F_EMPTY, "Empty"), ("sheet", S_NOTES, "Notes"),
        ("folder", F_NOTES, "Notes.csv"), ("sight", SIGHT, "Ops Dashboard"),
        ("template", TEMPLATE, "Ops Template"),
        ("sheet", PROJECT_ID, "Project Plan"),
        ("folder", F_ROADMAP, "Roadmap"), ("sheet", S_ROADMAP, "Roadmap")]
    assert all(set(i) == ITEM_KEYS | {"resourceType"} for i in items)
    folder = next(i for i in items if i["id"] == F_ROADMAP)
    assert folder["accessLevel"] == "ADMIN"         # its workspace's
    budget = next(i for i in items if i["id"] == BUDGET_MKT)
    assert budget["accessLevel"] == "VIEWER"        # the sheet's own
    for query, want in (
            ("sheets", {"sheet"}), ("folders", {"folder"}),
            ("sights", {"sight"}), ("templates,sheets", {"template", "sheet"}),
            ("sheets,%20reports,folders", {"sheet", "folder"})):
        _, page = kids(fake, "workspace", WS_ENG,
                       "?childrenResourceTypes=" + query)
        assert {i["resourceType"] for i in page["data"]} == want, query
    _, fin = kids(fake, "workspace", WS_FIN,
                  "?childrenResourceTypes=reports,folders")
    assert names(fin["data"]) == [("folder", "Reports 2024"),
                                  ("report", "Status")]
    for bad in ("templates", "bogus", "sheets,bogus", ""):
        check_error(fake, "/2.0/workspaces/%d/children?childrenResourceTypes"
                    "=%s" % (WS_ENG, bad), 400, 1018)
    check_error(fake, "/2.0/folders/%d/children?maxItems=0" % F_ROADMAP,
                400, 1018)
    # Ids above 2^53 stay exact.
    _, _, raw = fake.get("/2.0/workspaces/%d/children" % WS_FIN)
    assert b'"id":9007199254740995' in raw
    status, inner = kids(fake, "folder", F_REPORTS)
    assert status == 200 and names(inner["data"]) == [
        ("report", "Budget Rollup"), ("sheet", "Payroll 2024 (restricted)")]


def test_children_follow_last_key_through_short_and_empty_pages(fake):
    full, _ = all_kids(fake, "workspace", WS_ENG)
    fake.ok("POST", "settings", {"max_children_page": 3})
    items, pages = all_kids(fake, "workspace", WS_ENG, "?maxItems=100")
    assert items == full
    assert [len(p["data"]) for p in pages] == [3, 3, 3, 1]
    assert ["lastKey" in p for p in pages] == [True, True, True, False]
    items, pages = all_kids(fake, "workspace", WS_ENG, "?maxItems=2")
    assert items == full and len(pages) == 5
    # Short and EMPTY pages while more follow: only lastKey tells.
    fake.ok("POST", "settings", {"children_page_pattern": [0, 2, 1]})
    items, pages = all_kids(fake, "workspace", WS_ENG)
    assert items == full
    sizes = [len(p["data"]) for p in pages]
    assert sizes[:4] == [0, 2, 1, 0] and sum(sizes) == 10
    assert all("lastKey" in p for p in pages[:-1])
    assert "lastKey" not in pages[-1]
    # An empty folder: one empty page, no lastKey.
    assert kids(fake, "folder", F_EMPTY) == (200, {"data": []})
    # A lastKey works only for its own list; garbage is refused.
    _, first = kids(fake, "workspace", WS_ENG)
    check_error(fake, "/2.0/folders/%d/children?lastKey=%s"
                % (F_ROADMAP, first["lastKey"]), 400, 1018)
    check_error(fake, "/2.0/folders/%d/children?lastKey=xyz" % F_ROADMAP,
                400, 1018)
    assert fake.ok("GET", "settings")["children_page_pattern"] == [0, 2, 1]
    fake.ok("POST", "reset")
    assert fake.ok("GET", "settings") == {
        "max_children_page": 100, "children_page_pattern": [],
        "max_report_page": 10000, "write_delay_ms": 0}
    for bad in ({"children_page_pattern": [0]}, {"max_children_page": 0},
                {"write_delay_ms": -1}, {"nope": 1}):
        assert fake.control("POST", "settings", bad)[0] == 400


def test_children_page_options_from_command_line(spawn):
    f = spawn("--max-children-page", "4", "--children-page-pattern", "0,3")
    items, pages = all_kids(f, "workspace", WS_ENG)
    assert [len(p["data"]) for p in pages] == [0, 3, 0, 3, 0, 3, 0, 1]
    assert f.ok("GET", "settings")["max_children_page"] == 4
    assert len(items) == 10


def test_children_errors(fake):
    for path in ("/2.0/folders/42/children", "/2.0/workspaces/42/children",
                 "/2.0/folders/abc/children",
                 "/2.0/folders/%d/children" % WS_ENG,    # not a folder id
                 "/2.0/workspaces/%d/children" % F_ROADMAP):
        check_error(fake, path, 404, 1006)
    fake.ok("POST", "access", {"folder": F_ROADMAP, "noAccess": True})
    check_error(fake, "/2.0/folders/%d/children" % F_ROADMAP, 403, 1004)
    items, _ = all_kids(fake, "workspace", WS_ENG)
    assert F_ROADMAP in [i["id"] for i in items]        # still listed
    fake.ok("POST", "access", {"workspace": WS_FIN, "noAccess": True})
    check_error(fake, "/2.0/workspaces/%d/children" % WS_FIN, 403, 1004)
    fake.ok("DELETE", "folders/%d" % F_ROADMAP)
    check_error(fake, "/2.0/folders/%d/children" % F_ROADMAP, 404, 1006)
    check_error(fake, "/2.0/folders/%d/children" % F_LEVEL5, 404, 1006)
    # Its sheets left the account with it.
    assert fake.get("/2.0/sheets/%d" % S_DEEP)[0] == 404
    items, _ = all_kids(fake, "workspace", WS_ENG)
    assert F_ROADMAP not in [i["id"] for i in items]
    status, _, _ = fake.request("POST", "/2.0/workspaces/%d/children"
                                % WS_ENG)
    assert status == 405


def test_deprecated_endpoints_answer_410_and_are_logged(fake):
    paths = ["/2.0/home", "/2.0/home/folders", "/2.0/folders/personal",
             "/2.0/workspaces/%d" % WS_ENG,
             "/2.0/workspaces/%d?loadAll=true" % WS_ENG,
             "/2.0/workspaces/%d/folders" % WS_ENG,
             "/2.0/folders/%d" % F_ROADMAP,
             "/2.0/folders/%d/folders" % F_ROADMAP]
    for path in paths:
        status, body = fake.get_json(path)
        assert status == 410, path
        assert body["errorCode"] == 4005 and "deprecated" in body["message"]
        assert "children" in body["message"] or "/2.0/" in body["message"]
    log = fake.ok("GET", "log")
    assert [e.get("deprecated") for e in log] == [True] * len(paths)
    fake.get("/2.0/workspaces")
    assert "deprecated" not in fake.ok("GET", "log")[-1]


def test_default_tree_covers_the_naming_edge_cases(fake):
    workspaces, tree = walk_tree(fake)
    assert any("/" in w["name"] for w in workspaces)
    placed = set()
    has = {"same_sheets": False, "sheet_folder": False, "sheet_report": False,
           "file_named_folder": False, "empty": False}
    for container, items in tree.items():
        placed |= {i["id"] for i in items if i["resourceType"] == "sheet"}
        by_name = {}
        for i in items:
            by_name.setdefault(i["name"], []).append(i["resourceType"])
        for kinds in by_name.values():
            has["same_sheets"] |= kinds.count("sheet") >= 2
            has["sheet_folder"] |= {"sheet", "folder"} <= set(kinds)
            has["sheet_report"] |= {"sheet", "report"} <= set(kinds)
        for i in items:
            if i["resourceType"] == "folder":
                has["file_named_folder"] |= i["name"].endswith(".csv") and \
                    i["name"][:-4] in by_name
                has["empty"] |= tree[("folder", i["id"])] == []
    assert all(has.values()), has
    # Folders five deep.
    parent = {("folder", i["id"]): c for c, items in tree.items()
              for i in items if i["resourceType"] == "folder"}

    def depth(f):
        return 1 + depth(parent[f]) if f in parent else 0
    assert max(depth(f) for f in parent) >= 5
    # Every placed sheet is in the flat list, and some sheet is in none.
    _, listing = fake.get_json("/2.0/sheets?includeAll=true")
    flat = {s["id"] for s in listing["data"]}
    assert placed <= flat and PROJECT_ID in placed
    assert flat - placed
    # A report in a workspace; a listed report the token may not read.
    assert any(i["resourceType"] == "report" for items in tree.values()
               for i in items)
    _, reports = fake.get_json("/2.0/reports")
    statuses = {r["id"]: fake.get("/2.0/reports/%d" % r["id"])[0]
                for r in reports["data"]}
    assert statuses[R_RESTRICTED] == 403 and 200 in statuses.values()
    # The oracle's names for one folder (SPEC §7).
    eng = spec_render.entry_names(
        [{"kind": i["resourceType"], "id": i["id"], "name": i["name"]}
         for i in tree[("workspace", WS_ENG)]
         if i["resourceType"] in ("sheet", "report", "folder")])
    assert eng[("sheet", S_NOTES)] == "Notes (%d)" % S_NOTES
    assert eng[("folder", F_NOTES)] == "Notes.csv (%d)" % F_NOTES
    assert eng[("sheet", S_ROADMAP)] == "Roadmap"
    assert eng[("folder", F_ROADMAP)] == "Roadmap"
    assert eng[("sheet", BUDGET_MKT)] == "Budget (%d)" % BUDGET_MKT
    fin = spec_render.entry_names(
        [{"kind": i["resourceType"], "id": i["id"], "name": i["name"]}
         for i in tree[("workspace", WS_FIN)]])
    assert fin[("report", R_STATUS)] == "Status (%d)" % R_STATUS
    assert fin[("sheet", S_STATUS)] == "Status (%d)" % S_STATUS
    top = spec_render.entry_names([dict(w, kind="workspace")
                                   for w in workspaces])
    assert top[("workspace", WS_ENG)] == "Engineering\uff0fOps"


def test_tree_generators(spawn):
    f = spawn("--generate-tree", "2,3,4", "--big-folder", "500",
              "--max-page-size", "1000")
    _, listing = f.get_json("/2.0/workspaces?includeAll=true")
    names_ = [w["name"] for w in listing["data"]]
    assert "Tree Workspace 001" in names_ and "Tree Workspace 002" in names_
    assert "Wide Workspace" in names_ and len(names_) == 6
    ws = next(w for w in listing["data"] if w["name"] == "Tree Workspace 002")
    folders, _ = all_kids(f, "workspace", ws["id"])
    assert [i["name"] for i in folders] == ["Folder 001", "Folder 002",
                                            "Folder 003"]
    sheets, _ = all_kids(f, "folder", folders[2]["id"])
    assert [i["name"] for i in sheets] == [
        "Tree 002-003-%03d" % k for k in (1, 2, 3, 4)]
    status, sheet = f.get_json("/2.0/sheets/%d%s" % (sheets[0]["id"], FULL))
    assert status == 200 and len(sheet["rows"]) == 5
    wide = next(w for w in listing["data"] if w["name"] == "Wide Workspace")
    (folder,), _ = all_kids(f, "workspace", wide["id"])
    items, pages = all_kids(f, "folder", folder["id"])
    assert len(items) == 500 and len(pages) == 5
    assert items[0]["name"] == "Wide 0001" and items[-1]["name"] == "Wide 0500"
    _, flat = f.get_json("/2.0/sheets?pageSize=1")
    assert flat["totalCount"] == len(fixture_sheets()) + 24 + 500
    for bad in (("--generate-tree", "0,1,1"), ("--generate-tree", "1,1"),
                ("--big-folder", "10001"), ("--big-report", "50001"),
                ("--children-page-pattern", "0,0")):
        p = subprocess.run([sys.executable, FAKE, "--port-file",
                            os.devnull, *bad], capture_output=True,
                           timeout=30)
        assert p.returncode == 2, bad


def report_json(fake, rid, query=REPORT_FULL):
    status, body = fake.get_json("/2.0/reports/%d%s" % (rid, query))
    assert status == 200, body
    return body


def test_reports_list_and_report_shape(fake):
    status, listing = fake.get_json("/2.0/reports")
    assert status == 200 and listing["totalCount"] == 3
    assert [(r["id"], r["name"]) for r in listing["data"]] == [
        (R_ROLLUP, "Budget Rollup"), (R_RESTRICTED, "Restricted Report"),
        (R_STATUS, "Status")]
    assert all(set(r) == ITEM_KEYS for r in listing["data"])
    _, _, raw = fake.get("/2.0/reports/%d%s&pageSize=10000"
                         % (R_ROLLUP, REPORT_FULL))
    report = json.loads(raw)
    assert list(report) == ["id", "name", "totalRowCount", "accessLevel",
                            "permalink", "createdAt", "modifiedAt",
                            "columns", "rows"]
    assert raw.startswith(b'{"id":1400000000000001,"name":"Budget Rollup",'
                          b'"totalRowCount":11,')
    cols = report["columns"]
    assert [c["title"] for c in cols] == ["Sheet Name", "Line Item",
                                          "Amount", "Campaign", "Spend"]
    assert [c["index"] for c in cols] == [0, 1, 2, 3, 4]
    assert cols[0]["sheetNameColumn"] is True
    assert not any("sheetNameColumn" in c for c in cols[1:])
    assert all("id" not in c and isinstance(c["virtualId"], int)
               for c in cols)
    assert len({c["virtualId"] for c in cols}) == 5
    assert [c.get("primary") for c in cols] == [None, True, None, None, None]
    rows = report["rows"]
    fy24 = fake.get_json("/2.0/sheets/%d%s" % (BUDGET_FY24, FULL))[1]
    mkt = fake.get_json("/2.0/sheets/%d%s" % (BUDGET_MKT, FULL))[1]
    assert report["totalRowCount"] == len(rows) == 11
    assert [r["id"] for r in rows] == [r["id"] for r in fy24["rows"]] + \
        [r["id"] for r in mkt["rows"]]
    assert [r["sheetId"] for r in rows] == [BUDGET_FY24] * 8 + \
        [BUDGET_MKT] * 3
    assert [r["rowNumber"] for r in rows] == list(range(1, 12))
    assert not any("parentId" in r or "siblingId" in r for r in rows)
    assert rows[0]["accessLevel"] == "EDITOR_SHARE"
    assert rows[8]["accessLevel"] == "VIEWER"
    vids = [c["virtualId"] for c in cols]
    line_item = next(c["id"] for c in fy24["columns"]
                     if c["title"] == "Line Item")
    first = rows[0]["cells"]
    assert [c["virtualColumnId"] for c in first] == vids
    assert first[0] == {"virtualColumnId": vids[0], "value": "Budget",
                        "displayValue": "Budget"}
    assert first[1]["columnId"] == line_item
    assert first[1]["value"] == fy24["rows"][0]["cells"][0]["value"]
    assert first[3] == {"virtualColumnId": vids[3]}    # no such column there
    campaign = mkt["columns"][0]["id"]
    assert rows[8]["cells"][3]["columnId"] == campaign
    assert rows[8]["cells"][1] == {"virtualColumnId": vids[1]}
    # The modifiedAt follows the newest source.
    assert report["modifiedAt"] == max(fy24["modifiedAt"], mkt["modifiedAt"])
    check_error(fake, "/2.0/reports/%d" % R_RESTRICTED, 403, 1004)
    check_error(fake, "/2.0/reports/42", 404, 1006)
    check_error(fake, "/2.0/reports/x", 404, 1006)
    # The oracle renders it (SPEC §7).
    csv_text = spec_render.render_report_csv(report).decode()
    lines = list(csv.reader(io.StringIO(csv_text)))
    assert lines[0] == ["Sheet Name", "Line Item", "Amount", "Campaign",
                        "Spend"]
    assert len(lines) == 12 and lines[1][0] == "Budget"
    assert lines[9][1:3] == ["", ""] and lines[9][3] != ""
    parsed = json.loads(spec_render.render_report_json(report))
    assert parsed["totalRowCount"] == 11
    assert [r["sheetId"] for r in parsed["rows"]] == [r["sheetId"]
                                                      for r in rows]


def test_report_paging_and_caps(fake):
    every = report_json(fake, R_ROLLUP)["rows"]          # default pageSize
    assert len(every) == 11
    got = []
    for page in (1, 2, 3):
        body = report_json(fake, R_ROLLUP, REPORT_FULL + "&pageSize=4&page=%d"
                           % page)
        assert body["totalRowCount"] == 11
        assert len(body["rows"]) == (4 if page < 3 else 3)
        got += body["rows"]
    assert got == every
    past = report_json(fake, R_ROLLUP, REPORT_FULL + "&pageSize=4&page=4")
    assert past["rows"] == [] and past["totalRowCount"] == 11
    assert len(report_json(fake, R_ROLLUP, REPORT_FULL +
                           "&pageSize=20000")["rows"]) == 11
    fake.ok("POST", "settings", {"max_report_page": 5})
    capped = report_json(fake, R_ROLLUP, REPORT_FULL + "&pageSize=10000")
    assert [r["rowNumber"] for r in capped["rows"]] == [1, 2, 3, 4, 5]
    check_error(fake, "/2.0/reports/%d?pageSize=ten" % R_ROLLUP, 400, 1018)


def test_report_max_page_from_command_line(spawn):
    f = spawn("--max-report-page", "2")
    body = report_json(f, R_STATUS, REPORT_FULL + "&pageSize=10000")
    assert len(body["rows"]) == 2 and body["totalRowCount"] == 8


def test_report_levels_degrade_multi_columns(fake):
    full = report_json(fake, R_STATUS)
    types = {c["title"]: c["type"] for c in full["columns"]}
    assert types == {"Item": "TEXT_NUMBER", "Status": "PICKLIST",
                     "Owner": "CONTACT_LIST", "Tags": "MULTI_PICKLIST",
                     "Reviewers": "MULTI_CONTACT_LIST"}
    tags = full["columns"][3]["virtualId"]
    row = full["rows"][3]                  # Contacts & Tags' first row
    assert row["sheetId"] == TAGS_ID
    cell = next(c for c in row["cells"] if c["virtualColumnId"] == tags)
    assert cell["objectValue"]["values"] == ["urgent", "backend"]
    assert "value" not in cell
    for query in ("", "?level=2&include=objectValue", "?level=3"):
        body = report_json(fake, R_STATUS, query)
        types = {c["title"]: c["type"] for c in body["columns"]}
        assert types["Tags"] == types["Reviewers"] == "TEXT_NUMBER", query
        assert types["Owner"] == "CONTACT_LIST"
        assert b"objectValue" not in json.dumps(body).encode()
        cell = next(c for c in body["rows"][3]["cells"]
                    if c["virtualColumnId"] == tags)
        assert cell["value"] == "urgent, backend"


def test_report_follows_source_changes(fake):
    before = report_json(fake, R_ROLLUP)
    fake.ok("POST", "sheets/%d/update" % BUDGET_FY24,
            {"name": "Budget FY24",
             "cells": [{"row": 0, "column": 0, "value": "Rent v2"}]})
    after = report_json(fake, R_ROLLUP)
    assert after["modifiedAt"] > before["modifiedAt"]
    assert after["rows"][0]["cells"][1]["value"] == "Rent v2"
    assert after["rows"][0]["cells"][0]["value"] == "Budget FY24"
    assert after["rows"][10]["cells"][0]["value"] == "Budget"
    # A source the token may not read adds no rows.
    fake.ok("POST", "access", {"sheet": BUDGET_MKT, "noAccess": True})
    assert report_json(fake, R_ROLLUP)["totalRowCount"] == 8
    # Redefined through the control API.
    fake.ok("POST", "reports/%d" % R_ROLLUP,
            {"columns": ["Campaign"], "sheetNameColumn": False,
             "sources": [BUDGET_MKT, BUDGET_FY24]})
    fake.ok("POST", "access", {"sheet": BUDGET_MKT, "noAccess": False})
    body = report_json(fake, R_ROLLUP)
    assert [c["title"] for c in body["columns"]] == ["Campaign"]
    assert [r["sheetId"] for r in body["rows"]][:3] == [BUDGET_MKT] * 3
    fake.ok("POST", "reset")
    assert report_json(fake, R_ROLLUP) == before


def test_big_report(spawn):
    f = spawn("--big-report", "12000")
    _, listing = f.get_json("/2.0/reports")
    big = next(r for r in listing["data"] if r["name"] == "Big Report")
    assert big["id"] == 7810000000000001
    rows, t0 = [], time.monotonic()
    for page in (1, 2, 3):
        status, h, raw = f.get("/2.0/reports/%d%s&pageSize=5000&page=%d"
                               % (big["id"], REPORT_FULL, page),
                               headers={"Accept-Encoding": "gzip"})
        assert status == 200
        body = json.loads(gzip.decompress(raw)
                          if h.get("Content-Encoding") == "gzip" else raw)
        assert body["totalRowCount"] == 12000
        rows += body["rows"]
    assert time.monotonic() - t0 < 60
    assert [r["rowNumber"] for r in rows] == list(range(1, 12001))
    sources = [7800000000000001 + k for k in range(5)]
    assert [r["sheetId"] for r in rows] == [s for s in sources
                                            for _ in range(2400)]
    assert [c["title"] for c in body["columns"]][:3] == [
        "Sheet Name", "Name", "Amount"]
    assert rows[0]["cells"][0]["value"] == "Big Report Source 1"
    again = json.loads(f.get("/2.0/reports/%d%s&pageSize=5000&page=3"
                             % (big["id"], REPORT_FULL))[2])
    assert again["rows"] == rows[10000:]


def test_control_tree_changes_and_reset(fake):
    start = fake.ok("GET", "tree")
    assert [w["name"] for w in start["workspaces"]] == [
        "Engineering/Ops", "Finance", "Write Tests"]
    assert set(start["unplaced"]["reports"]) == {R_RESTRICTED}
    assert TAGS_ID in start["unplaced"]["sheets"]
    # Rename and move folders.
    fake.ok("POST", "folders/%d" % F_ROADMAP, {"name": "Plans"})
    fake.ok("POST", "folders/%d" % F_EMPTY, {"parent": {"folder": F_LEVEL1}})
    items, _ = all_kids(fake, "workspace", WS_ENG, "?childrenResourceTypes="
                        "folders")
    assert names(items) == [("folder", "Notes.csv"), ("folder", "Plans")]
    inner, _ = all_kids(fake, "folder", F_LEVEL1)
    assert names(inner) == [("folder", "Empty"), ("folder", "Level 2")]
    assert fake.control("POST", "folders/%d" % F_ROADMAP,
                        {"parent": {"folder": F_LEVEL5}})[0] == 400
    assert fake.control("POST", "folders/%d" % F_ROADMAP,
                        {"parent": {"folder": 1}})[0] == 400
    assert fake.control("POST", "folders/%d" % F_ROADMAP,
                        {"colour": "red"})[0] == 400
    assert fake.control("POST", "folders/1", {"name": "x"})[0] == 404
    # Workspaces: rename, create, delete.
    fake.ok("POST", "workspaces/%d" % WS_FIN, {"name": "Finance/2024",
                                               "accessLevel": "VIEWER"})
    new_ws = fake.ok("POST", "workspaces", {"name": "Archive"})["id"]
    new_f = fake.ok("POST", "folders", {"name": "Old",
                                        "parent": {"workspace": new_ws}})["id"]
    _, listing = fake.get_json("/2.0/workspaces?includeAll=true")
    assert [(w["name"], w["accessLevel"]) for w in listing["data"]] == [
        ("Archive", "OWNER"), ("Engineering/Ops", "ADMIN"),
        ("Finance/2024", "VIEWER"), ("Write Tests", "OWNER")]
    # Sheets move between folders, or out of every workspace.
    fake.ok("POST", "sheets/%d/move" % S_ROADMAP, {"parent": {"folder":
                                                              new_f}})
    assert names(all_kids(fake, "folder", new_f)[0]) == [("sheet",
                                                          "Roadmap")]
    fake.ok("POST", "sheets/%d/move" % PROJECT_ID, {"parent": None})
    assert PROJECT_ID in fake.ok("GET", "tree")["unplaced"]["sheets"]
    assert fake.ok("GET", "sheets/%d" % S_ROADMAP)["parent"] == {
        "folder": new_f}
    assert fake.control("POST", "sheets/%d/move" % S_ROADMAP,
                        {"parent": {"workspace": 5}})[0] == 400
    # Reports: create, rename, move, access none, delete.
    rid = fake.ok("POST", "reports", {
        "name": "Roadmap", "sources": [S_ROADMAP], "columns": ["Milestone"],
        "sheetNameColumn": True, "parent": {"folder": new_f}})["id"]
    assert names(all_kids(fake, "folder", new_f)[0]) == [
        ("report", "Roadmap"), ("sheet", "Roadmap")]
    body = report_json(fake, rid)
    assert body["totalRowCount"] == 2 and len(body["columns"]) == 2
    fake.ok("POST", "reports/%d" % rid, {"name": "Milestones",
                                         "parent": {"workspace": WS_ENG}})
    assert ("report", "Milestones") in names(all_kids(fake, "workspace",
                                                      WS_ENG)[0])
    fake.ok("POST", "access", {"report": R_STATUS, "noAccess": True})
    check_error(fake, "/2.0/reports/%d" % R_STATUS, 403, 1004)
    assert R_STATUS in [r["id"] for r in fake.get_json("/2.0/reports")[1]
                        ["data"]]
    defs = {d["id"]: d for d in fake.ok("GET", "reports")}
    assert defs[R_STATUS]["noAccess"] is True
    assert defs[rid]["sources"] == [S_ROADMAP]
    fake.ok("DELETE", "reports/%d" % rid)
    assert fake.get("/2.0/reports/%d" % rid)[0] == 404
    for bad in ({"name": "x", "sources": [1], "columns": ["a"]},
                {"name": "x", "sources": [], "columns": ["a", "a"]},
                {"sources": [], "columns": ["a"]},
                {"name": "x", "sources": [], "columns": ["a"],
                 "accessLevel": "KING"}):
        assert fake.control("POST", "reports", bad)[0] == 400
    # Deleting a workspace takes its sheets out of the account.
    fake.ok("DELETE", "workspaces/%d" % WS_WRITE)
    assert fake.get("/2.0/sheets/%d" % S_WRITE)[0] == 404
    check_error(fake, "/2.0/workspaces/%d/children" % WS_WRITE, 404, 1006)
    fake.ok("POST", "reset")
    assert fake.ok("GET", "tree") == start
    assert fake.get("/2.0/sheets/%d" % S_WRITE)[0] == 200
    assert fake.get("/2.0/reports/%d" % R_STATUS)[0] == 200


# ---------------------------------------------------------------------------
# Row writes (SPEC §8; smartsheet-api.md §4.8, §9.3)
# ---------------------------------------------------------------------------

def write_target():
    with open(os.path.join(FIXTURES, "sheets", "write-target.json"),
              encoding="utf-8") as f:
        return json.load(f)


WT_COL = {c["title"]: c["id"] for c in write_target()["columns"]}
PLAN, DESIGN, BUILD, RELEASE, RETRO = (1320000000001001 + i
                                       for i in range(5))
ROWS_PATH = "/2.0/sheets/%d/rows"


def rows_call(fake, method, body=None, sheet=S_WRITE, query="", token=TOKEN,
              raw=None):
    """(status, JSON answer) of a row write."""
    data = raw if raw is not None else (
        None if body is None else json.dumps(body).encode())
    status, _, answer = fake.request(
        method, ROWS_PATH % sheet + query, token=token, body=data,
        headers={"Content-Type": "application/json"})
    return status, json.loads(answer)


def cell(title, value=None, **kw):
    c = {"columnId": WT_COL[title]}
    if value is not None or not kw:
        c["value"] = value
    c.update(kw)
    return c


def task_row(text, **kw):
    return dict(kw, cells=[cell("Task", text)])


def stored(fake, sheet=S_WRITE):
    _, body = fake.get_json("/2.0/sheets/%d%s" % (sheet, FULL))
    return body


def outline(fake, sheet=S_WRITE):
    """[(primary text, parent's primary text or None)] in sheet order."""
    body = stored(fake, sheet)
    first = body["columns"][0]["id"]
    text = {r["id"]: next((c.get("value") for c in r["cells"]
                           if c["columnId"] == first), None)
            for r in body["rows"]}
    assert [r["rowNumber"] for r in body["rows"]] == \
        list(range(1, len(body["rows"]) + 1))
    return [(text[r["id"]], text.get(r.get("parentId")))
            for r in body["rows"]]


def row_cells(row):
    return {c["columnId"]: c for c in row["cells"]}


def refused(fake, method, body, status, code, detail=None, **kw):
    """A refused write changes nothing (version and rows)."""
    path = "sheets/%d" % kw.get("sheet", S_WRITE)
    before = fake.ok("GET", path)
    got, answer = rows_call(fake, method, body, **kw)
    assert (got, answer.get("errorCode")) == (status, code), answer
    assert REFID.match(answer["refId"])
    assert answer.get("detail") == detail, answer
    assert fake.ok("GET", path) == before
    return answer


def test_add_rows_result_version_and_stored_state(fake):
    _, before = fake.get_json("/2.0/sheets/%d/version" % S_WRITE)
    sent = [{"cells": [cell("Task", "Alpha"), cell("Estimate", 7)]},
            {"toBottom": None, "cells": [cell("Task", "Beta")]}]
    status, answer = rows_call(fake, "POST", sent)
    assert status == 200
    assert list(answer) == ["message", "resultCode", "result", "version"]
    assert answer["message"] == "SUCCESS" and answer["resultCode"] == 0
    assert answer["version"] == before["version"] + 1 == 8
    a, b = answer["result"]
    assert (a["rowNumber"], b["rowNumber"]) == (6, 7)
    assert a["id"] != b["id"] and a["siblingId"] == RETRO
    assert "parentId" not in a
    body = stored(fake)
    assert body["version"] == 8 and body["totalRowCount"] == 7
    assert body["rows"][5] == a and body["rows"][6] == b
    assert a["createdAt"] == a["modifiedAt"] == body["modifiedAt"]
    assert body["modifiedAt"] > write_target()["modifiedAt"]
    assert [c["columnId"] for c in a["cells"]] == list(WT_COL.values())
    cells = row_cells(a)
    assert cells[WT_COL["Task"]] == {"columnId": WT_COL["Task"],
                                     "value": "Alpha", "displayValue": "Alpha"}
    assert cells[WT_COL["Estimate"]]["displayValue"] == "7"
    assert cells[WT_COL["Due"]] == {"columnId": WT_COL["Due"]}
    # System columns: Smartsheet fills them in.
    assert cells[WT_COL["Row ID"]]["value"] == "WT-006"
    assert row_cells(b)[WT_COL["Row ID"]]["value"] == "WT-007"
    assert cells[WT_COL["Created"]]["value"] == body["modifiedAt"]
    assert cells[WT_COL["Modified By"]]["objectValue"] == {
        "objectType": "CONTACT", "email": "maria.garcia@example.com",
        "name": "Mar\u00eda Garc\u00eda"}
    assert fake.get_json("/2.0/sheets/%d/version" % S_WRITE)[1] == \
        {"version": 8}
    item = next(s for s in fake.get_json("/2.0/sheets?includeAll=true")[1]
                ["data"] if s["id"] == S_WRITE)
    assert item["modifiedAt"] == body["modifiedAt"]
    control = fake.ok("GET", "sheets/%d" % S_WRITE)
    assert control["rows"] == body["rows"] and control["version"] == 8
    assert control["parent"] == {"workspace": WS_WRITE}
    # The log keeps the body as sent.
    entry = fake.ok("GET", "log")[-4]
    assert entry["method"] == "POST" and entry["body"] == sent
    # One object in, one object out.
    status, answer = rows_call(fake, "POST", task_row("Gamma"))
    assert status == 200 and answer["result"]["rowNumber"] == 8
    assert answer["version"] == 9
    fake.ok("POST", "reset")
    assert stored(fake) == {k: v for k, v in write_target().items()
                            if not k.startswith("_")}


def test_add_rows_locations(fake):
    def add(rows, version):
        status, answer = rows_call(fake, "POST", rows)
        assert status == 200 and answer["version"] == version, answer
        return answer["result"]
    add(task_row("T", toTop=True), 8)
    add([task_row("c1", parentId=PLAN), task_row("c2", parentId=PLAN)], 9)
    add([task_row("last", parentId=PLAN, toBottom=True)], 10)
    add([task_row("below", siblingId=DESIGN)], 11)
    above = add([task_row("above", siblingId=DESIGN, above=True)], 12)
    assert outline(fake) == [
        ("T", None), ("Plan", None), ("c1", "Plan"), ("c2", "Plan"),
        ("above", "Plan"), ("Design", "Plan"), ("below", "Plan"),
        ("Build", "Plan"), ("last", "Plan"), ("Release", None),
        ("Retro", None)]
    rows = stored(fake)["rows"]
    assert rows[5]["id"] == DESIGN and rows[5]["siblingId"] == above[0]["id"]
    assert rows[1]["siblingId"] == rows[0]["id"]


def test_add_rows_refusals_change_nothing(fake):
    refused(fake, "POST", [task_row("a", toTop=True),
                           task_row("b", toBottom=True)], 400, 1123,
            {"index": 1})
    refused(fake, "POST", [task_row("a"), task_row("b", toBottom=True)],
            400, 1123, {"index": 1})
    refused(fake, "POST", [task_row("a", parentId=PLAN),
                           task_row("b", parentId=DESIGN)], 400, 1123,
            {"index": 1})
    refused(fake, "POST", task_row("a", parentId=PLAN, siblingId=DESIGN),
            400, 1062, {"index": 0})
    refused(fake, "POST", task_row("a", toTop=True, toBottom=True), 400, 1062,
            {"index": 0})
    refused(fake, "POST", task_row("a", above=True), 400, 1062, {"index": 0})
    answer = refused(fake, "POST", task_row("a", parentId=123), 400, 1063,
                     {"index": 0})
    assert answer["message"] == "Invalid parentId: 123."
    refused(fake, "POST", task_row("a", siblingId=123), 400, 1064,
            {"index": 0})
    refused(fake, "POST", task_row("a", toTop="yes"), 400, 1031,
            {"index": 0})
    for attr in ("rowNumber", "createdAt", "modifiedAt", "id", "indent"):
        answer = refused(fake, "POST", [task_row("ok"),
                                        task_row("a", **{attr: 1})],
                         400, 1032, {"index": 1})
        assert "row." + attr in answer["message"]
    refused(fake, "POST", task_row("a", colour="red"), 400, 1283,
            {"index": 0})
    refused(fake, "POST", [task_row("r%d" % i) for i in range(501)], 400,
            1061)
    refused(fake, "POST", [], 400, 1008)
    refused(fake, "POST", None, 400, 1024)
    refused(fake, "POST", None, 400, 1008, raw=b"[{")
    refused(fake, "POST", ["row"], 400, 1008, {"index": 0})
    # 500 rows is the limit, not past it; a parent needs data (1185).
    status, answer = rows_call(fake, "POST", [{"cells": []}] * 500,
                               sheet=EMPTY_ID)
    assert status == 200 and len(answer["result"]) == 500
    blank = answer["result"][0]["id"]
    refused(fake, "POST", {"parentId": blank}, 400, 1185, {"index": 0},
            sheet=EMPTY_ID)


def test_cell_values_strict_and_lenient(fake):
    bad = [("Done", "true"), ("Done", 1), ("Due", "2024/05/01"),
           ("Due", "2024-02-30"), ("Status", "Maybe"), ("Status", 3),
           ("Tags", "red"), ("Reviewers", "ana.silva@example.com"),
           ("Owner", "not an email"), ("Effort", "3 days"),
           ("Predecessors", "x"), ("Estimate", True), ("Start", "soon")]
    for title, value in bad:
        answer = refused(fake, "POST", [task_row("ok"), {"cells": [
            cell(title, value)]}], 400, 1042, {"index": 1})
        assert str(WT_COL[title]) in answer["message"], title
        col = next(c for c in write_target()["columns"]
                   if c["title"] == title)
        assert answer["message"].endswith("type %s." % col["type"])
    refused(fake, "POST", {"cells": [cell("Tags", "red", strict=False)]},
            400, 1042, {"index": 0})
    refused(fake, "POST", {"cells": [cell("Estimate", 2 ** 53 + 2)]}, 400,
            1148, {"index": 0})
    refused(fake, "POST", {"cells": [cell("Estimate", {"a": 1})]}, 400, 1038,
            {"index": 0})
    refused(fake, "POST", {"cells": [cell("Task", "a", objectValue={
        "objectType": "CONTACT", "email": "a@b.io"})]}, 400, 1130,
        {"index": 0})
    refused(fake, "POST", {"cells": [cell("Task", formula="=1",
                                          value="x")]}, 400, 1163,
            {"index": 0})
    refused(fake, "POST", {"cells": [cell("Task", formula="SUM(1)")]}, 400,
            1162, {"index": 0})
    refused(fake, "POST", {"cells": [{"columnId": 42, "value": 1}]}, 400,
            1036, {"index": 0})
    refused(fake, "POST", {"cells": [cell("Task", "a"), cell("Task", "b")]},
            400, 1037, {"index": 0})
    refused(fake, "POST", {"cells": [{"value": 1}]}, 400, 1012, {"index": 0})
    refused(fake, "POST", {"cells": [{"columnId": WT_COL["Task"]}]}, 400,
            1012, {"index": 0})
    refused(fake, "POST", {"cells": [cell("Task", "a", columnType="X")]},
            400, 1032, {"index": 0})
    refused(fake, "POST", {"cells": [cell("Task", "a", strict="no")]}, 400,
            1031, {"index": 0})
    # PUT errors name the row too.
    refused(fake, "PUT", [{"id": RETRO, "cells": [cell("Task", "ok")]},
                          {"id": PLAN, "cells": [cell("Done", "x")]}],
            400, 1042, {"index": 1, "rowId": PLAN})
    # Good values, strict, and what is stored.
    status, answer = rows_call(fake, "POST", {"cells": [
        cell("Task", "x" * 4500), cell("Done", True),
        cell("Due", "2024-02-29"),
        cell("Status", "Complete"), cell("Estimate", -2 ** 53),
        cell("Effort", "3d 4h"), cell("Predecessors", "2FS +1d, 3SS"),
        cell("Start", "2024-05-01T08:00:00"),
        cell("Owner", "zed@example.com", displayValue="Zed")]})
    assert status == 200, answer
    cells = row_cells(answer["result"])
    assert cells[WT_COL["Task"]]["value"] == "x" * 4000
    assert cells[WT_COL["Done"]] == {"columnId": WT_COL["Done"],
                                     "value": True}
    assert cells[WT_COL["Due"]] == {"columnId": WT_COL["Due"],
                                    "value": "2024-02-29"}
    assert cells[WT_COL["Estimate"]]["value"] == -2 ** 53
    assert cells[WT_COL["Effort"]]["objectValue"] == {
        "objectType": "DURATION", "days": 3, "hours": 4}
    assert cells[WT_COL["Start"]]["objectValue"]["value"] == \
        "2024-05-01T08:00:00"
    assert cells[WT_COL["Owner"]]["displayValue"] == "Zed"
    assert cells[WT_COL["Owner"]]["objectValue"]["name"] == "Zed"
    # Lenient (strict: false): parsed where it can be, else text.
    status, answer = rows_call(fake, "POST", {"cells": [
        cell("Done", "TRUE", strict=False),
        cell("Due", "someday", strict=False),
        cell("Estimate", "42", strict=False),
        cell("Status", "Maybe", strict=False),
        cell("Task", 2 ** 53 + 2, strict=False),
        cell("Effort", 2, strict=False)]})
    assert status == 200, answer
    cells = row_cells(answer["result"])
    assert cells[WT_COL["Done"]]["value"] is True
    assert cells[WT_COL["Due"]]["value"] == "someday"
    assert cells[WT_COL["Due"]]["displayValue"] == "someday"
    assert cells[WT_COL["Estimate"]]["value"] == 42
    assert cells[WT_COL["Status"]]["value"] == "Maybe"
    assert cells[WT_COL["Task"]]["value"] == "9007199254740994"
    assert cells[WT_COL["Effort"]]["value"] == "2d"


def test_object_values(fake):
    status, answer = rows_call(fake, "POST", {"cells": [
        cell("Task", "objects"),
        cell("Tags", objectValue={"objectType": "MULTI_PICKLIST",
                                  "values": ["red", "Dog, Hot"]}),
        cell("Reviewers", objectValue={"objectType": "MULTI_CONTACT",
                                       "values": [
            {"objectType": "CONTACT", "email": "ana.silva@example.com",
             "name": "Ana Silva"},
            {"objectType": "CONTACT", "email": "x@example.io"}]}),
        cell("Owner", objectValue={"objectType": "CONTACT",
                                   "email": "li.wei@example.com"}),
        cell("Effort", objectValue={"objectType": "DURATION", "days": 2,
                                    "hours": 4}),
        cell("Predecessors", objectValue={
            "objectType": "PREDECESSOR_LIST", "predecessors": [
                {"rowId": DESIGN, "type": "FS", "lag": {
                    "objectType": "DURATION", "days": 1}}]})]})
    assert status == 200, answer
    cells = row_cells(answer["result"])
    tags = cells[WT_COL["Tags"]]
    assert tags == {"columnId": WT_COL["Tags"], "displayValue":
                    "red, Dog, Hot", "objectValue": {
                        "objectType": "MULTI_PICKLIST",
                        "values": ["red", "Dog, Hot"]}}
    assert cells[WT_COL["Reviewers"]]["displayValue"] == \
        "Ana Silva, x@example.io"
    assert cells[WT_COL["Owner"]]["value"] == "li.wei@example.com"
    assert cells[WT_COL["Effort"]]["value"] == "2d 4h"
    assert cells[WT_COL["Predecessors"]]["value"] == "2FS +1d"
    # Without level=2 & objectValue the multi cells read as text.
    _, degraded = fake.get_json("/2.0/sheets/%d" % S_WRITE)
    row = degraded["rows"][-1]
    assert row_cells(row)[WT_COL["Tags"]]["value"] == "red, Dog, Hot"
    refused(fake, "POST", {"cells": [cell("Tags", objectValue={
        "objectType": "MULTI_PICKLIST", "values": ["purple"]})]}, 400, 1042,
        {"index": 0})
    refused(fake, "POST", {"cells": [cell("Tags", objectValue={
        "objectType": "MULTI_CONTACT", "values": []})]}, 400, 1131,
        {"index": 0})
    refused(fake, "POST", {"cells": [cell("Task", objectValue={
        "objectType": "CONTACT", "email": "a@b.io"})]}, 400, 1131,
        {"index": 0})
    refused(fake, "POST", {"cells": [cell("Reviewers", objectValue={
        "objectType": "MULTI_CONTACT", "values": [{"email": "nope"}]})]},
        400, 1042, {"index": 0})
    status, answer = rows_call(fake, "POST", {"cells": [cell(
        "Tags", objectValue={"objectType": "MULTI_PICKLIST",
                             "values": ["purple"]}, strict=False)]})
    assert status == 200


def test_computed_and_locked_cells(fake):
    for title in ("Row ID", "Created", "Created By", "Modified",
                  "Modified By"):
        answer = refused(fake, "POST", {"cells": [cell(title, "x")]}, 400,
                         1046, {"index": 0})
        assert str(WT_COL[title]) in answer["message"]
    refused(fake, "PUT", {"id": PLAN, "cells": [cell("Total", 1)]}, 400,
            1302, {"index": 0, "rowId": PLAN})
    answer = refused(fake, "PUT", {"id": PLAN, "cells": [
        cell("Locked Note", "x")]}, 403, 1039, {"index": 0, "rowId": PLAN})
    assert str(WT_COL["Locked Note"]) in answer["message"]
    refused(fake, "PUT", [{"id": RETRO}, {"id": RELEASE, "cells": [
        cell("Task", "x")]}], 403, 1050, {"index": 1, "rowId": RELEASE})
    # A cell formula may be overwritten with a value; a formula is stored.
    status, answer = rows_call(fake, "PUT", {"id": BUILD, "cells": [
        cell("Estimate", 9), cell("Task", formula="=1+1")]})
    assert status == 200, answer
    cells = row_cells(answer["result"])
    assert cells[WT_COL["Estimate"]] == {"columnId": WT_COL["Estimate"],
                                         "value": 9, "displayValue": "9"}
    assert cells[WT_COL["Task"]] == {"columnId": WT_COL["Task"],
                                     "formula": "=1+1"}
    # Owners and admins may edit locked rows (not lockedForUser columns).
    fake.ok("POST", "access", {"sheet": S_WRITE, "accessLevel": "ADMIN"})
    _, sheet = fake.get_json("/2.0/sheets/%d%s" % (S_WRITE, FULL))
    release = next(r for r in sheet["rows"] if r["id"] == RELEASE)
    assert release["lockedForUser"] is True       # as the fixture says
    status, _ = rows_call(fake, "PUT", {"id": RETRO, "cells": [
        cell("Locked Note", "x")]})
    assert status == 403


def test_update_rows_cells(fake):
    before = {r["id"]: r for r in stored(fake)["rows"]}
    status, answer = rows_call(fake, "PUT", [
        {"id": DESIGN, "cells": [cell("Done", "")]},
        {"id": PLAN, "cells": [cell("Task", "Plan v2"), cell("Estimate", ""),
                               cell("Due", None)], "expanded": False}])
    assert status == 200 and answer["version"] == 8
    design, plan = answer["result"]
    assert (design["id"], plan["id"]) == (DESIGN, PLAN)
    body = stored(fake)
    assert [r for r in body["rows"] if r["id"] in (PLAN, DESIGN)] == \
        [plan, design]
    cells = row_cells(plan)
    old = row_cells(before[PLAN])
    assert cells[WT_COL["Task"]]["value"] == "Plan v2"
    assert cells[WT_COL["Estimate"]] == {"columnId": WT_COL["Estimate"]}
    assert cells[WT_COL["Due"]] == {"columnId": WT_COL["Due"]}
    assert row_cells(design)[WT_COL["Done"]] == {"columnId": WT_COL["Done"],
                                                 "value": False}
    for title in ("Status", "Owner", "Total", "Row ID", "Created",
                  "Created By", "Start", "Locked Note"):
        assert cells[WT_COL[title]] == old[WT_COL[title]], title
    assert cells[WT_COL["Modified"]]["value"] == body["modifiedAt"] == \
        plan["modifiedAt"]
    assert plan["createdAt"] == before[PLAN]["createdAt"]
    assert plan["expanded"] is False
    assert plan["rowNumber"] == 1 and design["parentId"] == PLAN
    # Untouched rows are as they were.
    assert next(r for r in body["rows"] if r["id"] == RETRO) == \
        before[RETRO]
    refused(fake, "PUT", [{"id": PLAN}, {"id": 99}], 404, 1006,
            {"index": 1, "rowId": 99})
    refused(fake, "PUT", [{"id": PLAN}, {"id": PLAN}], 400, 1137,
            {"index": 1, "rowId": PLAN})
    refused(fake, "PUT", [{"cells": []}], 400, 1012, {"index": 0})
    refused(fake, "PUT", {"id": PLAN, "expanded": "no"}, 400, 1031,
            {"index": 0, "rowId": PLAN})
    status, answer = rows_call(fake, "PUT", {"id": RETRO})
    assert status == 200 and isinstance(answer["result"], dict)


def test_update_rows_moves(fake):
    def put(body, version):
        status, answer = rows_call(fake, "PUT", body)
        assert status == 200 and answer["version"] == version, answer
    refused(fake, "PUT", {"id": PLAN, "parentId": DESIGN}, 400, 1062,
            {"index": 0, "rowId": PLAN})
    refused(fake, "PUT", {"id": PLAN, "siblingId": PLAN}, 400, 1062,
            {"index": 0, "rowId": PLAN})
    refused(fake, "PUT", {"id": PLAN, "indent": 1}, 400, 1062,
            {"index": 0, "rowId": PLAN})
    refused(fake, "PUT", {"id": PLAN, "outdent": 1}, 400, 1062,
            {"index": 0, "rowId": PLAN})
    refused(fake, "PUT", {"id": RETRO, "indent": 2}, 400, 1031,
            {"index": 0, "rowId": RETRO})
    refused(fake, "PUT", [{"id": RETRO, "toTop": True}, {"id": PLAN}], 400,
            1123, {"index": 1, "rowId": PLAN})
    put({"id": BUILD, "toTop": True}, 8)
    assert outline(fake) == [("Build", None), ("Plan", None),
                             ("Design", "Plan"), ("Release", None),
                             ("Retro", None)]
    put({"id": PLAN, "toBottom": True}, 9)           # with its child
    assert outline(fake) == [("Build", None), ("Release", None),
                             ("Retro", None), ("Plan", None),
                             ("Design", "Plan")]
    put([{"id": RETRO, "parentId": PLAN, "toBottom": True},
         {"id": BUILD, "parentId": PLAN, "toBottom": True}], 10)
    assert outline(fake) == [("Release", None), ("Plan", None),
                             ("Design", "Plan"), ("Retro", "Plan"),
                             ("Build", "Plan")]
    put({"id": RETRO, "outdent": 1}, 11)     # Build follows: now its child
    assert outline(fake) == [("Release", None), ("Plan", None),
                             ("Design", "Plan"), ("Retro", None),
                             ("Build", "Retro")]
    put({"id": RETRO, "indent": 1}, 12)
    assert outline(fake) == [("Release", None), ("Plan", None),
                             ("Design", "Plan"), ("Retro", "Plan"),
                             ("Build", "Retro")]
    put({"id": PLAN, "siblingId": RELEASE, "above": True}, 13)
    assert outline(fake) == [("Plan", None), ("Design", "Plan"),
                             ("Retro", "Plan"), ("Build", "Retro"),
                             ("Release", None)]
    put({"id": DESIGN, "siblingId": RELEASE}, 14)
    assert outline(fake) == [("Plan", None), ("Retro", "Plan"),
                             ("Build", "Retro"), ("Release", None),
                             ("Design", None)]


def test_delete_rows(fake):
    refused(fake, "DELETE", None, 404, 1006, query="?ids=%d,99" % RETRO)
    refused(fake, "DELETE", None, 403, 1092, query="?ids=%d" % RELEASE)
    refused(fake, "DELETE", None, 400, 1009)
    refused(fake, "DELETE", None, 400, 1018, query="?ids=abc")
    refused(fake, "DELETE", None, 400, 1018,
            query="?ids=%d&ignoreRowsNotFound=maybe" % RETRO)
    status, answer = rows_call(fake, "DELETE", query="?ids=%d" % PLAN)
    assert status == 200
    assert answer == {"message": "SUCCESS", "resultCode": 0,
                      "result": [PLAN, DESIGN, BUILD], "version": 8}
    assert outline(fake) == [("Release", None), ("Retro", None)]
    status, answer = rows_call(fake, "DELETE", query="?ids=99,%d"
                               "&ignoreRowsNotFound=true" % RETRO)
    assert answer["result"] == [RETRO] and answer["version"] == 9
    status, answer = rows_call(fake, "DELETE", query="?ids=99"
                               "&ignoreRowsNotFound=true")
    assert status == 200 and answer["result"] == [] and \
        answer["version"] == 9
    entry = fake.ok("GET", "log")[-1]
    assert entry["method"] == "DELETE" and entry["ids"] == [99]
    assert stored(fake)["totalRowCount"] == 1


def test_write_access(fake):
    for sheet in (S_READONLY, BUDGET_MKT):
        for method, body, query in (("POST", task_row("x"), ""),
                                    ("PUT", {"id": 1}, ""),
                                    ("DELETE", None, "?ids=1")):
            refused(fake, method, body, 403, 1004, sheet=sheet, query=query)
    refused(fake, "POST", task_row("x"), 403, 1004, sheet=NO_ACCESS_ID)
    status, answer = rows_call(fake, "POST", task_row("x"), sheet=42)
    assert status == 404 and answer["errorCode"] == 1006
    assert fake.get(ROWS_PATH % S_WRITE)[0] == 405
    # OAuth: writes need WRITE_SHEETS.
    read_only = exchange(fake, mint(fake, "READ_SHEETS"))["access_token"]
    refused(fake, "POST", task_row("x"), 403, 1004, token=read_only)
    writer = exchange(fake, mint(fake, "READ_SHEETS WRITE_SHEETS"))
    status, _ = rows_call(fake, "POST", task_row("x"),
                          token=writer["access_token"])
    assert status == 200
    fake.ok("POST", "access", {"sheet": S_WRITE, "accessLevel": "VIEWER"})
    refused(fake, "POST", task_row("x"), 403, 1004)
    fake.ok("POST", "access", {"sheet": S_WRITE, "accessLevel": "EDITOR"})
    assert rows_call(fake, "POST", task_row("x"))[0] == 200


def test_overlapping_writes_of_one_token_get_4004(fake):
    fake.ok("POST", "settings", {"write_delay_ms": 800})
    fake.ok("POST", "tokens", {"add": ["second-token"]})
    results = {}

    def write(name, token, delay):
        time.sleep(delay)
        results[name] = rows_call(fake, "POST", task_row(name), token=token)
    threads = [threading.Thread(target=write, args=("first", TOKEN, 0)),
               threading.Thread(target=write, args=("second", TOKEN, 0.3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results["first"][0] == 200
    status, answer = results["second"]
    assert (status, answer["errorCode"]) == (500, 4004)
    assert answer["message"] == (
        "Request failed because sheetId %d is currently being updated by "
        "another request that uses the same access token. Please retry your "
        "request once the previous request has completed." % S_WRITE)
    # Other tokens wait their turn; the lock is free afterwards.
    threads = [threading.Thread(target=write, args=("third", TOKEN, 0)),
               threading.Thread(target=write, args=("fourth",
                                                    "second-token", 0.3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results["third"][0] == results["fourth"][0] == 200
    assert sorted([results["third"][1]["version"],
                   results["fourth"][1]["version"]]) == [9, 10]
    assert [t for t, _ in outline(fake)][-3:] == ["first", "third",
                                                  "fourth"]


def test_write_delay_from_command_line(spawn):
    f = spawn("--write-delay-ms", "300")
    t0 = time.monotonic()
    assert rows_call(f, "POST", task_row("slow"))[0] == 200
    assert time.monotonic() - t0 >= 0.3
    assert f.ok("GET", "settings")["write_delay_ms"] == 300


def test_faults_on_writes_and_the_log(fake):
    add_fault(fake, path="^/2\\.0/sheets/%d/rows$" % S_WRITE, method="POST",
              skip=1)
    answers = [rows_call(fake, "POST", task_row("w%d" % i))
               for i in range(3)]
    assert [a[0] for a in answers] == [200, 500, 200]
    assert answers[1][1]["errorCode"] == 4004
    assert [answers[0][1]["version"], answers[2][1]["version"]] == [8, 9]
    assert [t for t, _ in outline(fake)][-2:] == ["w0", "w2"]
    log = [e for e in fake.ok("GET", "log") if e["method"] == "POST"]
    assert [e["fault"] for e in log] == [None, "status", None]
    assert [e["body"] for e in log] == [task_row("w%d" % i) for i in range(3)]
    # A reset connection: nothing written.
    add_fault(fake, path="/rows$", method="PUT", kind="reset")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        rows_call(fake, "PUT", {"id": PLAN, "cells": [cell("Task", "no")]})
    assert outline(fake)[0] == ("Plan", None)
    assert fake.get_json("/2.0/sheets/%d/version" % S_WRITE)[1] == \
        {"version": 9}
    # reset_after: the write is done, then the connection is reset.
    add_fault(fake, path="/rows$", method="POST", kind="reset_after")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        rows_call(fake, "POST", task_row("landed"))
    assert [t for t, _ in outline(fake)][-1] == "landed"
    assert fake.get_json("/2.0/sheets/%d/version" % S_WRITE)[1] == \
        {"version": 10}
    entry = [e for e in fake.ok("GET", "log") if e["method"] == "POST"][-1]
    assert (entry["status"], entry["fault"]) == (0, "reset_after")
    assert entry["body"] == task_row("landed")
    assert entry["content_type"] == "application/json"
    assert rows_call(fake, "POST", task_row("next"))[1]["version"] == 11
    # answer: a canned answer, nothing written.
    canned = '{"message":"SUCCESS","resultCode":0,"result":[{"id":1}]}'
    add_fault(fake, path="/rows$", method="POST", kind="answer", body=canned)
    status, h, body = fake.request(
        "POST", ROWS_PATH % S_WRITE, token=TOKEN,
        body=json.dumps(task_row("canned")).encode(),
        headers={"Content-Type": "application/json"})
    assert (status, body) == (200, canned.encode())
    assert h["Content-Type"].startswith("application/json")
    add_fault(fake, path="/rows$", method="PUT", kind="answer", status=503,
              body="{}")
    assert rows_call(fake, "PUT", {"id": PLAN})[0] == 503
    assert "canned" not in [t for t, _ in outline(fake)]
    assert fake.get_json("/2.0/sheets/%d/version" % S_WRITE)[1] == \
        {"version": 11}
    assert fake.control("POST", "fault", {"path": "x", "kind": "answer",
                                          "body": 5})[0] == 400


def test_writes_to_generated_sheets(spawn):
    f = spawn("--generate", "1")
    sid = 7000000000000001
    _, sheet = f.get_json("/2.0/sheets/%d%s" % (sid, FULL))
    status, answer = rows_call(f, "POST", {"toTop": True, "cells": [
        {"columnId": sheet["columns"][0]["id"], "value": "First"}]},
        sheet=sid)
    assert status == 200 and answer["version"] == 2
    _, after = f.get_json("/2.0/sheets/%d%s" % (sid, FULL))
    assert len(after["rows"]) == 6
    assert after["rows"][1]["siblingId"] == answer["result"]["id"]

    def plain(r):
        return {k: v for k, v in r.items() if k != "siblingId"}
    assert [plain(r) for r in after["rows"][1:]] == [
        plain(dict(r, rowNumber=r["rowNumber"] + 1)) for r in sheet["rows"]]
    f.ok("POST", "reset")
    assert f.get_json("/2.0/sheets/%d%s" % (sid, FULL))[1] == sheet


# ---------------------------------------------------------------------------
# spec_render: reports, NDJSON, names in a folder (SPEC §4, §7)
# ---------------------------------------------------------------------------

REPORT = {
    "id": 9007199254740997, "name": "Q2 / Status", "totalRowCount": 3,
    "accessLevel": "OWNER", "permalink": "https://app.smartsheet.com/b/r",
    "modifiedAt": "2024-06-01T00:00:00Z",
    "columns": [
        {"virtualId": 101, "index": 0, "title": "Sheet Name",
         "type": "TEXT_NUMBER", "sheetNameColumn": True},
        {"virtualId": 102, "index": 1, "title": "Task", "type": "TEXT_NUMBER",
         "primary": True},
        {"virtualId": 103, "index": 2, "title": "Tags",
         "type": "MULTI_PICKLIST"},
        {"virtualId": 104, "index": 3, "title": "Task", "type": "CHECKBOX",
         "hidden": True},
        {"virtualId": 105, "index": 4, "title": "_sheetId",
         "type": "TEXT_NUMBER"}],
    "rows": [
        {"id": 1, "sheetId": 11, "rowNumber": 1, "cells": [
            {"virtualColumnId": 101, "value": "Plan", "displayValue": "Plan"},
            {"columnId": 7, "virtualColumnId": 102, "value": "a,b",
             "displayValue": "a,b"},
            {"columnId": 8, "virtualColumnId": 103, "displayValue": "x, y",
             "objectValue": {"objectType": "MULTI_PICKLIST",
                             "values": ["x", "y"]}},
            {"columnId": 9, "virtualColumnId": 104, "value": True},
            {"columnId": 10, "virtualColumnId": 105, "value": 0.5,
             "displayValue": "50%"}]},
        {"id": 9007199254740993, "sheetId": 12, "rowNumber": 2, "cells": [
            {"virtualColumnId": 101, "value": "Ops", "displayValue": "Ops"},
            {"virtualColumnId": 102},
            {"columnId": 8, "virtualColumnId": 103}]},
        {"id": 3, "sheetId": 12, "rowNumber": 3, "parentId": 2, "cells": [
            {"virtualColumnId": 101, "value": "Ops", "displayValue": "Ops"},
            {"columnId": 7, "virtualColumnId": 102, "value": 'say "hi"'}]}]}


def test_spec_render_report_csv():
    assert spec_render.render_report_csv(REPORT) == (
        b'Sheet Name,Task,Tags,Task,_sheetId\n'
        b'Plan,"a,b","x, y",true,0.5\n'
        b'Ops,,,,\n'
        b'Ops,"say ""hi""",,,\n')
    assert spec_render.render_report_csv(REPORT, display=True,
                                         crlf=True) == (
        b'Sheet Name,Task,Tags,Task,_sheetId\r\n'
        b'Plan,"a,b","x, y",true,50%\r\n'
        b'Ops,,,,\r\n'
        b'Ops,"say ""hi""",,,\r\n')


def test_spec_render_report_json():
    assert spec_render.render_report_json(REPORT) == (
        b'{"id":9007199254740997,"name":"Q2 / Status","totalRowCount":3,'
        b'"permalink":"https://app.smartsheet.com/b/r",'
        b'"modifiedAt":"2024-06-01T00:00:00Z","columns":['
        b'{"virtualId":101,"title":"Sheet Name","type":"TEXT_NUMBER"},'
        b'{"virtualId":102,"title":"Task","type":"TEXT_NUMBER",'
        b'"primary":true},'
        b'{"virtualId":103,"title":"Tags","type":"MULTI_PICKLIST"},'
        b'{"virtualId":104,"title":"Task","type":"CHECKBOX","hidden":true},'
        b'{"virtualId":105,"title":"_sheetId","type":"TEXT_NUMBER"}],'
        b'"rows":[\n'
        b'{"id":1,"rowNumber":1,"sheetId":11,"cells":{"Sheet Name":"Plan",'
        b'"Task":"a,b","Tags":["x","y"],"Task (104)":true,"_sheetId":0.5}},\n'
        b'{"id":9007199254740993,"rowNumber":2,"sheetId":12,"cells":'
        b'{"Sheet Name":"Ops"}},\n'
        b'{"id":3,"rowNumber":3,"sheetId":12,"cells":{"Sheet Name":"Ops",'
        b'"Task":"say \\"hi\\""}}\n'
        b']}\n')


def test_spec_render_ndjson():
    # Verbatim from SPEC.md §4 NDJSON (the §4 JSON example's sheet).
    assert spec_render.render_ndjson(SPEC_EXAMPLE) == (
        b'{"_rowId":21,"_rowNumber":1,"_parentId":null,"Task":"Design",'
        b'"Done":true}\n'
        b'{"_rowId":22,"_rowNumber":2,"_parentId":21,"Task":"Build"}\n')
    assert spec_render.render_report_ndjson(REPORT) == (
        b'{"_rowId":1,"_rowNumber":1,"_sheetId":11,"Sheet Name":"Plan",'
        b'"Task":"a,b","Tags":["x","y"],"Task (104)":true,'
        b'"_sheetId (105)":0.5}\n'
        b'{"_rowId":9007199254740993,"_rowNumber":2,"_sheetId":12,'
        b'"Sheet Name":"Ops"}\n'
        b'{"_rowId":3,"_rowNumber":3,"_sheetId":12,"Sheet Name":"Ops",'
        b'"Task":"say \\"hi\\""}\n')
    reserved = {
        "columns": [{"id": 1, "title": "_rowId"}, {"id": 2, "title": "Note"},
                    {"id": 3, "title": "Note"},
                    {"id": 4, "title": "_parentId"},
                    {"id": 5, "title": "_sheetId"}],
        "rows": [{"id": 9, "cells": [
            {"columnId": 1, "value": "r"}, {"columnId": 2, "value": 1},
            {"columnId": 3, "value": 2}, {"columnId": 4, "value": "p"},
            {"columnId": 5, "value": "s"}]}]}
    assert spec_render.render_ndjson(reserved) == (
        b'{"_rowId":9,"_rowNumber":1,"_parentId":null,"_rowId (1)":"r",'
        b'"Note":1,"Note (3)":2,"_parentId (4)":"p","_sheetId":"s"}\n')
    assert spec_render.render_ndjson(dict(SPEC_EXAMPLE, rows=[])) == b""
    lines = spec_render.render_ndjson(MINI).decode().splitlines()
    assert [json.loads(x)["_parentId"] for x in lines] == [None, 10, 11]
    assert json.loads(lines[0])["Tags"] == ["x", "y"]


def test_spec_render_entry_names():
    def names_of(*entries, ndjson=False):
        got = spec_render.entry_names(
            [{"kind": k, "id": i, "name": n} for k, i, n in entries],
            ndjson=ndjson)
        return [got[(k, i)] for k, i, _ in entries]
    # Two sheets of one name; a sheet and a report; a folder named like a
    # file; a sheet and a folder of one name (no clash).
    assert names_of(("sheet", 1, "Budget"), ("sheet", 2, "Budget"),
                    ("sheet", 3, "Plan"), ("report", 4, "Plan"),
                    ("folder", 5, "Notes.csv"), ("sheet", 6, "Notes"),
                    ("folder", 7, "Roadmap"), ("sheet", 8, "Roadmap"),
                    ("folder", 9, "Notes.json"), ("folder", 10, "A"),
                    ("folder", 11, "A")) == [
        "Budget (1)", "Budget (2)", "Plan (3)", "Plan (4)", "Notes.csv (5)",
        "Notes (6)", "Roadmap", "Roadmap", "Notes.json (9)", "A (10)",
        "A (11)"]
    # .ndjson only clashes with -o ndjson.
    assert names_of(("folder", 1, "X.ndjson"), ("sheet", 2, "X")) == \
        ["X.ndjson", "X"]
    assert names_of(("folder", 1, "X.ndjson"), ("sheet", 2, "X"),
                    ndjson=True) == ["X.ndjson (1)", "X (2)"]
    # Characters; dot folders; sanitizing before comparing.
    assert names_of(("folder", 1, "a/b"), ("workspace", 2, "t\tx\x7f"),
                    ("folder", 3, ".."), ("folder", 4, "."),
                    ("sheet", 5, ".."), ("sheet", 6, "A/B"),
                    ("report", 7, "A\uff0fB"), ("folder", 8, "")) == [
        "a\uff0fb", "t_x_", ".. (3)", ". (4)", "..", "A\uff0fB (6)",
        "A\uff0fB (7)", "_"]
    # The 255-byte cut: files count the longest extension in use, folders
    # none.
    long = "\u00e9" * 126                       # 252 bytes
    sheet, folder = names_of(("sheet", 77, long), ("folder", 78, long))
    assert folder == long
    assert sheet == "\u00e9" * 122 + " (77)"      # 244 + 5 + 5 bytes
    assert len((sheet + ".json").encode()) <= 255
    assert len((sheet + ".json").encode()) > 252
    (nd,) = names_of(("sheet", 77, "x" * 249), ndjson=True)
    assert nd == "x" * 243 + " (77)" and len(nd + ".ndjson") == 255
    assert names_of(("sheet", 77, "x" * 249)) == ["x" * 249]
    assert names_of(("sheet", 77, "x" * 248), ndjson=True) == ["x" * 248]
    (cut,) = names_of(("folder", 9, "y" * 300))
    assert cut == "y" * 251 + " (9)" and len(cut) == 255
    # file_stems is the same rule over sheets alone.
    items = [{"id": 1, "name": "A/B"}, {"id": 2, "name": "A\uff0fB"},
             {"id": 3, "name": "C"}]
    assert file_stems(items) == {1: "A\uff0fB (1)", 2: "A\uff0fB (2)",
                                 3: "C"}


def test_spec_render_report_from_the_fake_parses_back(fake):
    for rid in (R_ROLLUP, R_STATUS):
        report = report_json(fake, rid, REPORT_FULL + "&pageSize=10000")
        data = json.loads(spec_render.render_report_json(report))
        assert [c["virtualId"] for c in data["columns"]] == \
            [c["virtualId"] for c in report["columns"]]
        assert [(r["id"], r["sheetId"], r["rowNumber"])
                for r in data["rows"]] == \
            [(r["id"], r["sheetId"], r["rowNumber"]) for r in report["rows"]]
        lines = spec_render.render_report_ndjson(report).splitlines()
        assert len(lines) == report["totalRowCount"]
        assert [json.loads(x)["_sheetId"] for x in lines] == \
            [r["sheetId"] for r in report["rows"]]
        table = list(csv.reader(io.StringIO(
            spec_render.render_report_csv(report).decode())))
        assert len(table) == 1 + report["totalRowCount"]
    status_report = report_json(fake, R_STATUS, REPORT_FULL)
    row = json.loads(spec_render.render_report_json(status_report)
                     .splitlines()[4].rstrip(b","))
    assert row["cells"]["Tags"] == ["urgent", "backend"]
    assert row["cells"]["Reviewers"] == [
        {"name": "Ana Silva", "email": "ana.silva@example.com"},
        {"email": "li.wei@example.com"}]
