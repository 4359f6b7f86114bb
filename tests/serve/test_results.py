"""Results in the database and their search: studies found by state, LI-RADS category, lesion size, lesion count,
date and id, on SQLite and PostgreSQL, through the API; analyses written into the data folder are indexed."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hepatica.serve import create_app
from hepatica.serve.library import StudyLibrary, StudyStatus
from hepatica.store.database import Result, ResultLesion


def _variant(result, created: str, lesions: list[tuple[float, str | None]]):
    """The analysis ``result`` with its lesions replaced by ``(axial diameter mm, LI-RADS category)`` ones."""
    first = result.lesions[0]
    measured = [
        first.model_copy(
            update={
                "id": n,
                "longest_axial_diameter_mm": d,
                "lirads": first.lirads.model_copy(update={"category": c}) if c is not None else None,
            }
        )
        for n, (d, c) in enumerate(lesions, 1)
    ]
    return result.model_copy(
        update={
            "provenance": result.provenance.model_copy(update={"created_utc": created}),
            "segmentation": result.segmentation.model_copy(update={"lesion_count": len(measured)}),
            "lesions": measured,
        }
    )


STUDIES = {  # id: (analysed, lesions)
    "hcc-large": ("2026-11-01T10:00:00+00:00", [(25.0, "LR-5"), (8.0, "LR-3")]),
    "hcc-small": ("2026-11-10T10:00:00+00:00", [(12.0, "LR-5")]),
    "benign": ("2026-11-20T10:00:00+00:00", [(15.0, "LR-1"), (9.0, "LR-2"), (7.0, None)]),
    "clear_1": ("2026-11-25T10:00:00+00:00", []),
}


@pytest.fixture(params=["sqlite", "postgresql"])
def searchable(request, small_analysis, tmp_path):
    """A client of a server whose folder holds the four analyses of STUDIES and one queued upload."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    library = StudyLibrary(tmp_path / "studies")
    for study_id, (created, lesions) in STUDIES.items():
        (library.root / study_id).mkdir(parents=True)
        (library.root / study_id / "result.json").write_text(
            _variant(small_analysis.result, created, lesions).model_dump_json()
        )
    app = create_app(library.root, database_url=url, workers=0)
    with TestClient(app) as client:
        (library.root / "upload-waiting").mkdir()
        library.write_status("upload-waiting", StudyStatus(state="queued", step="Waiting"))
        app.state.queue.submit("upload-waiting")
        yield client


def _ids(client, **params) -> list[str]:
    answer = client.get("/api/studies", params=params)
    assert answer.status_code == 200, answer.text
    found = [entry["id"] for entry in answer.json()]
    assert int(answer.headers["x-total-count"]) >= len(found)
    return found


def test_results_are_indexed_and_searched(searchable):
    assert _ids(searchable) == ["upload-waiting", "clear_1", "benign", "hcc-small", "hcc-large"]  # newest first
    assert _ids(searchable, state="queued") == ["upload-waiting"]
    assert _ids(searchable, state="done") == ["clear_1", "benign", "hcc-small", "hcc-large"]
    assert _ids(searchable, category="LR-5") == ["hcc-small", "hcc-large"]
    assert _ids(searchable, category=["LR-1", "LR-3"]) == ["benign", "hcc-large"]
    # category and size hold for the same lesion: hcc-large's LR-3 is 8 mm, its 25 mm lesion is LR-5
    assert _ids(searchable, category="LR-5", min_diameter_mm=20) == ["hcc-large"]
    assert _ids(searchable, category="LR-3", min_diameter_mm=10) == []
    assert _ids(searchable, min_diameter_mm=14) == ["benign", "hcc-large"]
    assert _ids(searchable, min_lesions=2) == ["benign", "hcc-large"]
    assert _ids(searchable, max_lesions=0) == ["clear_1"]
    assert _ids(searchable, analysed_after="2026-11-05", analysed_before="2026-11-21T00:00:00+02:00") == [
        "benign",
        "hcc-small",
    ]
    assert _ids(searchable, q="hcc") == ["hcc-small", "hcc-large"]
    assert _ids(searchable, q="_") == ["clear_1"]  # LIKE's wildcard is taken literally
    assert _ids(searchable, limit=2, offset=1) == ["clear_1", "benign"]
    answer = searchable.get("/api/studies", params={"category": "LR-5", "limit": 1})
    assert answer.headers["x-total-count"] == "2" and len(answer.json()) == 1


def test_a_listed_result_carries_its_numbers_and_bad_queries_are_refused(searchable, small_analysis):
    (entry,) = [e for e in searchable.get("/api/studies").json() if e["id"] == "benign"]
    assert entry["status"]["state"] == "done" and entry["lesion_count"] == 3
    assert entry["categories"] == ["LR-1", "LR-2"] and entry["created_utc"] == "2026-11-20T10:00:00+00:00"
    assert entry["liver_volume_ml"] == pytest.approx(small_analysis.result.segmentation.liver_volume_ml)
    assert entry["phases"] == small_analysis.result.study.phases_present
    assert searchable.get("/api/studies/benign").json() == entry
    for bad in (
        {"category": "LR-9"},
        {"state": "lost"},
        {"limit": 0},
        {"min_lesions": -1},
        {"analysed_after": "yesterday"},
        {"analysed_after": "0001-01-01T00:00:00+05:00"},
        {"q": "x" * 101},
        {"q": "a\x00b"},
        {"q": "%"},
    ):
        assert searchable.get("/api/studies", params=bad).status_code == 422, bad


def test_an_analysis_added_while_serving_is_found_and_indexed_once(searchable, small_analysis):
    library = searchable.app.state.library
    (library.root / "added-later").mkdir()
    (library.root / "added-later" / "result.json").write_text(
        _variant(
            small_analysis.result, datetime.now(UTC).isoformat(timespec="seconds"), [(40.0, "LR-M")]
        ).model_dump_json()
    )
    assert _ids(searchable, category="LR-M") == ["added-later"]
    assert _ids(searchable, category="LR-M") == ["added-later"]
    with Session(searchable.app.state.queue.engine) as session:
        assert session.scalar(select(func.count()).select_from(Result)) == 5
        assert session.scalar(select(func.count()).where(ResultLesion.study_id == "added-later")) == 1


def test_a_result_rewritten_in_place_is_indexed_again(searchable, small_analysis, monkeypatch):
    """``hepatica analyze --out`` run again into a served folder: the search finds the new result, not the old."""
    monkeypatch.setattr("hepatica.serve.service.INDEX_SECONDS", 0.0)
    assert _ids(searchable, category="LR-5") == ["hcc-small", "hcc-large"]
    path = searchable.app.state.library.root / "hcc-small" / "result.json"
    path.write_text(_variant(small_analysis.result, "2026-11-10T10:00:00+00:00", [(12.0, "LR-4")]).model_dump_json())
    assert _ids(searchable, category="LR-5") == ["hcc-large"]
    assert _ids(searchable, category="LR-4") == ["hcc-small"]
