"""OAuth 2.0, every flow (SPEC §1-§3), against the fake's /token and
/b/authorize: the CLI (url, exchange, login, refresh, status), the headless
mount (.auth/url, .auth/verifier, .auth/refresh), automatic refresh, the
encrypted settings file, and what goes wrong."""
import errno
import hashlib
import os
import random
import re
import signal
import stat
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import BIN, requests_since, sh

CLIENT_ID = "test-client-id"
SECRET = "test-client-secret-0123456789"


def oauth_config(fake, settings, initiate=None, extra="", secret=SECRET,
                 callback=None):
    text = ("[connection]\nAuthScheme = OAuth\nOAuthClientId = %s\n"
            "OAuthClientSecret = %s\nBaseURL = %s/2.0\n"
            "AuthorizeURL = %s/b/authorize\nOAuthSettingsLocation = %s\n"
            "Timeout = 5\n" % (CLIENT_ID, secret, fake.base, fake.base,
                               settings))
    if initiate:
        text += "InitiateOAuth = %s\n" % initiate
    if callback:
        text += "CallbackURL = %s\n" % callback
    return text + extra


def write_config(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def cli(config, *args, stdin=None, env=None, timeout=60):
    e = dict(os.environ)
    e.update({"SSFS_BACKOFF_SCALE": "0.01", "SSFS_RATE_PER_MIN": "0"})
    e.pop("SMARTSHEET_ACCESS_TOKEN", None)
    if env:
        e.update(env)
    return subprocess.run([BIN, "auth", *args, "--config", config],
                          input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=e)


def mint_code(fake, scope="READ_SHEETS"):
    return fake.call("POST", "/_control/oauth/code", {"scope": scope})["code"]


def oauth_state(fake):
    return fake.call("GET", "/_control/oauth")


def token_pair(fake):
    """A pair obtained directly from the fake (as another client would)."""
    code = mint_code(fake)
    h = hashlib.sha256((SECRET + "|" + code).encode()).hexdigest()
    body = urllib.parse.urlencode({"grant_type": "authorization_code",
                                   "client_id": CLIENT_ID, "code": code,
                                   "hash": h}).encode()
    req = urllib.request.Request(fake.base + "/2.0/token", data=body,
                                 method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(req, timeout=10) as r:
        import json
        return json.loads(r.read())


def follow_authorize(url):
    """Play the browser on the authorize page: the redirect it answers."""
    r = sh("curl -s -o /dev/null -w '%%{redirect_url}' '%s'" % url)
    assert r.returncode == 0, r.stderr
    loc = r.stdout.decode().strip()
    assert loc, "no redirect from " + url
    return loc


def bash(cmd):
    """A command as a user types it in bash (dash's echo reports every
    write error as "I/O error")."""
    return subprocess.run(["bash", "-c", cmd], capture_output=True,
                          timeout=120)


@pytest.fixture
def oauth_fake(fresh_fake):
    fresh_fake.call("POST", "/_control/oauth",
                    {"redirect_uri": "http://localhost:33333/callback",
                     "deny": False, "access_ttl_s": 604799})
    yield fresh_fake


@pytest.fixture
def conf(tmp_path, oauth_fake):
    settings = str(tmp_path / "state" / "OAuthSettings.txt")
    path = write_config(str(tmp_path / "oauth.ini"),
                        oauth_config(oauth_fake, settings))
    return path, settings


# ---- the command line ----

def test_exchange_a_code_then_status(conf, oauth_fake):
    config, settings = conf
    code = mint_code(oauth_fake)
    r = cli(config, "exchange", code)
    assert r.returncode == 0, r.stderr
    assert "expires" in r.stdout
    st = os.stat(settings)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(settings)).st_mode) == 0o700
    live = oauth_state(oauth_fake)
    blob = open(settings, "rb").read()
    for t in live["live_access_tokens"] + live["live_refresh_tokens"]:
        assert t.encode() not in blob
        assert t not in r.stdout + r.stderr
    r = cli(config, "status")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "scheme: OAuth" in r.stdout and "state: authorized" in r.stdout
    assert re.search(r"expires: \d{4}-\d\d-\d\dT", r.stdout)
    assert "user: " in r.stdout
    for t in live["live_access_tokens"] + live["live_refresh_tokens"]:
        assert t not in r.stdout + r.stderr
    # The token request carried no bearer and no parameters in the URL.
    log = [x for x in oauth_fake.log() if x["path"] == "/2.0/token"]
    assert log and not any(x.get("token_params_in_query") for x in log)


