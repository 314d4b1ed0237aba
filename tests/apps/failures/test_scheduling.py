"""Which logs of which completed jobs are parsed, on which queue."""

from __future__ import annotations

import pytest

from apps.failures.services.scheduling import parse_queue, parse_requests_for
from apps.jobs.models import JobLog
from apps.live.events import JobChanged
from tests.factories.jobs import JobFactory

pytestmark = pytest.mark.django_db


def test_queues_put_failures_first_and_sheriffed_repositories_apart() -> None:
    assert parse_queue(log_name="live_backing_log", result="success", repository="autoland") == "log_parser"
    assert parse_queue(log_name="live_backing_log", result="testfailed", repository="autoland") == (
        "log_parser_fail_raw_sheriffed"
    )
    assert parse_queue(log_name="errorsummary_json", result="busted", repository="try") == (
        "log_parser_fail_json_unsheriffed"
    )


def test_only_pending_parseable_logs_of_jobs_that_just_completed() -> None:
    done = JobFactory(result="testfailed")
    logs = {
        name: JobLog.objects.create(job=done, name=name, url=f"https://x/{name}")
        for name in ("live_backing_log", "errorsummary_json", "perfherder-data-x.json")
    }
    JobLog.objects.create(job=done, name="live_backing_log", url="https://x/old", status=JobLog.Status.PARSED)
    running = JobFactory(state="running", result="unknown")
    JobLog.objects.create(job=running, name="live_backing_log", url="https://x/running")
    requests = parse_requests_for(
        [
            JobChanged.from_job(done, changed=("state", "result")),
            JobChanged.from_job(running, changed=("state",)),
            JobChanged.from_job(done, changed=("tier",)),  # not a completion
        ]
    )
    assert sorted((r.log_ids, r.queue) for r in requests) == sorted(
        [
            ((logs["live_backing_log"].id,), "log_parser_fail_raw_unsheriffed"),
            ((logs["errorsummary_json"].id,), "log_parser_fail_json_unsheriffed"),
        ]
    )
    assert parse_requests_for([JobChanged.from_job(done, changed=("tier",))]) == []
