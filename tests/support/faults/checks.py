"""The promises checked after a scenario, and its recovery figures."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import close_old_connections

from apps.jobs.models import Job
from apps.live.models import Event
from apps.pushes.models import Push
from apps.repositories.models import Repository
from devtools import synthetic
from tests.support.faults.observers import Sample, Subscriber
from tests.support.faults.stream import Publisher, StreamPlan

if TYPE_CHECKING:
    from tests.support.faults.scenario import Readiness, Scenario


def head() -> int:
    close_old_connections()
    return int(Event.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first() or 0)


def _autoland_job_events(after: int) -> list[tuple[int, dict[str, Any]]]:
    repo = Repository.objects.get(name=synthetic.REPOSITORY)
    rows = Event.objects.filter(repository_id=repo.id, type="job.changed", seq__gt=after).order_by("seq")
    return [(int(seq or 0), payload) for seq, payload in rows.values_list("seq", "payload")]  # seq is set past a cursor


def stream_settled(plan: StreamPlan, jobs: int, subscriber: Subscriber) -> bool:
    close_old_connections()
    stored = Job.objects.filter(push__revision__in=plan.revisions())
    if stored.count() != jobs or stored.exclude(state=Job.State.COMPLETED).exists():
        return False
    if Event.objects.filter(seq__isnull=True).exists():
        return False
    return not _autoland_job_events(int(subscriber.cursor))


def stored_problems(plan: StreamPlan, publisher: Publisher) -> list[str]:
    problems = []
    pushes = dict(
        Push.objects.filter(repository__name=synthetic.REPOSITORY, revision__in=plan.revisions()).values_list(
            "revision", "id"
        )
    )
    if set(pushes) != publisher.revisions():
        problems.append(f"pushes stored {sorted(pushes)} != published {sorted(publisher.revisions())}")
    jobs = dict(Job.objects.filter(push_id__in=pushes.values()).values_list("guid", "id"))
    if set(jobs) != publisher.guids():
        missing, extra = publisher.guids() - set(jobs), set(jobs) - publisher.guids()
        problems.append(f"jobs stored != published: missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}")
    job_events = list(
        Event.objects.filter(type="job.changed", job_id__in=jobs.values()).values_list("job_id", "payload")
    )
    created = Counter(job_id for job_id, payload in job_events if "created" in payload["changed"])
    twice = {job_id: n for job_id, n in created.items() if n != 1}
    if twice or set(created) != set(jobs.values()):
        problems.append(f"job created events not exactly one per job: {twice or 'some missing'}")
    # A redelivered message re-applied must change nothing: no event may repeat another.
    seen = Counter(json.dumps([job_id, payload], sort_keys=True) for job_id, payload in job_events)
    repeated = [key for key, n in seen.items() if n > 1]
    if repeated:
        problems.append(f"{len(repeated)} job events stored twice, e.g. {repeated[0][:300]}")
    push_created = Counter(
        push_id
        for push_id, payload in Event.objects.filter(type="push.changed", push_id__in=pushes.values()).values_list(
            "push_id", "payload"
        )
        if "created" in payload["changed"]
    )
    if sorted(push_created.values()) != [1] * len(pushes):
        problems.append(f"push created events not exactly one per push: {dict(push_created)}")
    unnumbered = Event.objects.filter(seq__isnull=True).count()
    if unnumbered:
        problems.append(f"{unnumbered} outbox rows left unnumbered")
    return problems


def delivery_problems(start_cursor: int, subscriber: Subscriber) -> list[str]:
    outbox = _autoland_job_events(start_cursor)
    expected = [str(seq) for seq, _ in outbox]
    received = [r.cursor for r in subscriber.receipts]
    problems = []
    if received != expected:
        dupes = [c for c, n in Counter(received).items() if n > 1]
        gaps = sorted(set(expected) - {str(c) for c in received}, key=int)
        problems.append(
            f"subscriber cursors != outbox cursors: {len(received)} received, {len(expected)} in the outbox, "
            f"duplicates {dupes[:5]}, missing {gaps[:5]}"
        )
    guids = {str(seq): payload["guid"] for seq, payload in outbox}
    for receipt in subscriber.receipts:
        if receipt.errors or receipt.guid is None:
            problems.append(f"cursor {receipt.cursor} delivered without its job: {receipt.errors}")
            break
        if receipt.cursor in guids and guids[receipt.cursor] != receipt.guid:
            problems.append(
                f"cursor {receipt.cursor} delivered job {receipt.guid}, the outbox has {guids[receipt.cursor]}"
            )
            break
    return problems


def _during(samples: list[Sample], scenario: Scenario) -> list[Sample]:
    return [s for s in samples if scenario.fault_started <= s.at <= scenario.fault_ended]


def _status_ok(sample: Sample, dependency: str) -> bool:
    return sample.status is not None and bool((sample.body or {}).get(dependency, {}).get("ok"))


def readiness_problems(scenario: Scenario, readiness: Readiness) -> list[str]:
    problems = []
    ready = scenario.monitor.samples["/healthz/ready"]
    if not ready or ready[-1].status != 200:
        problems.append(f"not ready at the end: {ready[-1:]}")
    during = _during(ready, scenario)
    if readiness.ready_drops:
        if not any(s.status != 200 for s in during):
            problems.append(f"readiness never reported the outage ({len(during)} probes during it)")
    elif any(s.status != 200 for s in ready):
        problems.append(f"readiness dropped: {[s.status for s in ready if s.status != 200][:5]}")
    status = scenario.monitor.samples.get("/healthz/status", [])
    for dependency in readiness.status_down:
        if not any(not _status_ok(s, dependency) for s in _during(status, scenario)):
            problems.append(f"/healthz/status never reported {dependency} down during the outage")
        if not status or not _status_ok(status[-1], dependency):
            problems.append(f"/healthz/status still reports {dependency} down at the end")
    return problems


def _first_after(samples: list[Sample], after: float, ok: Callable[[Sample], bool]) -> float | None:
    return next((s.at - after for s in samples if s.at >= after and ok(s)), None)


def recovery_figures(scenario: Scenario, settled: float, readiness: Readiness) -> dict[str, float | None]:
    """Seconds from the fault's end (service back, process restarted) until: ready again, each
    dependency reported up again, the subscriber's first event, everything stored and delivered."""
    end = scenario.fault_ended
    figures: dict[str, float | None] = {}
    if readiness.ready_drops:
        figures["ready"] = _first_after(scenario.monitor.samples["/healthz/ready"], end, lambda s: s.status == 200)
    for dependency in readiness.status_down:
        figures[f"{dependency} up"] = _first_after(
            scenario.monitor.samples["/healthz/status"], end, partial(_status_ok, dependency=dependency)
        )
    figures["first event"] = next((r.at - end for r in scenario.subscriber.receipts if r.at >= end), None)
    # Caught up: from whichever came last, the fault's end or the last publish.
    figures["caught up"] = settled - max(end, scenario.publisher.finished_at)
    return figures