def test_url_then_pasted_redirect(conf, oauth_fake, tmp_path):
    config, settings = conf
    r = cli(config, "url")
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert q["response_type"] == ["code"] and q["client_id"] == [CLIENT_ID]
    assert q["scope"] == ["READ_SHEETS"]
    assert re.fullmatch(r"[0-9a-f]{32}", q["state"][0])
    state_file = settings + ".state"
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    loc = follow_authorize(url)
    assert "expires_in=" in loc and "state=" + q["state"][0] in loc
    # A redirect with another state is refused, and does not use the code.
    bad = re.sub(r"state=[0-9a-f]+", "state=" + "0" * 32, loc)
    r = cli(config, "exchange", bad)
    assert r.returncode == 3 and "state" in r.stderr, r.stderr
    # The whole redirect URL, read from standard input (out of ps).
    r = cli(config, "exchange", "-", stdin=loc + "\n")
    assert r.returncode == 0, r.stderr
    assert cli(config, "status").returncode == 0


def test_scopes_are_space_separated(tmp_path, oauth_fake):
    settings = str(tmp_path / "s.txt")
    config = write_config(str(tmp_path / "c.ini"), oauth_config(
        oauth_fake, settings, extra="Scope = READ_SHEETS WRITE_SHEETS\n"))
    r = cli(config, "url")
    assert "scope=READ_SHEETS%20WRITE_SHEETS" in r.stdout, r.stdout


def test_access_denied_is_reported(conf, oauth_fake):
    config, _ = conf
    url = cli(config, "url").stdout.strip()
    oauth_fake.call("POST", "/_control/oauth", {"deny": True})
    loc = follow_authorize(url)
    assert "error=access_denied" in loc
    r = cli(config, "exchange", loc)
    assert r.returncode == 3
    assert "access_denied" in r.stderr and "denied" in r.stderr


def test_bad_codes_and_secrets(conf, oauth_fake, tmp_path):
    config, settings = conf
    r = cli(config, "exchange", "not-a-real-code")
    assert r.returncode == 3 and "1071" in r.stderr and "invalid_grant" in \
        r.stderr and "refId" in r.stderr, r.stderr
    assert not os.path.exists(settings)
    code = mint_code(oauth_fake)
    assert cli(config, "exchange", code).returncode == 0
    before = open(settings, "rb").read()
    r = cli(config, "exchange", code)  # reused
    assert r.returncode == 3 and "1071" in r.stderr
    assert open(settings, "rb").read() == before
    # A wrong client secret: the hash does not match (and the settings
    # file, encrypted with the right secret, is never overwritten).
    wrong = write_config(str(tmp_path / "wrong.ini"), oauth_config(
        oauth_fake, settings, secret="not-the-secret"))
    r = cli(wrong, "exchange", mint_code(oauth_fake))
    assert r.returncode in (2, 3), r.stderr
    assert "1072" in r.stderr or "decrypt" in r.stderr, r.stderr
    other = str(tmp_path / "other.txt")
    wrong2 = write_config(str(tmp_path / "wrong2.ini"), oauth_config(
        oauth_fake, other, secret="not-the-secret"))
    r = cli(wrong2, "exchange", mint_code(oauth_fake))
    assert r.returncode == 3 and "1072" in r.stderr, r.stderr
    assert open(settings, "rb").read() == before
    r = cli(wrong, "status")
    assert r.returncode == 2 and "decrypt" in r.stderr, r.stdout + r.stderr
    assert open(settings, "rb").read() == before


