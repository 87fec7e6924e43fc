"""Write-back as the file system shows it (issue 14, SPEC §8): -o write and
its options, modes by accessLevel, who may write, scratch files, .status and
.rejected/, edit handles at unmount. The tool-driven cases (sed -i, vim,
perl, python, jq, the diff cases, faults) are in test_write_tools.py."""
import errno
import os
import stat
import subprocess
import time

import pytest

from conftest import requests_since
from test_oauth_safety import as_nobody, open_path_to

TARGET = "Write Target"       # EDITOR
VIEWER = "Read Only Roster"   # VIEWER
TARGET_ID = 1300000000000010


def write_mount(mount_factory, tmp_path, opts="cache_ttl=1", **kw):
    state = tmp_path / "state"
    return mount_factory("write,state_dir=%s,%s" % (state, opts), **kw)


def errno_of(fn, *a):
    try:
        fn(*a)
    except OSError as e:
        return e.errno
    return 0


def open_w(path, flags=os.O_WRONLY | os.O_APPEND):
    os.close(os.open(path, flags))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def writes(fake, n0):
    return [r for r in requests_since(fake, n0, r"/rows")
            if r["method"] in ("POST", "PUT", "DELETE")]


def test_without_write_everything_is_erofs(mnt):
    f = mnt.path("sheets", TARGET + ".csv")
    assert mode(f) == 0o444
    assert mode(mnt.path("sheets")) == 0o555
    assert errno_of(open_w, f) == errno.EROFS
    assert errno_of(open_w, f, os.O_WRONLY | os.O_TRUNC) == errno.EROFS
    assert errno_of(open_w, mnt.path("sheets", "x.tmp"),
                    os.O_WRONLY | os.O_CREAT) == errno.EROFS
    assert errno_of(os.unlink, f) == errno.EROFS
    assert errno_of(os.rename, f, f + "~") == errno.EROFS
    assert errno_of(os.truncate, f, 0) == errno.EROFS
    assert errno_of(os.chmod, f, 0o600) == errno.EROFS
    assert not os.path.exists(mnt.path(".status"))
    assert ".rejected" not in os.listdir(mnt.mnt)


def test_modes_by_access_level(mount_factory, tmp_path):
    m = write_mount(mount_factory, tmp_path, "cache_ttl=1,ndjson")
    assert mode(m.path("sheets", TARGET + ".csv")) == 0o644
    assert mode(m.path("sheets", TARGET + ".json")) == 0o644
    assert mode(m.path("by-id", "%d.csv" % TARGET_ID)) == 0o644
    assert mode(m.path("sheets", TARGET + ".ndjson")) == 0o444
    assert mode(m.path("sheets", VIEWER + ".csv")) == 0o444
    assert mode(m.path("sheets")) == 0o755
    assert mode(m.path("by-id")) == 0o755
    assert mode(m.path("reports")) == 0o555
    reports = os.listdir(m.path("reports"))
    assert reports
    rep = m.path("reports", reports[0])
    assert mode(rep) == 0o444
    # root bypasses the mode bits: the daemon refuses by itself.
    for f in (m.path("sheets", VIEWER + ".csv"), rep,
              m.path("sheets", TARGET + ".ndjson")):
        assert errno_of(open_w, f) == errno.EACCES, f
        assert errno_of(open_w, f, os.O_WRONLY | os.O_TRUNC) == \
            errno.EACCES, f
    # Scratch files only where sheets are.
    assert errno_of(open_w, m.path("reports", "x.tmp"),
                    os.O_WRONLY | os.O_CREAT) == errno.EACCES
    assert errno_of(open_w, m.path("x.tmp"),
                    os.O_WRONLY | os.O_CREAT) == errno.EACCES
    # A sheet's file is not deleted; utimens and chmod are accepted.
    f = m.path("sheets", TARGET + ".csv")
    assert errno_of(os.unlink, f) == errno.EPERM
    os.utime(f)
    os.chmod(f, 0o600)
    assert mode(f) == 0o644
    # .json is edited, not appended to.
    with pytest.raises(OSError) as e:
        with open(m.path("sheets", TARGET + ".json"), "a") as j:
            j.write("{}\n")
    assert e.value.errno == errno.EINVAL


