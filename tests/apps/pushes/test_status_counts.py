"""push_status_counts: Treeherder's Push.get_status(), for many pushes in one query."""

from __future__ import annotations

from typing import Any

from apps.jobs.models import FailureClassification, Job
from apps.pushes.selectors import push_status_counts
from tests.factories import JobFactory, PushFactory


def _job(push: Any, state: str, result: str = "unknown", tier: int = 1, fc: int = 1) -> None:
    JobFactory(push=push, state=state, result=result, tier=tier, failure_classification_id=fc)


def test_counts_follow_treeherder_get_status(reference_data: None, django_assert_num_queries: Any) -> None:
    push, other, empty = PushFactory(), PushFactory(), PushFactory()
    _job(push, Job.State.COMPLETED, Job.Result.SUCCESS)
    _job(push, Job.State.COMPLETED, Job.Result.SUCCESS)
    _job(push, Job.State.COMPLETED, Job.Result.TESTFAILED)
    _job(push, Job.State.COMPLETED, Job.Result.SUPERSEDED)
    _job(push, Job.State.RUNNING)
    _job(push, Job.State.PENDING)
    _job(push, Job.State.PENDING)
    _job(push, Job.State.UNSCHEDULED)
    # Not counted: tier 3, and classified jobs (anything but "not classified").
    _job(push, Job.State.COMPLETED, Job.Result.BUSTED, tier=3)
    _job(push, Job.State.COMPLETED, Job.Result.TESTFAILED, fc=FailureClassification.INTERMITTENT)
    _job(push, Job.State.COMPLETED, Job.Result.TESTFAILED, fc=FailureClassification.NEW_FAILURE)
    _job(other, Job.State.COMPLETED, Job.Result.EXCEPTION, tier=2)

    with django_assert_num_queries(1):
        counts = push_status_counts(push_ids=[push.id, other.id, empty.id])

    assert counts == {
        push.id: {
            "completed": 4,
            "pending": 2,
            "running": 1,
            "unscheduled": 1,
            "success": 2,
            "testfailed": 1,
            "superseded": 1,
            "coalesced": 1,
        },
        other.id: {"completed": 1, "pending": 0, "running": 0, "exception": 1},
        empty.id: {"completed": 0, "pending": 0, "running": 0},
    }