def one_line(r):
    """SPEC §1: a failing command says why in one line on stderr."""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_a_refused_code_or_token_is_reported_once(conf, oauth_fake):
    config, _ = conf
    r = cli(config, "exchange", "BADCODE")
    assert r.returncode == 3, r.stderr
    line = one_line(r)
    assert "code exchange refused" in line and "1071" in line and \
        "invalid_grant" in line, line
    r = cli(config, "refresh", "--refresh-token", "-", stdin="bogus\n")
    assert r.returncode == 3, r.stderr
    line = one_line(r)
    assert "token refresh refused" in line and "1071" in line, line
    r = cli(config, "refresh")
    assert r.returncode == 3, r.stderr
    assert "no refresh token" in one_line(r)
    r = cli(config, "status")
    assert r.returncode == 3, r.stderr
    assert "no OAuth tokens" in one_line(r)


def test_token_endpoint_down_or_html(conf, oauth_fake):
    config, settings = conf
    code = mint_code(oauth_fake)
    for fault in ({"status": 503}, {"kind": "html", "status": 502},
                  {"kind": "reset"}, {"kind": "malformed"}):
        oauth_fake.fault(path="^/2.0/token$", times=1, **fault)
        r = cli(config, "exchange", code)
        assert r.returncode == 4, (fault, r.returncode, r.stderr)
        assert "token" in r.stderr
    oauth_fake.clear_faults()
    # None of that used the code up (the fake consumed it only when it
    # answered with tokens: the malformed answer did). Use a fresh one.
    r = cli(config, "exchange", mint_code(oauth_fake))
    assert r.returncode == 0, r.stderr


def test_refresh_rotates_and_persists(conf, oauth_fake):
    config, settings = conf
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    first = oauth_state(oauth_fake)["live_refresh_tokens"]
    r = cli(config, "refresh")
    assert r.returncode == 0, r.stderr
    st = oauth_state(oauth_fake)
    assert st["refreshes"] == 1 and st["live_refresh_tokens"] != first
    assert cli(config, "status").returncode == 0
    # Another round still works: the rotated refresh token was saved.
    assert cli(config, "refresh").returncode == 0
    assert oauth_state(oauth_fake)["refreshes"] == 2
    assert not oauth_state(oauth_fake)["failures"]


def test_refresh_with_a_given_token(conf, oauth_fake):
    config, _ = conf
    pair = token_pair(oauth_fake)
    r = cli(config, "refresh", "--refresh-token", "-",
            stdin=pair["refresh_token"] + "\n")
    assert r.returncode == 0, r.stderr
    assert pair["refresh_token"] not in oauth_state(
        oauth_fake)["live_refresh_tokens"]
    assert cli(config, "status").returncode == 0
    r = cli(config, "refresh", "--refresh-token", "-",
            stdin=pair["refresh_token"] + "\n")
    assert r.returncode == 3 and "invalid_grant" in r.stderr


def test_show_tokens_is_opt_in(conf, oauth_fake):
    config, _ = conf
    r = cli(config, "exchange", mint_code(oauth_fake), "--show-tokens")
    assert r.returncode == 0
    live = oauth_state(oauth_fake)["live_access_tokens"]
    assert any(t in r.stdout for t in live)


def test_login_with_a_browser_on_path(conf, oauth_fake, tmp_path):
    """auth login: xdg-open is a script that plays the browser with curl."""
    config, settings = conf
    port = free_port()
    cb = "http://127.0.0.1:%d/callback" % port
    write_config(config, open(config).read() + "CallbackURL = %s\n" % cb)
    oauth_fake.call("POST", "/_control/oauth", {"redirect_uri": cb})
    bindir = tmp_path / "bin"
    bindir.mkdir()
    xdg = bindir / "xdg-open"
    xdg.write_text("#!/bin/sh\nexec curl -s -L -o %s/page.html \"$1\"\n" %
                   tmp_path)
    xdg.chmod(0o755)
    r = cli(config, "login", "--timeout", "30",
            env={"PATH": "%s:%s" % (bindir, os.environ["PATH"])})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Open this URL" in r.stdout and "/b/authorize?" in r.stdout
    assert "close this tab" in open(tmp_path / "page.html").read()
    assert cli(config, "status").returncode == 0