def test_the_ini_turns_write_on(mount_factory, tmp_path, fresh_fake):
    from conftest import TOKEN
    conf = ("[connection]\nPersonalAccessToken = %s\nBaseURL = %s/2.0\n"
            "[mount]\nWrite = true\n" % (TOKEN, fresh_fake.base))
    m = mount_factory("cache_ttl=1,state_dir=%s" % (tmp_path / "st"),
                      config=conf)
    assert mode(m.path("sheets", TARGET + ".csv")) == 0o644
    assert os.path.exists(m.path(".status"))


def test_other_users_are_refused(mount_factory, tmp_path):
    m = write_mount(mount_factory, tmp_path, "cache_ttl=1,allow_other,umask=0")
    open_path_to(m.mnt)
    f = m.path("sheets", TARGET + ".csv")
    assert mode(f) == 0o777  # umask=0: the mode bits are not the guard
    with open(m.path("sheets", "mine.tmp"), "w") as s:
        s.write("x\n")
    for cmd in ("echo 'a,b' >> '%s'" % f,
                "echo 'a,b' > '%s'" % f,
                "truncate -s 0 '%s'" % f,
                "touch '%s'" % m.path("sheets", "theirs.tmp"),
                "echo x >> '%s'" % m.path("sheets", "mine.tmp"),
                "rm -f '%s'" % m.path("sheets", "mine.tmp"),
                "mv '%s' '%s'" % (m.path("sheets", "mine.tmp"),
                                  m.path("sheets", "moved.tmp")),
                "mv '%s' '%s'" % (m.path("sheets", "mine.tmp"), f),
                "chmod 600 '%s'" % m.path("sheets", "mine.tmp"),
                "touch -d 2020-01-01 '%s'" % f):
        r = as_nobody(cmd)
        assert r.returncode != 0, cmd
        assert b"Permission denied" in r.stderr or \
            b"Operation not permitted" in r.stderr, (cmd, r.stderr)
    assert open(m.path("sheets", "mine.tmp")).read() == "x\n"
    assert not os.path.exists(m.path("sheets", "theirs.tmp"))
    # Reading stays open to them.
    r = as_nobody("cat '%s' '%s'" % (f, m.path("sheets", "mine.tmp")))
    assert r.returncode == 0 and b"x\n" in r.stdout


def test_scratch_files(mount_factory, tmp_path, fresh_fake):
    m = write_mount(mount_factory, tmp_path)
    n0 = len(fresh_fake.log())
    d = m.path("sheets")
    a = os.path.join(d, ".%s.csv.swp" % TARGET)
    with open(a, "w") as f:
        f.write("hello\n")
    assert open(a).read() == "hello\n"
    assert os.path.basename(a) in os.listdir(d)
    assert os.path.getsize(a) == 6
    with open(a, "a") as f:
        f.write("more\n")
    assert open(a).read() == "hello\nmore\n"
    os.truncate(a, 3)
    assert open(a).read() == "hel"
    os.chmod(a, 0o600)
    assert mode(a) == 0o600
    os.utime(a, (1000000000, 1000000000))
    assert os.stat(a).st_mtime == 1000000000
    # Only in its folder.
    assert os.path.basename(a) not in os.listdir(m.path("by-id"))
    # rename over another scratch file replaces it.
    b = os.path.join(d, "b.tmp")
    with open(b, "w") as f:
        f.write("bbb")
    os.rename(a, b)
    assert not os.path.exists(a)
    assert open(b).read() == "hel"
    # To another writable folder, and back.
    c = m.path("by-id", "c.tmp")
    os.rename(b, c)
    assert open(c).read() == "hel"
    assert "c.tmp" in os.listdir(m.path("by-id"))
    # An open file outlives its unlink, as on a disk.
    f = open(c)
    os.unlink(c)
    assert not os.path.exists(c)
    assert f.read() == "hel"
    f.close()
    assert "c.tmp" not in os.listdir(m.path("by-id"))
    # O_EXCL on an existing name, a sheet's name is not a scratch file.
    e = os.path.join(d, "e.tmp")
    open(e, "w").close()
    assert errno_of(open_w, e, os.O_WRONLY | os.O_CREAT | os.O_EXCL) == \
        errno.EEXIST
    os.unlink(e)
    # A sheet's file does not move (tools fall back to copying).
    assert errno_of(os.rename, m.path("sheets", TARGET + ".csv"),
                    os.path.join(d, TARGET + ".csv~")) == errno.EXDEV
    assert errno_of(os.mkdir, os.path.join(d, "newdir")) == errno.EPERM
    # Nothing of this went to Smartsheet.
    assert writes(fresh_fake, n0) == []


