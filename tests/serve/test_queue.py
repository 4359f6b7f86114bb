"""The job queue on SQLite and on a real PostgreSQL: concurrent claims never share a job, an expired lease passes
the job to another worker and the first can no longer finish it, attempts are bounded, passing failures retry."""

import threading
import time

import pytest

from hepatica.serve.database import open_database
from hepatica.serve.queue import JobQueue, LeaseLostError


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
