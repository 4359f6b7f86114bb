"""The service's API over a folder of analyses: study list, viewer data, files (only those a result names),
uploads refused with 4xx when hostile, and an uploaded study analysed in the background with its progress."""

import io
import json
import shutil
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from hepatica.options import AnalysisOptions
from hepatica.serve import create_app
from hepatica.store.database import default_url, open_database
from hepatica.store.queue import JobQueue
from hepatica.store.results import study_row


@pytest.fixture(scope="module")
def served(small_analysis):
    """A client of a server whose folder holds the coarse phantom's analysis as study 'phantom'."""
    with TestClient(create_app(small_analysis.report_html.parent.parent)) as client:
        yield client


def _zip_folder(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, f"study/{path.relative_to(folder)}")
    return buffer.getvalue()


def _wait(client, study_id, timeout_s=600):
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        status = client.get(f"/api/studies/{study_id}").json()["status"]
        seen.append(status["step"])
        if status["state"] in ("done", "failed"):
            return status, seen
        time.sleep(0.5)
    raise AssertionError(f"analysis of {study_id} still {status} after {timeout_s} s")


def test_the_study_list_and_the_viewer_data(served, small_analysis):
    studies = served.get("/api/studies").json()
    phantom = next(s for s in studies if s["id"] == "phantom")
    assert phantom["status"]["state"] == "done" and phantom["phases"] == small_analysis.result.study.phases_present
    assert phantom["lesion_count"] == small_analysis.result.segmentation.lesion_count
    data = served.get("/api/studies/phantom/viewer").json()
    assert [p["phase"] for p in data["phases"]] == ["pre_contrast", "arterial", "portal_venous", "delayed"]
    assert data["default_phase"] == "portal_venous"
    assert [o["name"] for o in data["overlays"]] == ["liver", "lesions", "candidates"]
    result = small_analysis.result
    assert data["quality"] == result.quality.status
    assert data["quality_flags"] == [f"{c.name}: {c.detail}" for c in result.quality.checks if not c.passed]
    assert [c["number"] for c in data["candidates"]] == [
        c.number for c in result.adjacent_masses + result.candidates_below_threshold
    ]
    assert phantom["quality"] == result.quality.status and phantom["quality_flags"] == result.quality.flags
    found = served.get("/api/studies", params={"quality": result.quality.status}).json()
    assert "phantom" in [s["id"] for s in found]
    other = "done" if result.quality.status == "needs review" else "needs review"
    assert "phantom" not in [s["id"] for s in served.get("/api/studies", params={"quality": other}).json()]
    first = data["lesions"][0]
    lesion = small_analysis.result.lesions[0]
    x, y, _ = lesion.centroid_mm
    assert first["position_ras_mm"] == [-x, -y, lesion.axial_slice_z_mm]  # NiiVue's RAS from Hepatica's LPS
    assert first["lirads"]["category"] == small_analysis.result.lesions[0].lirads.category
    for url in [p["url"] for p in data["phases"]] + [o["url"] for o in data["overlays"]] + [data["report_url"]]:
        assert served.get(url).status_code == 200, url
    assert served.get(data["report_pdf_url"]).content.startswith(b"%PDF-")
    assert "hepaticaViewer" in served.get("/static/viewer.js").text
    assert 'data-study="phantom"' in served.get("/studies/phantom").text


@pytest.mark.parametrize(
    "path",
    [
        "/studies/phantom/files/status.json",
        "/studies/phantom/files/../../etc/passwd",
        "/studies/phantom/files/%2e%2e/%2e%2e/etc/passwd",
        "/studies/phantom/files/segmentation/../result.json/../../x",
        "/studies/..%2f..%2fetc/files/passwd",
        "/api/studies/nope",
        "/studies/.hidden",
    ],
)
def test_no_request_reaches_a_file_the_result_does_not_name(served, path):
    assert served.get(path).status_code == 404