def test_scratch_files_in_workspace_folders(mount_factory, tmp_path):
    m = write_mount(mount_factory, tmp_path)
    ws = sorted(os.listdir(m.path("workspaces")))
    assert ws
    w = m.path("workspaces", ws[0])
    assert mode(w) == 0o755
    assert mode(m.path("workspaces")) == 0o555
    p = os.path.join(w, "notes.tmp")
    with open(p, "w") as f:
        f.write("in a workspace\n")
    assert "notes.tmp" in os.listdir(w)
    assert open(p).read() == "in a workspace\n"
    os.unlink(p)
    assert "notes.tmp" not in os.listdir(w)


def test_scratch_files_are_gone_at_unmount(mount_factory, tmp_path):
    m = write_mount(mount_factory, tmp_path)
    with open(m.path("sheets", "keep.tmp"), "w") as f:
        f.write("x")
    m.finish()
    m2 = write_mount(mount_factory, tmp_path)
    assert not os.path.exists(m2.path("sheets", "keep.tmp"))


def test_scratch_max(mount_factory, tmp_path):
    m = write_mount(mount_factory, tmp_path, "cache_ttl=1,scratch_max=64K")
    a = m.path("sheets", "a.tmp")
    with open(a, "wb") as f:
        f.write(b"x" * 40000)
    with pytest.raises(OSError) as e:
        with open(m.path("sheets", "b.tmp"), "wb") as f:
            f.write(b"y" * 40000)
    assert e.value.errno == errno.ENOSPC
    os.unlink(m.path("sheets", "b.tmp"))
    os.unlink(a)
    # Freed: room again (once the kernel's RELEASE of a.tmp, sent after
    # close() returned, has arrived: until then it is an open file).
    c = m.path("sheets", "c.tmp")
    deadline = time.monotonic() + 5
    while True:
        try:
            with open(c, "wb") as f:
                f.write(b"z" * 60000)
            break
        except OSError as e:
            assert e.errno == errno.ENOSPC
            assert time.monotonic() < deadline, "a.tmp never freed"
            time.sleep(0.05)
    assert os.path.getsize(c) == 60000


def test_bad_options_stop_the_mount(mount_factory, tmp_path):
    m = mount_factory("write,scratch_max=lots", expect_fail=True)
    m.expect_exit(2)
    assert m.proc.wait(30) == 2
    assert "scratch_max: expected a size" in m.output()


def test_unsafe_state_dir_is_refused(mount_factory, tmp_path):
    state = tmp_path / "open-state"
    state.mkdir()
    os.chmod(state, 0o777)
    m = mount_factory("write,state_dir=%s" % state, expect_fail=True)
    m.expect_exit(2)
    assert m.proc.wait(30) == 2
    out = m.output()
    assert "state_dir: %s: others may write it" % state in out, out
    assert not os.path.ismount(m.mnt)
    # Without write the state folder is not used.
    m2 = mount_factory("state_dir=%s" % state)
    assert os.listdir(m2.path("sheets"))


def plant_crashed_save(state, path, text):
    """What a daemon killed during a save leaves in the state folder."""
    j = state / "journal"
    j.mkdir(parents=True, mode=0o700)
    os.chmod(state, 0o700)
    for name, data in (("1700000000000-1-1.meta", path),
                       ("1700000000000-1-1.data", text)):
        fd = os.open(j / name, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, data.encode())
        os.close(fd)


