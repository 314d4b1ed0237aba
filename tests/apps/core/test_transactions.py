"""retry_conflicts against a real MariaDB deadlock (issue 15: classifyJobs lost one under load and
the client got INTERNAL).

The cycle is made on purpose and in a fixed order, so it forms every run: another connection
changes some rows (InnoDB rolls back the transaction of a cycle that changed the fewest) and locks
job B; the decorated function locks job A and asks for B, and the other connection asks for A.
InnoDB aborts the function's transaction with 1213; retry_conflicts must run it again, and the
second attempt (which no longer meets the other transaction) succeeds. The services that lock
jobs (apps/classification/services.py, apps/jobs/services/store.py) use the same decorator.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import override_settings

from apps.core.transactions import TransientConflict, retry_conflicts
from apps.jobs.models import Job
from tests import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

HEAVY_ROWS = 20


def _raw_connection() -> Any:
    wrapper = connections.create_connection("default")
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    raw.autocommit(True)
    return raw


class Opponent(threading.Thread):
    """Holds job B, waits until the victim holds job A, then asks for job A."""

    def __init__(self, first: Job, second: Job, filler: list[Job]) -> None:
        super().__init__(daemon=True)
        self.first, self.second, self.filler = first, second, filler
        self.holding = threading.Event()
        self.victim_ready = threading.Event()
        self.outcome = ""

    def run(self) -> None:
        other = _raw_connection()
        try:
            cursor = other.cursor()
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cursor.execute("START TRANSACTION")
            ids = ",".join(str(job.id) for job in self.filler)
            cursor.execute(f"UPDATE job SET last_modified = NOW(6) WHERE id IN ({ids})")  # noqa: S608 - ints
            cursor.execute("SELECT id FROM job WHERE id = %s FOR UPDATE", [self.second.id])
            self.holding.set()
            if not self.victim_ready.wait(30):
                self.outcome = "the victim never took job A"
                return
            # Whichever of the two requests comes second closes the cycle; InnoDB then rolls back the
            # lighter transaction (the victim: it changed no row), whoever closed it.
            cursor.execute("SELECT id FROM job WHERE id = %s FOR UPDATE", [self.first.id])
            self.outcome = "got both locks"
        except Exception as exc:  # noqa: BLE001 - reported to the test
            self.outcome = f"failed: {exc!r}"
        finally:
            other.rollback()
            other.close()
            self.holding.set()


def _jobs() -> tuple[Job, Job, list[Job]]:
    push = f.PushFactory()
    first, second = f.JobFactory(push=push), f.JobFactory(push=push)
    return first, second, [f.JobFactory(push=push) for _ in range(HEAVY_ROWS)]


def _locker(opponent: Opponent, attempts: list[int]) -> Any:
    @retry_conflicts("test_locker")
    def lock_first_then_second() -> str:
        attempts.append(len(attempts) + 1)
        with transaction.atomic():
            list(Job.objects.select_for_update().filter(id=opponent.first.id).values_list("id", flat=True))
            if len(attempts) == 1:  # only the first attempt meets the opponent
                opponent.victim_ready.set()
            list(Job.objects.select_for_update().filter(id=opponent.second.id).values_list("id", flat=True))
            Job.objects.filter(id__in=[opponent.first.id, opponent.second.id]).update(failure_classification_id=4)
            return "done"

    return lock_first_then_second


def test_a_transaction_that_loses_a_real_deadlock_runs_again_and_commits(caplog: pytest.LogCaptureFixture) -> None:
    first, second, filler = _jobs()
    opponent = Opponent(first, second, filler)
    opponent.start()
    assert opponent.holding.wait(30)
    attempts: list[int] = []
    caplog.set_level(logging.WARNING, logger="apps.core.transactions")

    assert _locker(opponent, attempts)() == "done"
    opponent.join(30)

    assert opponent.outcome == "got both locks"
    assert attempts == [1, 2]
    [retry] = [r.getMessage() for r in caplog.records]
    assert retry.startswith("test_locker: deadlock (MariaDB 1213); running the transaction again (attempt 2 of 3)")
    classified = Job.objects.filter(id__in=[first.id, second.id]).values_list("failure_classification_id", flat=True)
    assert set(classified) == {4}


def test_a_deadlock_in_the_last_attempt_is_a_transient_conflict_and_writes_nothing() -> None:
    first, second, filler = _jobs()
    opponent = Opponent(first, second, filler)
    opponent.start()
    assert opponent.holding.wait(30)
    attempts: list[int] = []

    with override_settings(DB_CONFLICT_ATTEMPTS=1), pytest.raises(TransientConflict) as raised:
        try:
            _locker(opponent, attempts)()
        finally:
            opponent.join(30)

    assert opponent.outcome == "got both locks"
    assert attempts == [1]
    assert raised.value.reason == "deadlock" and "nothing was written" in str(raised.value)
    assert not Job.objects.filter(id__in=[first.id, second.id], failure_classification_id=4).exists()