def test_hostile_uploads_are_refused_and_leave_nothing(served, small_analysis, tmp_path):
    root = small_analysis.report_html.parent.parent
    before = sorted(p.name for p in root.iterdir())
    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as z:
        z.writestr("../../outside.dcm", b"x")
    assert served.post("/api/studies", content=traversal.getvalue()).status_code == 400
    assert served.post("/api/studies", content=b"this is not a zip").status_code == 415
    assert served.post("/api/studies", content=b"").status_code == 400
    assert served.post("/api/studies?high_risk=maybe", content=traversal.getvalue()).status_code == 422
    with TestClient(create_app(root, max_upload_mb=1, workers=0)) as small:
        big = small.post("/api/studies", content=b"\0" * (2**20 + 1))
        assert big.status_code == 413 and "larger than the limit" in big.json()["detail"]
    assert sorted(p.name for p in root.iterdir()) == before
    assert not (root.parent / "outside.dcm").exists()


def test_an_uploaded_study_is_analysed_with_progress(small_phantom_files, tmp_path):
    with TestClient(create_app(tmp_path / "studies", analysis_options=AnalysisOptions(radiomics=False))) as client:
        # A zip of the DICOM study (four series in sub-folders); the browser test uploads NIfTI files.
        answer = client.post(
            "/api/studies?high_risk=true",
            content=_zip_folder(small_phantom_files.dicom),
            headers={"Content-Type": "application/zip"},
        )
        assert answer.status_code == 202
        study_id = answer.json()["id"]
        status, steps = _wait(client, study_id)
        assert status["state"] == "done", status
        assert "Segmenting liver and lesions" in steps  # progress was reported on the way
        data = client.get(f"/api/studies/{study_id}/viewer").json()
        assert [p["phase"] for p in data["phases"]] == ["pre_contrast", "arterial", "portal_venous", "delayed"]
        assert data["lesions"] and client.get(data["phases"][0]["url"]).status_code == 200
        result = json.loads(client.get(f"/studies/{study_id}/files/result.json").text)
        assert result["provenance"]["parameters"]["high_risk"] is True and result["study"]["source"] == "dicom"
        assert client.get(f"/studies/{study_id}/files/{result['segmentation']['files']['dicom_sr']}").status_code == 200
        # the worker recorded the result with the job, so it is found by what it holds
        found = client.get("/api/studies", params={"state": "done", "min_lesions": 1}).json()
        assert [s["id"] for s in found] == [study_id]
        assert found[0]["lesion_count"] == result["segmentation"]["lesion_count"]
        (job,) = client.app.state.queue.jobs(study_id)
        assert study_row(client.app.state.queue.engine, study_id).result.job_id == job.id


def test_a_study_that_cannot_be_read_fails_with_the_reason_and_is_taken_over_after_a_restart(tmp_path):
    junk = io.BytesIO()
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("notes/readme.txt", "no images here")
    root = tmp_path / "studies"
    with TestClient(create_app(root)) as client:
        study_id = client.post("/api/studies", content=junk.getvalue()).json()["id"]
        status, _ = _wait(client, study_id, timeout_s=60)
    assert status["state"] == "failed" and "no DICOM" in status["error"].replace("No DICOM", "no DICOM")
    # A server stopped while its worker ran the job: the job's lease runs out and the next server's worker takes it.
    with TestClient(create_app(root, workers=0)) as client:
        second = client.post("/api/studies", content=junk.getvalue()).json()["id"]
    queue = JobQueue(open_database(default_url(root)), lease_seconds=0.2)
    dead = queue.claim("a worker that died")
    assert dead.study_id == second
    time.sleep(0.3)
    with TestClient(create_app(root)) as client:
        status, _ = _wait(client, second, timeout_s=60)
    assert status["state"] == "failed" and status["finished_utc"]
    (job,) = queue.jobs(second)
    assert job.state == "failed" and job.attempts == 2 and "no DICOM" in job.error.replace("No DICOM", "no DICOM")
    shutil.rmtree(root)