def test_status_and_rejected(mount_factory, tmp_path):
    state = tmp_path / "state"
    text = "Name,Done\nmy lost row,true\n"
    plant_crashed_save(state, "sheets/%s.csv" % TARGET, text)
    m = mount_factory("write,state_dir=%s" % state)
    m.allow(r"warning: sheets/%s\.csv: found after a crash" % TARGET)
    assert {".status", ".rejected"} <= set(os.listdir(m.mnt))
    status = open(m.path(".status")).read()
    assert "found after a crash" in status, status
    assert os.path.getsize(m.path(".status")) == len(status.encode())
    names = os.listdir(m.path(".rejected"))
    assert len(names) == 1 and names[0].startswith(TARGET), names
    r = m.path(".rejected", names[0])
    assert open(r).read() == text
    assert os.path.getsize(r) == len(text)
    assert mode(r) == 0o600
    assert errno_of(open_w, r, os.O_WRONLY) == errno.EACCES
    assert errno_of(open_w, m.path(".status"), os.O_WRONLY) == \
        errno.EACCES
    os.unlink(r)
    assert os.listdir(m.path(".rejected")) == []
    assert errno_of(os.unlink, r) == errno.ENOENT
    m.finish()
    # Kept across mounts until removed: gone now, and not found again.
    m2 = mount_factory("write,state_dir=%s" % state)
    assert os.listdir(m2.path(".rejected")) == []
    assert "found after a crash" not in open(m2.path(".status")).read()


def test_rejected_files_are_the_owners(mount_factory, tmp_path):
    state = tmp_path / "state"
    plant_crashed_save(state, "sheets/%s.csv" % TARGET, "a,b\n")
    m = mount_factory("write,allow_other,umask=0,state_dir=%s" % state)
    m.allow(r"warning: sheets/%s\.csv: found after a crash" % TARGET)
    open_path_to(m.mnt)
    name = os.listdir(m.path(".rejected"))[0]
    r = as_nobody("rm -f '%s'" % m.path(".rejected", name))
    assert r.returncode != 0 and b"Permission denied" in r.stderr
    assert os.listdir(m.path(".rejected")) == [name]


def test_unmount_with_an_edit_open(mount_factory, tmp_path):
    state = tmp_path / "state"
    m = mount_factory("write,state_dir=%s" % state)
    m.allow(r"warning: sheets/%s\.csv: unmounted while the file was open"
            % TARGET)
    f = os.open(m.path("sheets", TARGET + ".csv"), os.O_WRONLY | os.O_TRUNC)
    os.write(f, b"Name,Done\nhalf typed\n")
    # The daemon is stopped with the file open (a plain unmount would be
    # EBUSY): its session ends, the kernel never sends the close.
    # (libfuse 3.14 returns the signal as the loop's error: status 5.)
    m.expect_exit(5)
    m.proc.terminate()
    assert m.proc.wait(30) == 5
    try:
        os.close(f)
    except OSError:
        pass  # the daemon is gone: the close cannot be answered
    m.finish()
    m2 = mount_factory("write,state_dir=%s" % state)
    names = os.listdir(m2.path(".rejected"))
    assert len(names) == 1, names
    assert open(m2.path(".rejected", names[0])).read() == \
        "Name,Done\nhalf typed\n"


def test_empty_truncate_is_refused(mount_factory, tmp_path, fresh_fake):
    m = write_mount(mount_factory, tmp_path)
    m.allow(r"warning: write-back .* sheets/%s\.csv: .*failed \(EINVAL\): "
            r"the text is empty" % TARGET)
    f = m.path("sheets", TARGET + ".csv")
    n0 = len(fresh_fake.log())
    # O_TRUNC and nothing written: not "delete every row".
    fd = os.open(f, os.O_WRONLY | os.O_TRUNC)
    with pytest.raises(OSError) as e:
        os.close(fd)
    assert e.value.errno == errno.EINVAL
    assert errno_of(os.truncate, f, 0) == errno.EINVAL
    assert writes(fresh_fake, n0) == []
    assert "Name" in open(f).read() or os.path.getsize(f) > 0


def test_rename_over_a_sheet_file(mount_factory, tmp_path, fresh_fake):
    m = write_mount(mount_factory, tmp_path)
    m.allow(r"warning: write-back .* sheets/%s\.csv: .*failed \(EINVAL\): "
            r"the text is empty" % TARGET)
    f = m.path("sheets", TARGET + ".csv")
    with open(f) as r:
        text = r.read()
    tmp = m.path("sheets", "sedXYZ")
    # An empty text is refused: the scratch file stays for another try.
    open(tmp, "w").close()
    assert errno_of(os.rename, tmp, f) == errno.EINVAL
    assert os.path.exists(tmp)
    # A reader holding the sheet's file open does not stop the rename
    # (libfuse hides the open file: a rename of the sheet's file).
    with open(f) as reader:
        with open(tmp, "w") as t:
            t.write(text)
        os.rename(tmp, f)
        assert reader.read() == text
        assert os.fstat(reader.fileno()).st_size > 0
    assert not os.path.exists(tmp)
    assert not [n for n in os.listdir(m.path("sheets"))
                if n.startswith(".fuse_hidden")]
    # Not over a report's file, nor a VIEWER sheet's.
    with open(tmp, "w") as t:
        t.write(text)
    assert errno_of(os.rename, tmp,
                    m.path("sheets", VIEWER + ".csv")) == errno.EACCES
    reports = os.listdir(m.path("reports"))
    assert errno_of(os.rename, tmp, m.path("reports", reports[0])) in (
        errno.EACCES, errno.EPERM, errno.EXDEV)
    assert os.path.exists(tmp)


