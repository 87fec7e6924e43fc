"""Caching per SPEC §6, counted in the fake server's request log."""
import os
import time

import spec_render
from conftest import refused_read_line, requests_since


def readable(fake):
    for item in fake.sheet_list():
        try:
            return item, fake.sheet(item["id"])
        except Exception:
            continue
    raise AssertionError("no readable sheet")


def count(log, pattern):
    import re
    return len([r for r in log if re.search(pattern, r["path"])])


def test_no_request_within_ttl_one_version_check_after(mount_factory,
                                                        fresh_fake):
    m = mount_factory("cache_ttl=2")
    item, sheet = readable(fresh_fake)
    sid = item["id"]
    p = m.path("by-id", "%d.csv" % sid)
    first = open(p, "rb").read()
    n0 = len(fresh_fake.log())
    for _ in range(5):
        assert open(p, "rb").read() == first
        os.stat(p)
    os.listdir(m.path("sheets"))
    assert requests_since(fresh_fake, n0) == [], "requests within the TTL"
    time.sleep(2.3)
    n1 = len(fresh_fake.log())
    assert open(p, "rb").read() == first
    log = requests_since(fresh_fake, n1)
    assert count(log, r"^/2.0/sheets/%d/version$" % sid) == 1
    assert count(log, r"^/2.0/sheets/%d$" % sid) == 0