def test_a_denied_login_is_reported_once(conf, oauth_fake, tmp_path):
    config, _ = conf
    cb = "http://127.0.0.1:%d/callback" % free_port()
    write_config(config, open(config).read() + "CallbackURL = %s\n" % cb)
    oauth_fake.call("POST", "/_control/oauth",
                    {"redirect_uri": cb, "deny": True})
    bindir = tmp_path / "bin"
    bindir.mkdir()
    xdg = bindir / "xdg-open"
    xdg.write_text("#!/bin/sh\nexec curl -s -L -o /dev/null \"$1\"\n")
    xdg.chmod(0o755)
    r = cli(config, "login", "--timeout", "30",
            env={"PATH": "%s:%s" % (bindir, os.environ["PATH"])})
    assert r.returncode == 3, r.stdout + r.stderr
    assert "access_denied" in one_line(r)


def test_login_times_out_clearly(conf, oauth_fake):
    config, _ = conf
    port = free_port()
    write_config(config, open(config).read() +
                 "CallbackURL = http://127.0.0.1:%d/cb\n" % port)
    t0 = time.monotonic()
    r = cli(config, "login", "--timeout", "1", "--no-browser")
    assert r.returncode == 3
    assert "within 1 seconds" in r.stderr, r.stderr
    assert time.monotonic() - t0 < 15


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ---- the mount ----

def oauth_mount(mount_factory, tmp_path, fake, settings=None,
                opts="cache_ttl=1", env=None, **kw):
    settings = settings or str(tmp_path / "mnt-settings.txt")
    return mount_factory(opts, config=oauth_config(fake, settings, **kw),
                         env=env)


def authorized_mount(mount_factory, tmp_path, fake, conf,
                     opts="cache_ttl=0"):
    """Tokens from `auth exchange`, then a mount that shares the file."""
    config, settings = conf
    assert cli(config, "exchange", mint_code(fake)).returncode == 0
    return oauth_mount(mount_factory, tmp_path, fake, settings=settings,
                       opts=opts)


def test_headless_mount_verifier(mount_factory, tmp_path, oauth_fake):
    m = oauth_mount(mount_factory, tmp_path, oauth_fake)
    # The wrong code, refused (logged, and again for the verifier file).
    m.allow(r"error: (/\.auth/verifier: )?code exchange refused: HTTP 400, "
            r"errorCode 1071 \(invalid_grant\), refId \w+: Invalid Grant\.")
    assert sh("ls %s" % m.path("sheets")).returncode != 0
    assert sh("ls %s" % m.path("sheets")).stderr.decode().count(
        "Permission denied")
    status = open(m.path(".auth", "status")).read()
    assert "state: waiting for a code" in status, status
    assert ".auth/url" in status and ".auth/verifier" in status
    url = open(m.path(".auth", "url")).read().strip()
    assert url.startswith(oauth_fake.base + "/b/authorize?")
    mode = stat.S_IMODE(os.stat(m.path(".auth", "verifier")).st_mode)
    assert mode == 0o200
    # A wrong code: echo fails, and the reason is in the status.
    r = bash("echo wrong-code > %s" % m.path(".auth", "verifier"))
    assert r.returncode != 0 and b"Permission denied" in r.stderr
    status = open(m.path(".auth", "status")).read()
    assert "1071" in status and "refId" in status, status
    # Logged by the daemon, once.
    logged = [x for x in m.output().splitlines() if "1071" in x]
    assert len(logged) == 1 and ".auth/verifier" in logged[0], m.output()
    # The code from the page, as the redirect URL the user pasted.
    loc = follow_authorize(url)
    r = bash("echo '%s' > %s" % (loc, m.path(".auth", "verifier")))
    assert r.returncode == 0, r.stderr
    names = os.listdir(m.path("sheets"))
    assert any(n.endswith(".csv") for n in names)
    csv = [n for n in names if n.endswith(".csv")][0]
    assert open(m.path("sheets", csv), "rb").read()
    status = open(m.path(".auth", "status")).read()
    assert "state: authorized" in status
    assert re.search(r"user: .* <.*@.*>", status), status
    live = oauth_state(oauth_fake)
    for t in live["live_access_tokens"] + live["live_refresh_tokens"]:
        assert t not in status and t not in m.output()


