"""Hostile input against the published OpenAPI spec: schemathesis generates requests for every operation (odd
study ids, query values, bodies) and no response may be a server error. (Driven through Hypothesis directly:
schemathesis' pytest plugin does not run under this pytest.)"""

import io
import shutil
import zipfile

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hepatica.serve import create_app


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# Upload bodies: random bytes, and zips that are empty, hold no images, try to escape the study folder, or once
# answered 500 (a name that is a file and a folder, a 300-character name, a path 2,100 levels deep).
schemathesis.openapi.media_type(
    "application/zip",
    st.one_of(
        st.binary(max_size=4096),
        st.sampled_from(
            [
                _zip({}),
                _zip({"notes.txt": b"no images"}),
                _zip({"../../escape.dcm": b"DICM"}),
                _zip({"/etc/passwd": b"x"}),
                _zip({"a/" * 40 + "deep.nii.gz": b"\x1f\x8b"}),
                _zip({"x": b"1", "x/y": b"2"}),
                _zip({"x/y": b"1", "x": b"2"}),
                _zip({"n" * 300 + ".dcm": b"1"}),
                _zip({"d/" * 2100 + "f.dcm": b"1"}),
            ]
        ),
    ),
)


@pytest.fixture(scope="module")
def api_schema(small_analysis, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzzed") / "studies"
    shutil.copytree(small_analysis.report_html.parent, root / "phantom")
    shutil.copytree(small_analysis.report_html.parent, root / "damaged")
    (root / "damaged" / "result.json").write_text("{not json", encoding="utf-8")  # listed, never a 500
    return root, schemathesis.openapi.from_asgi("/openapi.json", create_app(root, max_upload_mb=1, workers=0))


def test_no_server_error_on_generated_requests(api_schema):
    root, api_schema = api_schema
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/studies", "/api/studies/{study_id}"}
    statuses = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call()
            statuses.append(response.status_code)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"

        check()
    assert len(statuses) > 100 and any(400 <= s < 500 for s in statuses)
    assert [p.name for p in root.parent.iterdir()] == ["studies"]  # nothing written beside the data folder
    assert not list(root.rglob("escape.dcm")) and not list(root.rglob("passwd"))
