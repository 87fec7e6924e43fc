"""The tools data people use, on a mount of the fake with the naming and
type edge cases (issue 15): archivers and copiers lose nothing (tar, zip,
rsync, cp), a restricted sheet does not break whole-folder tools (grep -r),
CSV and NDJSON read as they should in Python's csv module, pandas, sqlite3,
Miller, csvkit and DuckDB, a BOM for Excel, control files of exact size."""
import csv
import errno
import io
import json
import math
import mmap
import os
import re
import shutil
import subprocess

import pytest

from conftest import SUPPORT, readable_ids, refused_read_line, sh

DUCKDB = os.path.join(SUPPORT, "duckdb")
# The folders of the mount's root a backup takes (the hidden control files
# are not data).
TOP = ["sheets", "by-id", "reports", "workspaces"]


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, timeout=300, **kw)


def files(root):
    """Every regular file below root, as relative paths."""
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


@pytest.fixture
def exact(mount_factory):
    """A fresh mount (empty cache folder) with sizes=exact and ndjson."""
    m = mount_factory("cache_ttl=60,sizes=exact,ndjson")
    m.allow(refused_read_line())
    return m


@pytest.fixture
def lazy(mount_factory):
    m = mount_factory("cache_ttl=60,ndjson")
    m.allow(refused_read_line())
    return m


def copy_by_cat(m, dest, top=None):
    """The reference copy: every folder a listing shows (empty ones too)
    and cat of every file in it, below the folders top (default TOP)."""
    for t in top or TOP:
        for d, _, names in os.walk(m.path(t)):
            rel_d = os.path.relpath(d, m.mnt)
            os.makedirs(os.path.join(dest, rel_d), exist_ok=True)
            for n in names:
                rel = os.path.join(rel_d, n)
                with open(os.path.join(dest, rel), "wb") as f:
                    r = run(["cat", m.path(rel)])
                    assert r.returncode == 0, (rel, r.stderr)
                    f.write(r.stdout)


def test_tar_of_a_fresh_mount_stores_every_byte(exact, tmp_path):
    tarball = str(tmp_path / "a.tar")
    r = run(["tar", "-cf", tarball, "-C", exact.mnt, *TOP])
    assert r.returncode == 0, r.stderr
    assert b"0 of" not in r.stderr and r.stderr == b"", r.stderr
    out = tmp_path / "x"
    out.mkdir()
    assert run(["tar", "-xf", tarball, "-C", str(out)]).returncode == 0
    ref = tmp_path / "ref"
    copy_by_cat(exact, str(ref))
    r = run(["diff", "-r", str(out), str(ref)])
    assert r.returncode == 0, r.stdout[:2000]
    got = files(str(out))
    assert len([g for g in got if g.startswith("by-id/")]) >= 3 * 20
    # No member empty: every sheet file has at least its header line.
    assert all(os.path.getsize(os.path.join(out, g)) > 0 or
               g.endswith(".ndjson") for g in got)


def test_zip_of_a_fresh_mount_stores_every_byte(exact, tmp_path):
    z = str(tmp_path / "a.zip")
    r = run(["zip", "-qr", z, *TOP], cwd=exact.mnt)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "x"
    assert run(["unzip", "-q", z, "-d", str(out)]).returncode == 0
    ref = tmp_path / "ref"
    copy_by_cat(exact, str(ref))
    r = run(["diff", "-r", str(out), str(ref)])
    assert r.returncode == 0, r.stdout[:2000]


@pytest.mark.parametrize("mode", ["lazy", "exact"])
def test_rsync_twice_and_cp_r(mode, mount_factory, tmp_path):
    m = mount_factory("cache_ttl=60,sizes=%s" % mode)
    m.allow(refused_read_line())
    dest = str(tmp_path / "copy")
    src = m.path("sheets") + "/"
    r = run(["rsync", "-a", "--stats", src, dest])
    ref = tmp_path / "ref"
    copy_by_cat(m, str(ref), ["sheets"])
    # A restricted sheet is left out once the mount knows it: with
    # sizes=exact from the first listing on.
    if mode == "exact":
        assert r.returncode == 0, r.stderr
    r = run(["rsync", "-a", "--stats", src, dest])
    assert r.returncode == 0, r.stderr
    assert b"Number of regular files transferred: 0" in r.stdout, r.stdout
    assert run(["diff", "-r", dest, str(ref / "sheets")]).returncode == 0
    r = run(["cp", "-r", m.path("sheets"), str(tmp_path / "cp")])
    assert r.returncode == 0, r.stderr