def row_writes(fake, n0, method):
    return [r for r in requests_since(
        fake, n0, r"^/2.0/sheets/%d/rows" % TARGET_ID)
        if r["method"] == method]


def test_append_adds_a_row(mount_factory, tmp_path, fresh_fake):
    m = write_mount(mount_factory, tmp_path)
    f = m.path("sheets", TARGET + ".csv")
    before = open(f).read()
    n0 = len(fresh_fake.log())
    r = subprocess.run(["bash", "-c", "echo 'Buy milk,false' >> '%s'" % f],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    posts = row_writes(fresh_fake, n0, "POST")
    assert len(posts) == 1, requests_since(fresh_fake, n0)
    assert posts[0]["body"][0]["toBottom"] is True
    assert "Buy milk" in str(posts[0]["body"])
    assert row_writes(fresh_fake, n0, "PUT") == []
    after = open(f).read()
    assert after.startswith(before) and "Buy milk,false" in after
    assert "ok" in open(m.path(".status")).read().splitlines()[0]


def test_a_refused_record_fails_its_write(mount_factory, tmp_path,
                                          fresh_fake):
    m = write_mount(mount_factory, tmp_path)
    m.allow(r"sheets/%s\.csv: .*(CHECKBOX|checkbox|Done)" % TARGET)
    f = m.path("sheets", TARGET + ".csv")
    n0 = len(fresh_fake.log())
    r = subprocess.run(["bash", "-c", "echo 'Task,maybe' >> '%s'" % f],
                       capture_output=True)
    assert r.returncode != 0
    assert b"Invalid argument" in r.stderr, r.stderr
    assert row_writes(fresh_fake, n0, "POST") == []
    assert os.listdir(m.path(".rejected"))


def edit_design(m):
    f = m.path("sheets", TARGET + ".csv")
    text = open(f).read()
    assert "\nDesign," in text
    new = text.replace("\nDesign,", "\nDesign v2,")
    with open(f, "w") as w:  # O_TRUNC: an edit, saved at close
        w.write(new)
    return f, new


def test_an_edit_with_o_trunc_saves(mount_factory, tmp_path, fresh_fake):
    m = write_mount(mount_factory, tmp_path)
    n0 = len(fresh_fake.log())
    f, new = edit_design(m)
    puts = row_writes(fresh_fake, n0, "PUT")
    assert len(puts) == 1, requests_since(fresh_fake, n0)
    assert "Design v2" in str(puts[0]["body"])
    assert row_writes(fresh_fake, n0, "POST") == []
    assert row_writes(fresh_fake, n0, "DELETE") == []
    # The file reads the sheet's new version (Modified moved too).
    with open(f) as r:
        now = r.read()
    assert "\nDesign v2," in now and "\nDesign," not in now
    assert os.path.getsize(f) == len(now.encode())


def test_a_single_threaded_mount_saves(mount_factory, tmp_path, fresh_fake):
    m = write_mount(mount_factory, tmp_path, extra_args=("-s",))
    n0 = len(fresh_fake.log())
    f, new = edit_design(m)
    assert len(row_writes(fresh_fake, n0, "PUT")) == 1
    # The kernel may keep the old size for cache_ttl (with -s no thread is
    # free to tell it during the save); the text is the new one after it.
    time.sleep(1.2)
    with open(f) as r:
        now = r.read()
    assert "\nDesign v2," in now and "\nDesign," not in now
    r = subprocess.run(["bash", "-c", "echo 'Ship,true' >> '%s'" % f],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    assert len(row_writes(fresh_fake, n0, "POST")) == 1
