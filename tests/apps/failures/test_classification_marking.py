"""NEW-failure marking (§3.3) and intermittent auto-marking (§3.6), through the parse service."""

from __future__ import annotations

import datetime
import gzip
from typing import Any

import pytest
from django.utils import timezone

from apps.failures.models import ErrorLineCount, TextLogError
from apps.failures.services.intermittents import intermittents_mark, normalized_job_name, push_window
from apps.failures.services.logs import job_logs_parse
from apps.jobs.models import Job, JobLog
from apps.live.models import Event
from apps.repositories.models import Repository
from tests.factories.failures import GroupFactory, GroupStatusFactory, TextLogErrorFactory
from tests.factories.jobs import JobFactory, JobTypeFactory
from tests.factories.pushes import PushFactory

pytestmark = pytest.mark.django_db

GZ = {"Content-Encoding": "gzip"}
SEEN = "12:00:00     INFO - TEST-UNEXPECTED-FAIL | dom/a/test_seen.html | took 1.25 s"
NEVER = "TEST-UNEXPECTED-FAIL | dom/a/test_never_on_trunk.html | boom"


def _parsed_job(server: Any, push: Any, lines: list[str], result: str = Job.Result.TESTFAILED) -> Job:
    job = JobFactory(push=push, repository=push.repository, result=result, submit_time=timezone.now())
    path = f"/new/{job.id}.log"
    server.files[path] = (200, GZ, gzip.compress(("\n".join(["start", *lines]) + "\n").encode()))
    JobLog.objects.create(job=job, name="live_backing_log", url=f"{server.url}{path}")
    assert job_logs_parse(job_id=job.id).parsed
    job.refresh_from_db()
    return job


def _flags(job: Job) -> list[bool]:
    return list(TextLogError.objects.filter(job=job).order_by("line_number").values_list("new_failure", flat=True))


def test_new_on_trunk_counts_and_not_on_try(reference_data: None, ingest_settings: Any, sample_services: Any) -> None:
    autoland, tryrepo = Repository.objects.get(name="autoland"), Repository.objects.get(name="try")
    first_push = PushFactory(repository=autoland)
    a = _parsed_job(sample_services, first_push, [SEEN])
    assert (a.failure_classification_id, _flags(a)) == (6, [True])  # never counted: NEW
    event = Event.objects.filter(job_id=a.id).latest("id")
    assert event.payload["changed"] == ["text_log_errors", "new_failure"]
    assert event.payload["failure_classification_id"] == 6

    # The same revision again: first seen on this revision, still NEW (the masked key: "took X s").
    b = _parsed_job(sample_services, first_push, [SEEN.replace("1.25", "3.50")])
    assert (b.failure_classification_id, _flags(b)) == (6, [True])
    assert ErrorLineCount.objects.get().count == 2

    # A later trunk push: seen before on another revision, not NEW.
    c = _parsed_job(sample_services, PushFactory(repository=autoland), [SEEN])
    assert (c.failure_classification_id, _flags(c)) == (1, [False])

    # Try: compared with trunk's counts but never counted itself.
    d = _parsed_job(sample_services, PushFactory(repository=tryrepo), [SEEN, NEVER])
    assert (d.failure_classification_id, _flags(d)) == (6, [False, True])
    assert ErrorLineCount.objects.count() == 1 and ErrorLineCount.objects.get().count == 3
    e = _parsed_job(sample_services, PushFactory(repository=autoland), [NEVER])
    assert _flags(e) == [True]  # try's sighting did not count

    # A passing job is never NEW; a re-parse counts nothing twice.
    ok = _parsed_job(sample_services, PushFactory(repository=autoland), ["abort: green but noisy"], Job.Result.SUCCESS)
    assert (ok.failure_classification_id, _flags(ok)) == (1, [False])
    before = sorted(ErrorLineCount.objects.values_list("key", "count"))
    JobLog.objects.filter(job=c).update(status=JobLog.Status.PENDING)
    job_logs_parse(job_id=c.id)
    assert sorted(ErrorLineCount.objects.values_list("key", "count")) == before