def test_grep_r_never_fails_on_a_restricted_sheet(exact, lazy, fresh_fake):
    denied = set(i["id"] for i in fresh_fake.sheet_list()) - \
        set(readable_ids(fresh_fake))
    assert denied, "the fixtures need a restricted sheet"
    r = sh("grep -r 'Design' %s" % exact.path("sheets"))
    assert r.returncode in (0, 1), r.stderr
    assert not any(("%d." % i).encode() in b"".join(
        os.fsencode(n) for n in os.listdir(exact.path("by-id")))
        for i in denied)
    status = open(exact.path(".auth", "status")).read()
    assert re.search(r"refused: 1 sheet\b", status), status
    # A lazy mount learns it at the first refusal, then leaves it out.
    sh("grep -r 'Design' %s" % lazy.path("by-id"))
    r = sh("grep -r 'Design' %s" % lazy.path("by-id"))
    assert r.returncode in (0, 1), r.stderr


def csv_files(m):
    return [n for n in sorted(os.listdir(m.path("by-id")))
            if n.endswith(".csv")]


def test_python_csv_strict_reads_every_csv(exact):
    for n in csv_files(exact):
        with open(exact.path("by-id", n), newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, strict=True))
        assert rows and len(set(len(r) for r in rows)) == 1, n


def json_of(m, n):
    with open(m.path("by-id", n.replace(".csv", ".json")), "rb") as f:
        return json.loads(f.read())


def same_value(js, pv):
    """A JSON cell value against what pandas made of the CSV field."""
    import pandas as pd
    if js is None:
        return pv is None or (isinstance(pv, float) and math.isnan(pv))
    if isinstance(js, bool):
        return bool(pv) == js or str(pv).lower() == str(js).lower()
    if isinstance(js, (int, float)):
        # pandas' default float parser is not round-trip exact
        # (0.30000000000000004 reads as 0.3): the text is; allow 1 ulp.
        try:
            return math.isclose(float(pv), float(js), rel_tol=4e-16,
                                abs_tol=0.0) or float(pv) == float(js)
        except (TypeError, ValueError):
            return False
    if isinstance(js, list):
        return True  # multi-value cells: CSV holds their display text
    if isinstance(pv, float) and math.isnan(pv):
        return js == ""
    if pd.api.types.is_number(pv) and not isinstance(pv, bool):
        try:
            return float(js) == float(pv)
        except ValueError:
            return False
    return str(pv) == str(js) or str(pv).lower() == str(js).lower()


def test_pandas_reads_csv_json_and_ndjson(exact):
    pd = pytest.importorskip("pandas")
    checked = 0
    for n in csv_files(exact):
        js = json_of(exact, n)
        df = pd.read_csv(exact.path("by-id", n))
        assert df.shape == (len(js["rows"]), len(js["columns"])), n
        keys = list(df.columns)
        for i, row in enumerate(js["rows"]):
            for j, col in enumerate(js["columns"]):
                cells = [v for k, v in row["cells"].items()
                         if k == col["title"]]
                if len(cells) != 1 or keys[j] != col["title"]:
                    continue  # duplicate titles: keyed differently
                assert same_value(cells[0], df.iloc[i, j]), \
                    (n, i, col["title"], cells[0], df.iloc[i, j])
                checked += 1
        nd = exact.path("by-id", n.replace(".csv", ".ndjson"))
        if js["rows"]:
            lines = pd.read_json(nd, lines=True)
            assert len(lines) == len(js["rows"]), n
            assert list(lines["_rowId"]) == [r["id"] for r in js["rows"]
                                             ] or max(
                r["id"] for r in js["rows"]) > 2 ** 53
        else:
            assert os.path.getsize(nd) == 0
        # The JSON file itself with default options.
        doc = pd.read_json(exact.path("by-id", n.replace(".csv", ".json")),
                           typ="series")
        assert doc["name"] == js["name"]
    assert checked > 100


def test_sqlite_miller_and_csvkit_read_every_csv(exact, tmp_path):
    for n in csv_files(exact):
        js = json_of(exact, n)
        p = exact.path("by-id", n)
        db = str(tmp_path / ("%s.db" % n))
        r = run(["sqlite3", db, ".import --csv %s t" % p,
                 "select count(*) from t"])
        assert r.returncode == 0, (n, r.stderr)
        assert int(r.stdout) == len(js["rows"]), n
        r = run(["mlr", "--icsv", "--ojson", "cat", p])
        assert r.returncode == 0, (n, r.stderr)
        out = r.stdout.strip()
        # Miller writes control characters of the values as they are.
        got = json.loads(out, strict=False) if out else []
        assert len(got) == len(js["rows"]), n
        r = run(["csvjson", p])
        assert r.returncode == 0, (n, r.stderr)
        assert len(json.loads(r.stdout)) == len(js["rows"]), n


