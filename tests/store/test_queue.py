"""The job queue on SQLite and on a real PostgreSQL: concurrent claims never share a job, an expired lease passes
the job to another worker and the first can no longer finish it, attempts are bounded, passing failures retry; a
job's options are stored whole and read back through `AnalysisOptions` (an unknown one fails the job, named)."""

import json
import threading
import time

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from hepatica.options import AnalysisOptions
from hepatica.store.database import Job, open_database
from hepatica.store.queue import JobQueue, LeaseLostError


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        return open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
    return open_database(request.getfixturevalue("postgres_url"))


def test_concurrent_workers_claim_each_job_exactly_once(engine):
    queue = JobQueue(engine, lease_seconds=60)
    submitted = {queue.submit(f"study{i}") for i in range(30)}
    claimed, lock = [], threading.Lock()

    def work(name):
        while (claim := queue.claim(name)) is not None:
            queue.complete(claim)
            with lock:
                claimed.append(claim.job_id)

    threads = [threading.Thread(target=work, args=(f"worker{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(submitted)  # every job once, none twice
    assert {job.state for job in queue.jobs()} == {"done"} and {job.attempts for job in queue.jobs()} == {1}


def test_an_expired_lease_passes_the_job_on_and_the_first_worker_cannot_finish_it(engine):
    queue = JobQueue(engine, lease_seconds=0.3)
    job_id = queue.submit("study")
    first = queue.claim("first")
    assert queue.claim("second") is None  # leased
    time.sleep(0.5)
    second = queue.claim("second")
    assert second.job_id == job_id and second.attempt == 2 and second.token != first.token
    with pytest.raises(LeaseLostError):
        queue.heartbeat(first)
    with pytest.raises(LeaseLostError):
        queue.complete(first)
    queue.complete(second)
    (job,) = queue.jobs("study")
    assert job.state == "done" and job.attempts == 2


def test_attempts_are_bounded_and_passing_failures_retry_later(engine):
    queue = JobQueue(engine, lease_seconds=0.1)
    queue.submit("crashes", max_attempts=2)
    for _ in range(2):
        assert queue.claim("w") is not None
        time.sleep(0.2)  # the worker 'dies'
    assert queue.claim("w") is None
    (job,) = queue.jobs("crashes")
    assert job.state == "failed" and "gave up after 2 attempts" in job.error

    queue = JobQueue(engine, lease_seconds=60)
    queue.submit("pacs down")
    claim = queue.claim("w")
    queue.retry_later(claim, "the PACS did not answer", delay_seconds=0.3)
    assert queue.claim("w") is None
    time.sleep(0.4)
    again = queue.claim("w")
    assert again is not None and again.attempt == 2
    queue.complete(again)
    (job,) = queue.jobs("pacs down")
    assert job.state == "done"


def test_postgres_restart_during_a_run_loses_and_duplicates_nothing(postgres_cluster, postgres_url):
    restart = postgres_cluster.restart
    engine = open_database(postgres_url)
    queue = JobQueue(engine, lease_seconds=2)
    submitted = {queue.submit(f"s{i}") for i in range(20)}
    done, failures = [], []

    def work():
        while True:
            try:
                claim = queue.claim("w")
                if claim is None:
                    return
                time.sleep(0.05)
                queue.complete(claim)
                done.append(claim.job_id)
            except LeaseLostError:
                continue
            except Exception as error:  # noqa: BLE001 - the database went away mid-call: retry, as a worker does
                failures.append(type(error).__name__)
                time.sleep(0.5)

    thread = threading.Thread(target=work)
    thread.start()
    time.sleep(0.3)
    restart()
    thread.join(timeout=120)
    time.sleep(2.5)  # a claim cut off by the restart holds its job until the lease runs out
    work()
    jobs = queue.jobs()
    assert failures, "the restart should have interrupted the worker at least once"
    assert {j.id for j in jobs if j.state == "done"} == submitted  # nothing lost
    assert len(done) == len(set(done))  # nothing completed twice


def test_a_job_keeps_its_options_whole_and_reads_them_back_through_the_model(engine):
    queue = JobQueue(engine)
    queue.submit("study", AnalysisOptions(radiomics=False, phases={"S2": "pv"}), pacs_study_uid="1.2.3")
    claim = queue.claim("worker")
    assert claim.options == AnalysisOptions(radiomics=False, phases={"S2": "portal_venous"}).to_json()
    assert claim.analysis_options() == AnalysisOptions(radiomics=False, phases={"S2": "pv"})
    assert claim.pacs_study_uid == "1.2.3" and queue.has_pacs_study("1.2.3")


def test_a_job_with_an_option_no_longer_known_fails_with_a_message_naming_it(engine, tmp_path):
    from hepatica.serve.library import StudyLibrary
    from hepatica.serve.worker import Worker

    queue = JobQueue(engine)
    job_id = queue.submit("study")
    with Session(engine) as session, session.begin():  # as a job queued by an older Hepatica would read
        session.execute(update(Job).where(Job.id == job_id).values(options={"no_radiomics": True}))
    (tmp_path / "studies" / "study").mkdir(parents=True)
    assert Worker(StudyLibrary(tmp_path / "studies"), queue).run_one()
    (job,) = queue.jobs("study")
    assert job.state == "failed" and job.attempts == 1
    assert job.error.startswith(f"job {job_id}'s options: 'no_radiomics' is not an analysis option")


def test_migration_0005_moves_the_pacs_study_out_of_the_options(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from hepatica.store.database import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(
            text(
                "INSERT INTO jobs (study_id, state, options, attempts, max_attempts, submitted, pacs_study_uid) "
                "VALUES ('pacs-1', 'queued', :options, 0, 3, '2026-11-01 10:00:00', '1.2.3')"
            ),
            {"options": json.dumps({"pacs_study": "1.2.3", "high_risk": True})},
        )
    old.dispose()
    claim = JobQueue(open_database(url)).claim("worker")  # opening migrates to the latest schema
    assert claim.options == {"high_risk": True} and claim.pacs_study_uid == "1.2.3"
    assert claim.analysis_options() == AnalysisOptions(high_risk=True)