def test_job_names_and_push_windows(reference_data: None) -> None:
    assert (
        normalized_job_name("test-linux64/opt-mochitest-browser-chrome-3")
        == "test-linux64/opt-mochitest-browser-chrome"
    )
    assert normalized_job_name("cf-test-cf") == "test"  # characters, not a suffix
    assert normalized_job_name("test-linux64/opt-mochitest-swr") == "test-linux64/opt-mochitest-swr"
    autoland = Repository.objects.get(name="autoland")
    base = timezone.now()
    pushes = [PushFactory(repository=autoland, time=base + datetime.timedelta(hours=h)) for h in range(-60, 1)]
    current = JobFactory(push=pushes[-1], repository=autoland)
    window = push_window(current)
    assert window[0] == pushes[-1].id and len(window) == 21  # autoland: 20 older pushes within 36 h
    other = Repository.objects.get(name="mozilla-central")
    mc = [PushFactory(repository=other, time=base + datetime.timedelta(hours=h)) for h in (-40, -3, -2, -1, 0)]
    assert push_window(JobFactory(push=mc[-1], repository=other)) == [p.id for p in mc[::-1][:4]]
    tryjob = JobFactory(push=PushFactory(repository=Repository.objects.get(name="try")))
    assert push_window(tryjob) == [tryjob.push_id]


def _test_job(push: Any, job_type: Any, result: str, groups: dict[str, int], fc: int = 1) -> Job:
    job = JobFactory(push=push, repository=push.repository, job_type=job_type, result=result)
    job.failure_classification_id = fc
    job.save()
    log = JobLog.objects.create(job=job, name="errorsummary_json", url="https://x/errorsummary.log", status=1)
    for name, status in groups.items():
        GroupStatusFactory(
            job_log=log, group=GroupFactory(name=name) if not _group(name) else _group(name), status=status
        )
    return job


def _group(name: str) -> Any:
    from apps.failures.models import Group

    return Group.objects.filter(name=name).first()


def test_intermittent_marking_and_its_reversal(reference_data: None) -> None:
    repo = Repository.objects.get(name="mozilla-central")
    now = timezone.now()
    older, current = (PushFactory(repository=repo, time=now - datetime.timedelta(hours=h)) for h in (2, 0))
    chunk1 = JobTypeFactory(name="test-linux64/opt-mochitest-1")
    chunk2 = JobTypeFactory(name="test-linux64/opt-mochitest-2")  # the same job, another chunk
    # a.ini failed in the current push but passes in two other runs of the window: intermittent.
    failing = _test_job(current, chunk1, Job.Result.TESTFAILED, {"a.ini": 2, "b.ini": 1})
    _test_job(current, chunk2, Job.Result.SUCCESS, {"a.ini": 1})
    _test_job(older, chunk1, Job.Result.SUCCESS, {"a.ini": 1, "b.ini": 1})
    before = Event.objects.count()
    assert intermittents_mark(failing) == [failing.id]
    failing.refresh_from_db()
    assert failing.failure_classification_id == 8
    assert Event.objects.order_by("id")[before:][0].payload["changed"] == ["failure_classification"]

    # New data: a.ini now fails in most runs of the current push: back to 6 (it has a NEW line).
    TextLogErrorFactory(job=failing, new_failure=True)
    another = _test_job(current, chunk2, Job.Result.TESTFAILED, {"a.ini": 2})
    _test_job(current, chunk1, Job.Result.TESTFAILED, {"a.ini": 2})
    assert failing.id in intermittents_mark(another)
    failing.refresh_from_db()
    assert failing.failure_classification_id == 6
    # A sheriff's classification (4, intermittent) is never touched.
    sheriffed = _test_job(current, chunk1, Job.Result.TESTFAILED, {"b.ini": 2}, fc=4)
    intermittents_mark(sheriffed)
    sheriffed.refresh_from_db()
    assert sheriffed.failure_classification_id == 4
