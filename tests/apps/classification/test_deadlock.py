"""classifyJobs that loses a real MariaDB deadlock runs its transaction again (issue 15).

Under load classifyJobs met deadlocks (1213) and the client got "Unexpected error." (INTERNAL).
Here a second connection provokes one on purpose: it holds job B (after writing enough rows that
InnoDB, which rolls back the lighter transaction of a cycle, picks the mutation as the victim),
waits until the mutation, which locks A then B, is waiting for B, and then asks for A. The mutation
must succeed with exactly one retry logged; with no retries left it must say TRY_AGAIN, retryable,
and have written nothing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings

from apps.classification.models import JobNote
from apps.jobs.models import Job
from tests import factories as f
from tests.support.accounts import make_token, make_user
from tests.support.graphql import graphql_request

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    # Not yet reliable: the mutation is often not seen waiting for job B (INNODB_LOCK_WAITS) within
    # the window, so the cycle is not formed (issue 15 follow-up; see the fixes branch report).
    pytest.mark.skip(reason="deadlock harness not yet deterministic: the mutation is not always seen waiting"),
]

CLASSIFY = """mutation ($jobs: [Int!]!) {
  classifyJobs(input: {jobIds: $jobs, classificationId: 4, text: "infra"}) {
    __typename ... on JobsClassified { notes { databaseId } }
  }
}"""
RETRIED = "classifyJobs: deadlock (MariaDB 1213); running the transaction again"
# Rows the other transaction changes first: InnoDB rolls back the transaction of the cycle that
# changed the fewest rows, and the mutation has changed none when it waits for B.
HEAVY_ROWS = 20


def _own_connection() -> Any:
    """A MySQLdb connection of its own (Django's is bound to the test's thread)."""
    wrapper = connections.create_connection("default")
    return wrapper.get_new_connection(wrapper.get_connection_params())


@contextlib.contextmanager
def deadlock_against(first: Job, second: Job, filler: list[Job]) -> Iterator[dict[str, Any]]:
    """While the body runs: hold `second`, wait until another transaction waits for it, then ask
    for `first`: a cycle InnoDB breaks by rolling the lighter transaction (the other's) back."""
    outcome: dict[str, Any] = {}
    holding = threading.Event()
    other = _own_connection()
    watcher = _own_connection()
    watcher.autocommit(True)  # each poll a statement of its own, never a transaction's old view

    def run() -> None:
        try:
            cursor = other.cursor()
            # As the application's connections (config/settings/database.py): under REPEATABLE READ
            # the UPDATE's scan would keep every row it read locked, job A too.
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cursor.execute("START TRANSACTION")
            ids = ",".join(str(job.id) for job in filler)
            cursor.execute(f"UPDATE job SET last_modified = NOW(6) WHERE id IN ({ids})")  # noqa: S608 - ints
            cursor.execute("SELECT id FROM job WHERE id = %s FOR UPDATE", [second.id])
            cursor.execute(
                "SELECT trx_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()"
            )
            own_trx = cursor.fetchone()[0]
            holding.set()
            deadline = time.monotonic() + 40  # under innodb_lock_wait_timeout (50 s)
            watch = watcher.cursor()
            while time.monotonic() < deadline:
                # Someone (the mutation: nothing else touches these rows) waits for our lock on B.
                watch.execute(
                    "SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS WHERE blocking_trx_id = %s", [own_trx]
                )
                if watch.fetchone()[0]:
                    break
                time.sleep(0.02)
            else:
                cursor.execute("ROLLBACK")
                outcome["error"] = "the mutation never waited for the held job"
                return
            try:
                cursor.execute("SELECT id FROM job WHERE id = %s FOR UPDATE", [first.id])
                outcome["other"] = "got both locks"  # the mutation was the victim
            except Exception as exc:  # noqa: BLE001 - reported to the test
                outcome["other"] = f"was the victim itself: {exc}"
            cursor.execute("ROLLBACK")
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = repr(exc)
            holding.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert holding.wait(30), "the other transaction did not start"
    try:
        yield outcome
    finally:
        thread.join(60)
        other.close()
        watcher.close()


def _jobs() -> tuple[Job, Job, list[Job]]:
    push = f.PushFactory()
    first, second = f.JobFactory(push=push, result="testfailed"), f.JobFactory(push=push, result="testfailed")
    assert first.id < second.id
    return first, second, [f.JobFactory(push=push) for _ in range(HEAVY_ROWS)]


def _retries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(RETRIED)]


def test_classify_jobs_that_loses_a_deadlock_runs_again_and_succeeds(caplog: pytest.LogCaptureFixture) -> None:
    raw = make_token(make_user("deadlock-bot", password=None), "classify")
    first, second, filler = _jobs()
    # Warm up (the first request of a process builds what later ones reuse), so the mutation reaches
    # its locks well within the other transaction's patience.
    graphql_request(CLASSIFY, {"jobs": [filler[0].id]}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    caplog.set_level(logging.WARNING, logger="apps.core.transactions")

    with deadlock_against(first, second, filler[1:]) as outcome:
        body = graphql_request(CLASSIFY, {"jobs": [first.id, second.id]}, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert "error" not in outcome, outcome
    assert outcome["other"] == "got both locks", outcome
    assert "errors" not in body, body
    assert body["data"]["classifyJobs"]["__typename"] == "JobsClassified"
    assert len(_retries(caplog)) == 1, caplog.text
    # Written once, by the second attempt: one note per job, both jobs classified.
    assert JobNote.objects.filter(job_id__in=[first.id, second.id]).count() == 2
    assert set(
        Job.objects.filter(id__in=[first.id, second.id]).values_list("failure_classification_id", flat=True)
    ) == {4}


def test_a_deadlock_in_every_attempt_is_try_again_and_writes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    raw = make_token(make_user("deadlock-bot-2", password=None), "classify")
    first, second, filler = _jobs()
    caplog.set_level(logging.WARNING, logger="apps.core.transactions")

    with (
        override_settings(DB_CONFLICT_ATTEMPTS=1),
        deadlock_against(first, second, filler) as outcome,
    ):
        body = graphql_request(CLASSIFY, {"jobs": [first.id, second.id]}, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert outcome.get("other") == "got both locks", outcome
    [error] = body["errors"]
    assert error["extensions"] == {"code": "TRY_AGAIN", "retryable": True}, error
    assert "nothing was written" in error["message"]
    assert body["data"] is None or body["data"]["classifyJobs"] is None
    assert _retries(caplog) == []
    assert not JobNote.objects.filter(job_id__in=[first.id, second.id]).exists()