def test_changed_version_is_fetched_again(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=1")
    item, sheet = readable(fresh_fake)
    sid = item["id"]
    p = m.path("by-id", "%d.json" % sid)
    open(p, "rb").read()
    fresh_fake.update(sid, cells=[{"row": 0, "column": 0,
                                   "value": "changed on the server"}])
    time.sleep(1.2)
    n0 = len(fresh_fake.log())
    got = open(p, "rb").read()
    log = requests_since(fresh_fake, n0)
    assert b"changed on the server" in got
    assert got == spec_render.render_json(fresh_fake.sheet(sid))
    assert count(log, r"^/2.0/sheets/%d/version$" % sid) == 1
    assert count(log, r"^/2.0/sheets/%d$" % sid) == 1
    # stat now shows the new exact size.
    assert os.stat(p).st_size == len(got)


def test_csv_and_json_share_one_fetch(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=30")
    item, _ = readable(fresh_fake)
    n0 = len(fresh_fake.log())
    open(m.path("by-id", "%d.csv" % item["id"]), "rb").read()
    open(m.path("by-id", "%d.json" % item["id"]), "rb").read()
    log = requests_since(fresh_fake, n0)
    assert count(log, r"^/2.0/sheets/%d$" % item["id"]) == 1


def test_a_renamed_sheet_appears_under_its_new_name(mount_factory,
                                                    fresh_fake):
    m = mount_factory("cache_ttl=1")
    item, _ = readable(fresh_fake)
    before = os.listdir(m.path("sheets"))
    fresh_fake.update(item["id"], name="Renamed On The Server")
    time.sleep(1.2)
    after = os.listdir(m.path("sheets"))
    assert "Renamed On The Server.csv" in after
    assert "Renamed On The Server.csv" not in before
    assert open(m.path("sheets", "Renamed On The Server.json"),
                "rb").read().startswith(b'{"id":%d,' % item["id"])


def test_sighup_drops_the_caches(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=600")
    item, _ = readable(fresh_fake)
    sid = item["id"]
    p = m.path("by-id", "%d.csv" % sid)
    old = open(p, "rb").read()
    fresh_fake.update(sid, cells=[{"row": 0, "column": 0,
                                   "value": "after the signal"}])
    assert open(p, "rb").read() == old  # within the TTL
    m.sighup()
    time.sleep(0.3)
    new = open(p, "rb").read()
    assert b"after the signal" in new
    assert new == spec_render.render_csv(fresh_fake.sheet(sid))


def test_an_open_file_reads_one_version(mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=0")
    item, sheet = readable(fresh_fake)
    sid = item["id"]
    want = spec_render.render_json(sheet)
    with open(m.path("by-id", "%d.json" % sid), "rb", buffering=0) as f:
        head = f.read(10)
        fresh_fake.update(sid, cells=[{"row": 0, "column": 0,
                                       "value": "x" * 5000}])
        # Another reader sees the new version meanwhile.
        other = open(m.path("by-id", "%d.json" % sid), "rb").read()
        assert b"x" * 5000 in other
        rest = b""
        while True:
            chunk = f.read(3)
            if not chunk:
                break
            rest += chunk
    assert head + rest == want


def test_a_sheet_deleted_on_the_server_disappears(mount_factory, fresh_fake):
    import errno
    from conftest import read_errno
    m = mount_factory("cache_ttl=1")
    item, _ = readable(fresh_fake)
    p = m.path("by-id", "%d.csv" % item["id"])
    open(p, "rb").read()
    fresh_fake.call("DELETE", "/_control/sheets/%d" % item["id"])
    time.sleep(1.2)
    m.allow(r"warning: GET /sheets/%d(/version)?: HTTP 404, errorCode 1006, "
            r"refId \w+: Not Found$" % item["id"])
    assert read_errno(p) == errno.ENOENT
    assert "%d.csv" % item["id"] not in os.listdir(m.path("by-id"))


def sleep_until(t):
    time.sleep(max(0.0, t - time.monotonic()))


def test_only_a_request_moves_the_validation_time(mount_factory, fresh_fake):
    # SPEC §6: within cache_ttl of the last answer nothing is asked;
    # rendering the other format from the model held is not an answer.
    m = mount_factory("cache_ttl=2")
    item, _ = readable(fresh_fake)
    sid = item["id"]
    n0 = len(fresh_fake.log())
    t0 = time.monotonic()
    open(m.path("by-id", "%d.csv" % sid), "rb").read()
    sleep_until(t0 + 1.5)
    open(m.path("by-id", "%d.json" % sid), "rb").read()
    sleep_until(t0 + 3.0)
    open(m.path("by-id", "%d.csv" % sid), "rb").read()
    log = requests_since(fresh_fake, n0, r"^/2.0/sheets/\d+")
    assert [r["path"] for r in log] == [
        "/2.0/sheets/%d" % sid, "/2.0/sheets/%d/version" % sid], log


def test_a_warmed_disk_copy_keeps_the_warmups_validation_time(
        mount_factory, fresh_fake):
    m = mount_factory("cache_ttl=3,prefetch=290")
    m.allow(refused_read_line())  # the warm-up meets the restricted sheet
    item, _ = readable(fresh_fake)
    sid = item["id"]
    get = "/2.0/sheets/%d" % sid
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not [
            r for r in fresh_fake.log() if r["path"] == get]:
        time.sleep(0.05)
    # The warm-up fetched it (on disk now, not in memory) at t_f.
    t_f = time.monotonic()
    while os.stat(m.path("by-id", "%d.csv" % sid)).st_size == 0:
        time.sleep(0.05)
    n0 = len(fresh_fake.log())
    sleep_until(t_f + 1.5)
    open(m.path("by-id", "%d.csv" % sid), "rb").read()
    assert count(requests_since(fresh_fake, n0), "^/2.0/sheets/%d" % sid) \
        == 0
    sleep_until(t_f + 3.5)
    open(m.path("by-id", "%d.csv" % sid), "rb").read()
    log = requests_since(fresh_fake, n0)
    assert count(log, "^/2.0/sheets/%d/version$" % sid) == 1, log


def test_offline_the_network_is_tried_once_per_backoff_step(mount_factory,
                                                            fresh_fake):
    m = mount_factory("cache_ttl=1")
    m.allow(r"no answer|serving the copy|using the list from before|"
            r"Connection reset|Recv failure|Empty reply")
    items = fresh_fake.sheet_list()
    held, _ = readable(fresh_fake)
    want = open(m.path("by-id", "%d.csv" % held["id"]), "rb").read()
    other = [i["id"] for i in items if i["id"] != held["id"]][0]
    fresh_fake.fault(path="^/2.0/", kind="reset", times=-1)
    # The first failure (a request retried until it gives up) marks the
    # mount offline.
    time.sleep(1.1)
    os.listdir(m.path("sheets"))
    assert "offline since" in open(m.path(".auth", "status")).read()
    n0 = len(fresh_fake.log())
    t0 = time.monotonic()
    while time.monotonic() - t0 < 4.0:
        os.listdir(m.path("sheets"))
        assert open(m.path("by-id", "%d.csv" % held["id"]), "rb").read() \
            == want
        try:
            open(m.path("by-id", "%d.csv" % other), "rb").read()
        except OSError:
            pass
        time.sleep(0.05)
    tries = requests_since(fresh_fake, n0)
    # About one a second (cache_ttl=1); each lookup and open tried the
    # network before (one attempt each while unreachable).
    assert 2 <= len(tries) <= 6, len(tries)
    status = open(m.path(".auth", "status")).read()
    assert "network: offline since" in status, status
    # Back online: found within a step.
    fresh_fake.clear_faults()
    time.sleep(1.2)
    os.listdir(m.path("sheets"))
    open(m.path("by-id", "%d.csv" % other), "rb").read()
    assert "network: online" in open(m.path(".auth", "status")).read()
