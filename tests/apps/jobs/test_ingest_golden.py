"""Golden, stored: the 91 sample messages, fetched over real HTTP from the sample server, stored in
MariaDB, give the rows Treeherder's transformed jobs describe, one event each."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.metrics import Counters
from apps.jobs.models import FailureClassification, Job, JobLog, OptionCollection, ReferenceDataSignatures
from apps.jobs.services.ingest import pulse_tasks_ingest
from apps.live.models import Event
from apps.pushes.models import Push
from apps.pushes.services import pulse_push_ingest
from devtools.replay import sample_push_messages, sample_task_messages
from tests.support.processes import free_port
from tests.support.samples import sample

pytestmark = pytest.mark.django_db


def _ts(value: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value is not None else None


def _store_sample_pushes(settings: Any) -> None:
    for message in sample_push_messages(settings.HG_URL):
        if message["exchange"] == "exchange/hgpushes/v1":
            pulse_push_ingest(body=message["body"], exchange=message["exchange"])


def _statement(sql: str) -> str:
    # Django logs an executemany (one multi-row INSERT on MariaDB) as "<n> times: <sql>".
    sql = re.sub(r"^\d+ times: ", "", sql)
    words = sql.replace("`", "").split()
    if words[0] == "SELECT":
        return f"SELECT {words[words.index('FROM') + 1]}"
    if words[0] == "INSERT":
        return f"INSERT IGNORE {words[3]}" if words[1] == "IGNORE" else f"INSERT {words[2]}"
    return words[0]


def _messages(root_url: str) -> list[dict[str, Any]]:
    return [{**m, "root_url": root_url} for m in sample_task_messages()]


def test_every_sample_message_is_stored_as_treeherder_stored_it(
    ingest_settings: Any, golden_repositories: None
) -> None:
    _store_sample_pushes(ingest_settings)
    root = ingest_settings.TASKCLUSTER_ROOT_URL

    result = pulse_tasks_ingest(messages=_messages(root))

    assert (result.stored.created, result.stored.updated, result.rejected) == (91, 0, 0)
    assert result.missing_push == [] and result.transient == []
    expected_all = sample("taskcluster_transformed_jobs")
    jobs = {
        job.taskcluster_metadata.task_id: job
        for job in Job.objects.select_related(
            "taskcluster_metadata",
            "push",
            "repository",
            "job_type",
            "job_group",
            "build_platform",
            "machine_platform",
            "machine",
            "product",
            "signature",
        )
    }
    assert set(jobs) == set(expected_all)
    for task_id, expected in expected_all.items():
        job, data = jobs[task_id], expected["job"]
        assert job.guid == data["job_guid"]
        assert job.push.revision == expected["revision"]
        assert (job.state, job.result, job.tier, job.who, job.reason) == (
            data["state"],
            data["result"],
            data["tier"],
            data["who"],
            data["reason"],
        )
        assert (job.submit_time, job.start_time, job.end_time) == (
            _ts(data["submit_timestamp"]),
            _ts(data.get("start_timestamp")),
            _ts(data.get("end_timestamp")),
        )
        assert (job.job_type.name, job.job_type.symbol) == (data["name"], data["job_symbol"])
        assert (job.job_group.name, job.job_group.symbol) == (data["group_name"], data["group_symbol"])
        for platform, stored in (("build_platform", job.build_platform), ("machine_platform", job.machine_platform)):
            assert (stored.os_name, stored.platform, stored.architecture) == (
                data[platform]["os_name"],
                data[platform]["platform"],
                data[platform]["architecture"],
            )
        assert job.machine.name == data["machine"]
        assert job.product.name == data["product_name"]
        assert job.option_collection_hash == OptionCollection.calculate_hash(data["option_collection"])
        assert job.failure_classification_id == FailureClassification.NOT_CLASSIFIED
        assert (job.taskcluster_metadata.task_id, job.taskcluster_metadata.retry_id) == (
            data["taskcluster_task_id"],
            data["taskcluster_retry_id"],
        )
        assert job.signature.signature == ReferenceDataSignatures.calculate_signature(
            build_system_type=data["build_system_type"],
            repository=job.repository.name,
            build_platform=(
                data["build_platform"]["os_name"],
                data["build_platform"]["platform"],
                data["build_platform"]["architecture"],
            ),
            machine_platform=(
                data["machine_platform"]["os_name"],
                data["machine_platform"]["platform"],
                data["machine_platform"]["architecture"],
            ),
            job_group=(data["group_name"], data["group_symbol"]),
            job_type=(data["name"], data["job_symbol"]),
            option_collection_hash=job.option_collection_hash,
        )
        # Log URLs are built from the root URL the message came with (here, the sample server).
        assert sorted(JobLog.objects.filter(job=job).values_list("name", "url", "status")) == sorted(
            (ref["name"], ref["url"].replace("https://taskcluster.net", root), JobLog.Status.PENDING)
            for ref in data["log_references"]
        )
    events = list(Event.objects.filter(type="job.changed").order_by("id"))
    assert len(events) == 91
    assert {e.payload["guid"] for e in events} == {e["job"]["job_guid"] for e in expected_all.values()}
    assert all(e.payload["changed"] == ["created"] for e in events)


def test_redelivery_changes_nothing_and_publishes_nothing(ingest_settings: Any, golden_repositories: None) -> None:
    _store_sample_pushes(ingest_settings)
    messages = _messages(ingest_settings.TASKCLUSTER_ROOT_URL)
    pulse_tasks_ingest(messages=messages)
    before = list(Job.objects.order_by("guid").values())
    events = Event.objects.count()

    again = pulse_tasks_ingest(messages=messages)

    assert (again.stored.created, again.stored.updated, again.stored.unchanged) == (0, 0, 91)
    assert list(Job.objects.order_by("guid").values()) == before
    assert Event.objects.count() == events


def test_a_warm_batch_costs_a_fixed_number_of_queries(
    ingest_settings: Any, golden_repositories: None, django_capture_on_commit_callbacks: Any
) -> None:
    """Refdata, repositories, pushes and definitions cached: a batch of 90 new jobs is 9 statements
    plus savepoints; Treeherder's loader made about 19 per message."""
    _store_sample_pushes(ingest_settings)
    messages = _messages(ingest_settings.TASKCLUSTER_ROOT_URL)
    # Refdata ids are cached when their transaction commits (the test's never does: run the hooks).
    with django_capture_on_commit_callbacks(execute=True):
        pulse_tasks_ingest(messages=messages)
    Job.objects.all().delete()
    Event.objects.all().delete()
    ingest_settings.INGEST_REPOSITORY_CACHE_SECONDS = 3600

    pulse_tasks_ingest(messages=messages[:1])  # warm the repository cache
    with CaptureQueriesContext(connection) as queries:
        result = pulse_tasks_ingest(messages=messages)

    assert result.stored.created == 90
    assert [_statement(q["sql"]) for q in queries.captured_queries] == [
        "SAVEPOINT",  # the batch's transaction (a savepoint inside the test's)
        "SELECT job",  # the ids of the rows that exist (the warm-up's job) ...
        "SELECT job",  # ... locked in id order, as every writer of job rows locks them
        "SAVEPOINT",  # around the insert, so that a concurrent insert can be retried
        "INSERT job",  # the new jobs
        "SELECT job",  # their ids (RETURNING is MariaDB-only)
        "RELEASE",
        "INSERT IGNORE taskcluster_metadata",
        "INSERT IGNORE job_log",
        "INSERT live_event",
        "RELEASE",
    ]