def test_mount_refuses_a_foreign_state(mount_factory, tmp_path, oauth_fake,
                                       conf):
    config, _ = conf
    m = oauth_mount(mount_factory, tmp_path, oauth_fake)
    m.allow(r"error: (/\.auth/verifier: )?the redirect URL's state does not "
            r"match the current authorization URL: open \.auth/url again$")
    m.allow(r"error: (/\.auth/verifier: )?authorization was not granted: "
            r"access_denied \(the user denied access\)$")
    # A URL issued by `auth url` elsewhere carries another state.
    other = cli(config, "url").stdout.strip()
    loc = follow_authorize(other)
    r = bash("echo '%s' > %s" % (loc, m.path(".auth", "verifier")))
    assert r.returncode != 0
    assert "state" in open(m.path(".auth", "status")).read()
    oauth_fake.call("POST", "/_control/oauth", {"deny": True})
    loc = follow_authorize(open(m.path(".auth", "url")).read().strip())
    r = bash("echo '%s' > %s" % (loc, m.path(".auth", "verifier")))
    assert r.returncode != 0
    assert "access_denied" in open(m.path(".auth", "status")).read()


def test_mount_with_saved_tokens_and_automatic_refresh(
        mount_factory, tmp_path, oauth_fake, conf):
    config, settings = conf
    oauth_fake.call("POST", "/_control/oauth", {"access_ttl_s": 3})
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    m = oauth_mount(mount_factory, tmp_path, oauth_fake, settings=settings,
                    opts="cache_ttl=0")
    names = [n for n in os.listdir(m.path("by-id")) if n.endswith(".csv")]
    n0 = len(oauth_fake.log())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        os.listdir(m.path("by-id"))
        time.sleep(0.3)
    st = oauth_state(oauth_fake)
    assert st["refreshes"] >= 1
    assert not st["failures"]
    # Refreshed before expiry: no request was refused as expired.
    assert not [x for x in requests_since(oauth_fake, n0)
                if x.get("status") == 401]
    assert names
    # The mount saved the rotated pair: the CLI can use it.
    assert cli(config, "status").returncode == 0


def test_401_triggers_one_refresh_and_a_retry(mount_factory, tmp_path,
                                              oauth_fake, conf):
    config, settings = conf
    m = authorized_mount(mount_factory, tmp_path, oauth_fake, conf)
    assert os.listdir(m.path("by-id"))
    oauth_fake.call("POST", "/_control/oauth/expire", {"all": True})
    assert os.listdir(m.path("by-id"))
    st = oauth_state(oauth_fake)
    assert st["refreshes"] == 1 and not st["failures"]


def test_revoked_refresh_token_recovers_through_verifier(
        mount_factory, tmp_path, oauth_fake, conf):
    config, settings = conf
    m = authorized_mount(mount_factory, tmp_path, oauth_fake, conf)
    # The refresh after the revocation is refused; the list fails.
    m.allow(r"error: token refresh refused: HTTP 400, errorCode 1071 "
            r"\(invalid_grant\), refId \w+: Invalid Grant\.")
    m.allow(r"error: GET /sheets: HTTP 401, errorCode 100[23], refId \w+: "
            r"Your Access Token (is invalid|has expired)\.$")
    assert os.listdir(m.path("by-id"))
    oauth_fake.call("POST", "/_control/oauth/revoke", {"all": True})
    with pytest.raises(PermissionError):
        os.listdir(m.path("by-id"))
    status = open(m.path(".auth", "status")).read()
    assert "state: refresh failed" in status, status
    assert "authorize again" in status
    # The refresh nobody asked for is logged, once.
    logged = [x for x in m.output().splitlines()
              if "token refresh refused" in x]
    assert len(logged) == 1, m.output()
    code = mint_code(oauth_fake)
    assert bash("echo %s > %s" % (code, m.path(".auth", "verifier"))
              ).returncode == 0
    assert os.listdir(m.path("by-id"))
    assert "state: authorized" in open(m.path(".auth", "status")).read()


