"""`hepatica cohort run` on a local Dask cluster: every case analysed once into a whole folder, a bad case
recorded with its reason without stopping the others, rows in the database and cohort.parquet, and a rerun that
skips what is done."""

import shutil

import pandas as pd
from click.testing import CliRunner
from sqlalchemy import text

from hepatica.cli import main
from hepatica.cohort.run import thread_limits
from hepatica.store.database import open_database


def test_a_cohort_runs_on_dask_records_everything_and_resumes(small_phantom_files, tmp_path):
    studies = tmp_path / "studies"
    for name in ("a", "b"):
        shutil.copytree(small_phantom_files.dicom, studies / name)
    (studies / "broken").mkdir()
    (studies / "broken" / "notes.txt").write_text("no images")
    manifest = tmp_path / "cohort.csv"
    manifest.write_text("case,input,high_risk\na,studies/a,yes\nb,studies/b,no\nbroken,studies/broken,\n")
    out = tmp_path / "run1"
    args = [
        "cohort",
        "run",
        str(manifest),
        "--out",
        str(out),
        "--workers",
        "2",
        "--no-radiomics",
        "--no-lirads",
        "--quiet",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output  # one case failed
    assert "2 of 3 cases done" in result.output and "broken:" in result.output

    table = pd.read_parquet(out / "cohort.parquet")
    assert list(table["case"]) == ["a", "b", "broken"] and list(table["state"]) == ["done", "done", "failed"]
    assert table.loc[0, "liver_volume_ml"] > 500 and table.loc[0, "liver_volume_ml"] == table.loc[1, "liver_volume_ml"]
    assert (out / "cases" / "a" / "result.json").is_file() and not list((out / "cases").glob(".attempt-*"))
    with open_database(f"sqlite:///{out / 'hepatica.db'}").connect() as connection:
        rows = connection.execute(text('SELECT "case", state, error FROM cohort_cases ORDER BY "case"')).all()
    assert [(r[0], r[1]) for r in rows] == [("a", "done"), ("b", "done"), ("broken", "failed")]
    assert "DICOM" in rows[2][2] or "image" in rows[2][2]

    stamp = (out / "cases" / "a" / "result.json").stat().st_mtime_ns
    again = CliRunner().invoke(main, args)  # resumes: only the failed case is tried again
    assert "2 of 3 cases done" in again.output
    assert (out / "cases" / "a" / "result.json").stat().st_mtime_ns == stamp


def test_local_workers_share_the_cores_instead_of_each_taking_all():
    assert set(thread_limits(2, cores=2).values()) == {"1"}
    assert thread_limits(1, cores=8)["HEPATICA_THREADS"] == "8" and thread_limits(3, cores=8)["OMP_NUM_THREADS"] == "2"
    assert thread_limits(4, cores=2)["ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS"] == "1"  # never zero
