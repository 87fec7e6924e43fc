"""The account built from Smartsheet's own SDK test scenarios: real shapes
that nobody on this team wrote, mounted and rendered."""
import os

import pytest

import spec_render
from conftest import Fake, Mount

SCENARIOS = os.path.join(os.path.dirname(__file__), "..", "..", "..",
                         "shared", "smartsheet-sdk-scenarios")


@pytest.fixture(scope="module")
def sdk_fake(tmpdir_mod):
    if not os.path.isdir(SCENARIOS):
        pytest.skip("../shared/smartsheet-sdk-scenarios is not beside the "
                    "repository")
    f = Fake(tmpdir_mod, ["--account", "sdk", "--scenarios", SCENARIOS])
    yield f
    f.stop()


def test_sdk_sheets_render_byte_exact(tmpdir_mod, sdk_fake):
    m = Mount(tmpdir_mod, sdk_fake)
    try:
        items = sdk_fake.sheet_list()
        assert items
        stems = spec_render.file_stems(items)
        names = os.listdir(m.path("sheets"))
        for item in items:
            sheet = sdk_fake.sheet(item["id"])
            stem = stems[item["id"]]
            assert stem + ".csv" in names
            got = open(m.path("sheets", stem + ".csv"), "rb").read()
            assert got == spec_render.render_csv(sheet)
            got = open(m.path("by-id", "%d.json" % item["id"]), "rb").read()
            assert got == spec_render.render_json(sheet)
        status = open(m.path(".auth", "status")).read()
        assert "state: authorized" in status
    finally:
        assert m.umount() == 0
    m.check_output()