def test_write_to_refresh(mount_factory, tmp_path, oauth_fake, conf):
    config, settings = conf
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    m = oauth_mount(mount_factory, tmp_path, oauth_fake, settings=settings)
    assert bash("echo now > %s" % m.path(".auth", "refresh")).returncode == 0
    assert oauth_state(oauth_fake)["refreshes"] == 1
    assert os.listdir(m.path("by-id"))


def test_undecryptable_settings_stop_the_mount(mount_factory, tmp_path,
                                               oauth_fake, conf):
    config, settings = conf
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    before = open(settings, "rb").read()
    m = mount_factory(config=oauth_config(oauth_fake, settings,
                                          secret="another-secret"),
                      expect_fail=True)
    m.expect_exit(2)
    assert m.proc.wait(30) == 2
    assert "decrypt" in m.output()
    assert open(settings, "rb").read() == before
    # Damaged: truncated and garbled files are reported, not replaced.
    for damaged in (before[:len(before) // 2], before.replace(b"data ", b"dat ")):
        open(settings, "wb").write(damaged)
        r = cli(config, "status")
        assert r.returncode == 2 and "decrypt" in r.stderr or \
            "settings" in r.stderr, r.stderr
        assert open(settings, "rb").read() == damaged


def test_memory_settings(mount_factory, tmp_path, oauth_fake):
    m = oauth_mount(mount_factory, tmp_path, oauth_fake, settings="memory://")
    code = mint_code(oauth_fake)
    assert bash("echo %s > %s" % (code, m.path(".auth", "verifier"))
              ).returncode == 0
    assert os.listdir(m.path("sheets"))
    assert "settings: memory://" in open(m.path(".auth", "status")).read()


def test_initiate_off_uses_the_given_token(mount_factory, tmp_path,
                                           oauth_fake):
    pair = token_pair(oauth_fake)
    n0 = len(oauth_fake.log())
    m = oauth_mount(mount_factory, tmp_path, oauth_fake, initiate="OFF",
                    extra="OAuthAccessToken = %s\n" % pair["access_token"])
    assert os.listdir(m.path("sheets"))
    assert not requests_since(oauth_fake, n0, "^/2.0/token$")
    # Expired: EACCES and the status says so; still no token request.
    oauth_fake.call("POST", "/_control/oauth/expire",
                    {"access_token": pair["access_token"]})
    m.allow(r"error: GET /sheets: HTTP 401, errorCode 1003, refId \w+: "
            r"Your Access Token has expired\.$")
    time.sleep(1.1)  # past cache_ttl=1
    with pytest.raises(PermissionError):
        os.listdir(m.path("by-id"))
    status = open(m.path(".auth", "status")).read()
    assert "state: rejected" in status and "OAuthAccessToken" in status
    assert not requests_since(oauth_fake, n0, "^/2.0/token$")
    m2 = oauth_mount(mount_factory, tmp_path, oauth_fake, initiate="OFF")
    with pytest.raises(PermissionError):
        os.listdir(m2.path("sheets"))
    assert "InitiateOAuth = OFF" in open(m2.path(".auth", "status")).read()


def test_refresh_mode_from_a_configured_refresh_token(
        mount_factory, tmp_path, oauth_fake):
    pair = token_pair(oauth_fake)
    settings = str(tmp_path / "refresh-mode.txt")
    m = oauth_mount(mount_factory, tmp_path, oauth_fake, settings=settings,
                    initiate="REFRESH",
                    extra="OAuthAccessToken = %s\nOAuthRefreshToken = %s\n" %
                    (pair["access_token"], pair["refresh_token"]))
    # No known expiry: refreshed once at start, and saved.
    assert oauth_state(oauth_fake)["refreshes"] == 1
    assert os.path.exists(settings)
    assert os.listdir(m.path("sheets"))


def test_verifier_property_at_start(mount_factory, tmp_path, oauth_fake):
    m = oauth_mount(mount_factory, tmp_path, oauth_fake,
                    extra="OAuthVerifier = %s\n" % mint_code(oauth_fake))
    assert os.listdir(m.path("sheets"))
    assert oauth_state(oauth_fake)["exchanges"] == 1


def test_desktop_mount_runs_the_browser_login(mount_factory, tmp_path,
                                              oauth_fake):
    port = free_port()
    cb = "http://127.0.0.1:%d/callback" % port
    oauth_fake.call("POST", "/_control/oauth", {"redirect_uri": cb})
    bindir = tmp_path / "dbin"
    bindir.mkdir()
    xdg = bindir / "xdg-open"
    xdg.write_text("#!/bin/sh\nexec curl -s -L -o /dev/null \"$1\"\n")
    xdg.chmod(0o755)
    m = oauth_mount(mount_factory, tmp_path, oauth_fake, callback=cb,
                    env={"DISPLAY": ":99",
                         "PATH": "%s:%s" % (bindir, os.environ["PATH"])})
    assert os.listdir(m.path("sheets"))
    assert "state: authorized" in open(m.path(".auth", "status")).read()


# ---- sharing one settings file ----

def test_concurrent_refreshes_never_lose_the_refresh_token(conf, oauth_fake):
    """4 processes refresh at once, 10 rounds: every refresh must succeed
    (the lock serialises them and each re-reads the file)."""
    config, _ = conf
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    procs, rounds = 4, 10
    env = dict(os.environ, SSFS_BACKOFF_SCALE="0.01", SSFS_RATE_PER_MIN="0")
    fails = 0
    for _ in range(rounds):
        ps = [subprocess.Popen([BIN, "auth", "refresh", "--config", config],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=env)
              for _ in range(procs)]
        for p in ps:
            _, err = p.communicate(timeout=60)
            fails += p.returncode != 0
    st = oauth_state(oauth_fake)
    print("refresh race: %d rounds x %d processes, %d failed, "
          "%d refreshes, failures %s" % (rounds, procs, fails,
                                         st["refreshes"], st["failures"]))
    assert fails == 0
    assert st["refreshes"] == procs * rounds
    assert not st["failures"]
    assert cli(config, "status").returncode == 0


def test_two_mounts_and_the_cli_share_a_file(mount_factory, tmp_path,
                                             oauth_fake, conf):
    config, settings = conf
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    a = oauth_mount(mount_factory, tmp_path, oauth_fake, settings=settings,
                    opts="cache_ttl=0")
    b = oauth_mount(mount_factory, tmp_path, oauth_fake, settings=settings,
                    opts="cache_ttl=0")
    for i in range(6):
        oauth_fake.call("POST", "/_control/oauth/expire", {"all": True})
        assert os.listdir(a.path("by-id"))
        assert os.listdir(b.path("by-id"))
        if i % 2:
            assert cli(config, "refresh").returncode == 0
    st = oauth_state(oauth_fake)
    assert not st["failures"], st
    assert st["refreshes"] >= 6


def test_kill_during_refresh_leaves_old_or_new_pair(conf, oauth_fake):
    """kill -9 `auth refresh` at random moments: the settings file always
    decrypts, to the old pair or the new one."""
    config, settings = conf
    assert cli(config, "exchange", mint_code(oauth_fake)).returncode == 0
    env = dict(os.environ, SSFS_BACKOFF_SCALE="0.01", SSFS_RATE_PER_MIN="0")
    rng = random.Random(7)
    rounds, outcomes = 40, {"new": 0, "old": 0, "lost": 0}
    oauth_fake.fault(path="^/2.0/token$", times=-1, kind="delay",
                     delay_ms=50)
    for _ in range(rounds):
        before = oauth_state(oauth_fake)["live_refresh_tokens"]
        p = subprocess.Popen([BIN, "auth", "refresh", "--config", config],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0, 0.12))
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        time.sleep(0.1)  # a request in flight still lands at the server
        r = cli(config, "status")
        assert r.returncode != 2, r.stderr  # always decrypts
        rotated = oauth_state(oauth_fake)["live_refresh_tokens"] != before
        if r.returncode == 0:
            outcomes["new" if rotated else "old"] += 1
        else:
            # The server rotated and the process died before saving: the
            # file holds the old (now dead) pair. Authorize again.
            assert rotated, r.stdout + r.stderr
            outcomes["lost"] += 1
            assert cli(config, "exchange",
                       mint_code(oauth_fake)).returncode == 0
    oauth_fake.clear_faults()
    leftovers = [n for n in os.listdir(os.path.dirname(settings))
                 if n not in (os.path.basename(settings),
                              os.path.basename(settings) + ".lock",
                              os.path.basename(settings) + ".state")]
    print("kill -9 during refresh: %d rounds: %s; temp files left: %d" %
          (rounds, outcomes, len(leftovers)))
    assert sum(outcomes.values()) == rounds


def test_no_secret_in_logs_argv_or_files(mount_factory, tmp_path,
                                         oauth_fake):
    """With -d (FUSE and HTTP tracing), a headless authorization and a
    refresh: no code, token, secret or hash in the daemon's output, its
    argv, the status, or any file beside the encrypted store."""
    settings = str(tmp_path / "hyg" / "OAuthSettings.txt")
    m = mount_factory("cache_ttl=0", config=oauth_config(oauth_fake,
                                                         settings),
                      extra_args=("-d",))
    # libfuse's trace of the operations we do not implement and of the
    # attributes a file does not have (getxattr: ENODATA), and the HTTP
    # trace of the list refused with the expired token before the refresh.
    m.allow(r"^smartsheetfs: debug:\s+unique: \d+, error: -38 \(Function "
            r"not implemented\), outsize: 16$")
    m.allow(r"^smartsheetfs: debug:\s+unique: \d+, error: -61 \(No data "
            r"available\), outsize: 16$")
    m.allow(r"^smartsheetfs: debug: http: GET \S+/2\.0/sheets\S* failed "
            r"after 1 attempt\(s\): status 401 curl 0 errorCode 1003 "
            r"message \"Your Access Token has expired\.\" refId \w+$")
    code = mint_code(oauth_fake)
    assert bash("echo %s > %s" % (code, m.path(".auth", "verifier"))
                ).returncode == 0
    assert os.listdir(m.path("by-id"))
    assert bash("echo > %s" % m.path(".auth", "refresh")).returncode == 0
    oauth_fake.call("POST", "/_control/oauth/expire", {"all": True})
    assert os.listdir(m.path("by-id"))
    st = oauth_state(oauth_fake)
    assert st["refreshes"] == 2, st
    secrets = [code, SECRET] + st["live_access_tokens"] + \
        st["live_refresh_tokens"] + st["expired_access_tokens"]
    secrets.append(hashlib.sha256((SECRET + "|" + code).encode()).hexdigest())
    out = m.output()
    assert "Authorization: Bearer (redacted)" in out  # tracing was on
    for s in secrets:
        assert s not in out
    status = open(m.path(".auth", "status")).read()
    cmdline = open("/proc/%d/cmdline" % m.proc.pid, "rb").read().decode(
        errors="replace")
    for s in secrets:
        assert s not in status and s not in cmdline
    folder = os.path.dirname(settings)
    for name in os.listdir(folder):
        data = open(os.path.join(folder, name), "rb").read()
        mode = stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
        assert mode & 0o077 == 0, name
        for s in secrets:
            assert s.encode() not in data, name


def test_unwritable_settings_folder(conf, oauth_fake, tmp_path,
                                    mount_factory):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings = str(blocker / "OAuthSettings.txt")
    config = write_config(str(tmp_path / "unwritable.ini"),
                          oauth_config(oauth_fake, settings))
    code = mint_code(oauth_fake)
    r = cli(config, "exchange", code)
    # Nothing could be saved, so the code is not spent: status 2.
    assert r.returncode == 2, r.stdout + r.stderr
    assert "not-a-folder" in r.stderr
    assert oauth_state(oauth_fake)["exchanges"] == 0
    # Fixed, the same code works.
    blocker.unlink()
    r = cli(config, "exchange", code)
    assert r.returncode == 0, r.stderr
    assert oauth_state(oauth_fake)["exchanges"] == 1