def test_tokens_guard_every_request_once_one_exists(tmp_path):
    from hepatica.store.tokens import create_token, revoke_token

    root = tmp_path / "studies"
    with TestClient(create_app(root, workers=0)) as client:
        assert client.get("/api/studies").status_code == 200  # no token yet: open (loopback)
        engine = client.app.state.queue.engine
        reader = create_token(engine, "viewer", "read")
        submitter = create_token(engine, "scanner", "submit")
        with engine.connect() as connection:
            stored = [row[0] for row in connection.exec_driver_sql("SELECT token_sha256 FROM api_tokens")]
        assert reader not in stored and submitter not in stored and all(len(s) == 64 for s in stored)

        assert client.get("/api/studies").status_code == 401
        assert client.get("/api/studies", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.post("/api/studies", content=b"PK").status_code == 401
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"
        assert client.get("/openapi.json").status_code == 200  # the published spec needs no token
        read = {"Authorization": f"Bearer {reader}"}
        assert client.get("/api/studies", headers=read).status_code == 200
        assert client.post("/api/studies", content=b"PK", headers=read).status_code == 403
        answer = client.post("/api/studies", content=b"not a zip", headers={"Authorization": f"Bearer {submitter}"})
        assert answer.status_code == 415  # past the token check, refused as not a zip

        assert (
            client.post(
                "/login", content="token=wrong", headers={"Content-Type": "application/x-www-form-urlencoded"}
            ).status_code
            == 401
        )
        signed_in = client.post(
            "/login",
            content=f"token={reader}",
            follow_redirects=False,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert signed_in.status_code == 303 and "httponly" in signed_in.headers["set-cookie"].lower()
        assert client.get("/api/studies").status_code == 200  # the cookie
        client.cookies.clear()
        revoke_token(engine, 1)
        assert client.get("/api/studies", headers=read).status_code == 401


def test_one_analysis_folder_is_served_as_one_study_and_nothing_is_written_into_it(small_analysis):
    folder = small_analysis.report_html.parent
    before = sorted(p.name for p in folder.iterdir())
    with TestClient(create_app(folder)) as client:
        studies = client.get("/api/studies").json()
        assert [s["id"] for s in studies] == [folder.name] and studies[0]["status"]["state"] == "done"
        assert studies[0]["lesion_count"] == small_analysis.result.segmentation.lesion_count
        assert client.get(f"/api/studies/{folder.name}/viewer").json()["lesions"]
        refused = client.post("/api/studies", content=b"PK")
        assert refused.status_code == 409 and "one analysis folder" in refused.json()["detail"]
        assert "serve a folder of analyses" in client.get("/").text
    assert sorted(p.name for p in folder.iterdir()) == before  # no hepatica.db, no status.json


def test_the_openapi_spec_describes_each_response(served):
    spec = served.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"StudySummary", "StudyStatus", "ViewerData", "ViewerLesion", "Submitted"} <= set(schemas)

    def response_schema(path, method, status):
        return spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    assert response_schema("/api/studies", "get", "200")["items"]["$ref"].endswith("/StudySummary")
    assert response_schema("/api/studies/{study_id}/viewer", "get", "200")["$ref"].endswith("/ViewerData")
    assert response_schema("/api/studies", "post", "202")["$ref"].endswith("/Submitted")
    assert "lirads" in schemas["ViewerLesion"]["properties"]


def test_an_upload_with_its_own_masks_is_analysed_on_them(small_phantom, small_phantom_files, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for path in sorted(small_phantom_files.nifti.values()):
            z.write(path, f"study/{path.name}")
        z.write(small_phantom_files.root / "truth" / "truth_seg.dcm", "study/corrected/seg.dcm")
    options = AnalysisOptions(radiomics=False, pdf=False)
    with TestClient(create_app(tmp_path / "studies", analysis_options=options)) as client:
        missing = client.post("/api/studies?liver_mask=study/nothing.nii.gz", content=buffer.getvalue())
        assert missing.status_code == 400 and "has no file 'study/nothing.nii.gz'" in missing.json()["detail"]
        answer = client.post(
            "/api/studies",
            params={"liver_mask": "study/corrected/seg.dcm", "lesion_mask": "study/corrected/seg.dcm"},
            content=buffer.getvalue(),
        )
        assert answer.status_code == 202, answer.text
        study_id = answer.json()["id"]
        status, _ = _wait(client, study_id)
        assert status["state"] == "done", status
        result = json.loads(client.get(f"/studies/{study_id}/files/result.json").text)
    seg = result["segmentation"]
    assert seg["liver_from"] == seg["lesions_from"] == "user mask" and seg["backend"] is None
    assert seg["lesion_count"] == len(small_phantom.lesions)
    assert len(result["study"]["series"]) == 4  # the mask was not read as a series