def duckdb(sql):
    if not os.path.isdir(os.path.join(DUCKDB, "node_modules", "@duckdb",
                                      "node-api")):
        pytest.skip("DuckDB is not installed (scripts/install-deps puts "
                    "its npm package @duckdb/node-api in %s; npm install "
                    "failed or npm is missing)" % DUCKDB)
    r = run(["node", os.path.join(DUCKDB, "query.mjs"), sql], cwd=DUCKDB)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    return json.loads(r.stdout)


def test_duckdb_globs_csv_reads_ndjson_and_joins(exact, fresh_fake):
    names = [n for n in os.listdir(exact.path("sheets"))
             if n.endswith(".csv")]
    got = duckdb("select count(*) as n from read_csv_auto('%s/*.csv', "
                 "union_by_name=true, filename=true)" %
                 exact.path("sheets"))
    want = sum(len(json_of(exact, "%d.csv" % i)["rows"])
               for i in readable_ids(fresh_fake))
    assert int(got[0]["n"]) == want, (got, want)
    assert len(names) == len(readable_ids(fresh_fake))
    plan = exact.path("by-id", "4583173393803140.ndjson")
    rows = duckdb("select * from read_ndjson('%s')" % plan)
    assert len(rows) == len(json_of(exact, "4583173393803140.csv")["rows"])
    # Two sheets joined: who is assigned tasks (Project Plan) and owns
    # items (Contacts & Tags), counted against the JSON files.
    a = exact.path("by-id", "4583173393803140.csv")
    b = exact.path("by-id", "2206389125924740.csv")
    j = duckdb("select count(*) as n from read_csv_auto('%s') x, "
               "read_csv_auto('%s') y where x.\"Assigned To\" = y.Owner" %
               (a, b))
    left = [r["cells"].get("Assigned To") for r in
            json_of(exact, "4583173393803140.csv")["rows"]]
    right = [r["cells"].get("Owner") for r in
             json_of(exact, "2206389125924740.csv")["rows"]]
    want = sum(1 for u in left for v in right
               if isinstance(u, str) and u == v)
    assert want > 0 and int(j[0]["n"]) == want, (j, want)


def test_bom_for_excel(mount_factory):
    m = mount_factory("cache_ttl=60,bom")
    plain = mount_factory("cache_ttl=60")
    for n in ("4583173393803140.csv", "3269889336584068.csv"):
        with_bom = open(m.path("by-id", n), "rb").read()
        without = open(plain.path("by-id", n), "rb").read()
        assert with_bom == b"\xef\xbb\xbf" + without
        assert os.stat(m.path("by-id", n)).st_size == len(with_bom)
        # Python and pandas read it as UTF-8 with its signature.
        text = with_bom.decode("utf-8-sig")
        assert list(csv.reader(io.StringIO(text)))[0][0] == \
            without.decode().split(",")[0].split("\n")[0]
    j = open(m.path("by-id", "4583173393803140.json"), "rb").read()
    assert j.startswith(b"{")


def test_control_files_show_their_exact_size(exact, tmp_path):
    p = exact.path(".auth", "status")
    size = os.stat(p).st_size
    data = open(p, "rb").read()
    assert size > 0 and size == len(data)
    dest = str(tmp_path / "auth")
    r = run(["rsync", "-a", exact.path(".auth") + "/", dest])
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(os.path.join(dest, "status")) > 0
    r = run(["tar", "-cf", "-", "-C", exact.mnt, ".auth/status"])
    assert r.returncode == 0 and b"state: authorized" in r.stdout


def test_shared_mmap(exact, lazy):
    """A file opened with direct I/O (cold, sizes=lazy) cannot be mapped
    shared (libfuse 3.14 has no flag for it: README CAVEATS); private maps
    work, and with sizes=exact nothing is opened that way."""
    n = "4583173393803140.csv"
    with open(lazy.path("by-id", n), "rb") as f:
        with pytest.raises(OSError) as e:
            mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED,
                      prot=mmap.PROT_READ)
        assert e.value.errno == errno.ENODEV
        mm = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE,
                       prot=mmap.PROT_READ)
        assert mm[:4] == open(lazy.path("by-id", n), "rb").read()[:4]
        mm.close()
    with open(exact.path("by-id", n), "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED,
                       prot=mmap.PROT_READ)
        assert len(mm) == os.fstat(f.fileno()).st_size
        mm.close()


def test_ls_l_of_a_fresh_exact_mount_is_exact(exact):
    r = sh("ls -l %s" % exact.path("by-id"))
    assert r.returncode == 0, r.stderr
    for line in r.stdout.decode().splitlines()[1:]:
        parts = line.split()
        size, name = int(parts[4]), parts[-1]
        assert size == len(open(exact.path("by-id", name), "rb").read()), \
            name