def test_unknown_and_inactive_repositories_are_rejected_and_counted(
    ingest_settings: Any, golden_repositories: None
) -> None:
    _store_sample_pushes(ingest_settings)
    from apps.repositories.models import Repository

    Repository.objects.filter(name="mozilla-inbound").update(active_status="onhold")
    Repository.objects.filter(name="try").delete()
    counters = Counters()

    result = pulse_tasks_ingest(messages=_messages(ingest_settings.TASKCLUSTER_ROOT_URL), counters=counters)

    assert result.rejected == 12
    assert counters.values['pulse_task_rejected{reason="inactive_repository"}'] == 1
    assert counters.values['pulse_task_rejected{reason="unknown_repository"}'] == 11
    assert result.stored.created == 79
    assert Push.objects.filter(repository__name="autoland").count() == 4


def test_definition_404_and_missing_route_are_rejected(ingest_settings: Any, golden_repositories: None) -> None:
    _store_sample_pushes(ingest_settings)
    messages = _messages(ingest_settings.TASKCLUSTER_ROOT_URL)[:2]
    messages[0]["body"]["status"]["taskId"] = "AAAAAAAAAAAAAAAAAAAAAA"  # the server has no such task
    counters = Counters()

    result = pulse_tasks_ingest(messages=messages, counters=counters)

    assert result.rejected == 1
    assert counters.values['pulse_task_rejected{reason="definition_not_found"}'] == 1
    assert result.stored.created == 1


def test_a_failing_taskcluster_is_transient_not_rejected(
    ingest_settings: Any, golden_repositories: None, sample_services: Any
) -> None:
    _store_sample_pushes(ingest_settings)
    messages = _messages(ingest_settings.TASKCLUSTER_ROOT_URL)[:3]
    sample_services.failures["/api/queue/v1/task/"] = 100

    result = pulse_tasks_ingest(messages=messages)

    assert (len(result.transient), result.rejected, result.stored.created) == (3, 0, 0)
    sample_services.failures.clear()
    assert pulse_tasks_ingest(messages=result.transient).stored.created == 3


def test_redis_down_costs_only_the_cache(ingest_settings: Any, golden_repositories: None) -> None:
    """The shared definition cache is an optimisation: with Redis unreachable every message is
    still stored (definitions are fetched instead)."""
    _store_sample_pushes(ingest_settings)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    caches = ingest_settings.CACHES
    ingest_settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead, "KEY_PREFIX": "th"}
    }
    try:
        result = pulse_tasks_ingest(messages=_messages(ingest_settings.TASKCLUSTER_ROOT_URL))
    finally:
        ingest_settings.CACHES = caches

    assert (result.stored.created, result.rejected, len(result.transient)) == (91, 0, 0)
