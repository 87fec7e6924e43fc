"""The daemon's life cycle against libfuse (issue 11): no thread of ours
outlives the session loop, whatever the moment of the unmount, in the
multi-threaded loop and with -s."""
import random
import time

import pytest

from conftest import build_shim, preload_env, refused_read_line, sh


@pytest.fixture(scope="module")
def shim(tmpdir_mod):
    return build_shim(tmpdir_mod)


@pytest.mark.parametrize("single", [False, True], ids=["threads", "-s"])
def test_no_libfuse_call_once_fuse_destroy_begins(mounter, gfake, shim,
                                                  single):
    # Sizes shown as 0, then a warm-up at 290 a minute: each fetch tells
    # the kernel of a changed size (fuse_invalidate_path) for about 8 s.
    m = mounter(gfake, opts="cache_ttl=60,prefetch=290",
                extra_args=("-s",) if single else (),
                env=preload_env(shim, SHIM_DESTROY_DELAY_MS="1500"))
    m.allow(refused_read_line())  # the warm-up meets the restricted sheet
    sh("ls -l %s" % m.path("by-id"))
    time.sleep(1.0)
    assert "warm-up: all" not in open(m.path(".auth", "status")).read()
    rc = m.umount()
    assert "shim:" not in m.output(), m.output()
    assert rc == 0, (rc, m.output())


def test_unmount_at_random_moments_of_a_warmup(mounter, gfake):
    rnd = random.Random(11)
    for i in range(8):
        m = mounter(gfake, opts="cache_ttl=60,prefetch=290,readahead=8",
                    extra_args=("-s",) if i % 2 else ())
        m.allow(refused_read_line())
        sh("ls -l %s" % m.path("by-id"))
        if i % 3 == 0:
            # A reader in the middle too: read-ahead threads busy.
            sh("cat %s/by-id/*.csv >/dev/null 2>&1 &" % m.mnt)
        time.sleep(rnd.uniform(0.0, 1.5))
        t0 = time.monotonic()
        rc = m.umount()
        assert rc == 0, (i, rc, m.output())
        # Nothing waits for the warm-up's pace or a request at unmount.
        assert time.monotonic() - t0 < 10, i
        m.check_output()
