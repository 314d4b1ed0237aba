"""Ingest a batch of Taskcluster queue Pulse messages: validate, fetch, transform, store.

Each message ends in exactly one of:
* stored (created, updated, or unchanged because it was a duplicate or behind the stored state);
* rejected: not a Treeherder job, or invalid (logged once with the reason, counted, never retried);
* `missing_push`: its push is not stored yet (the caller retries it later, then dead-letters it);
* `transient`: a fetch failed in a way that may pass (the caller retries it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from apps.core.http import OutboundError, OutboundNotFound
from apps.core.metrics import Counters
from apps.jobs.services.definitions import task_artifacts_get, task_definitions_get
from apps.jobs.services.store import PreparedJob, StoreResult, jobs_store
from apps.jobs.services.taskcluster import (
    TASK_EXCHANGES,
    MessageRejected,
    pulse_job_build,
    pulse_job_transform,
    task_message_validate,
    task_summary_check,
)
from apps.pushes.models import Push
from apps.repositories.models import Repository

logger = logging.getLogger(__name__)

ARTIFACT_EVENTS = frozenset({"completed", "failed", "exception"})


@dataclass
class TasksIngestResult:
    stored: StoreResult = field(default_factory=StoreResult)
    rejected: int = 0
    missing_push: list[dict[str, Any]] = field(default_factory=list)
    transient: list[dict[str, Any]] = field(default_factory=list)
    transient_errors: list[str] = field(default_factory=list)


_repositories: dict[str, Repository] = {}
_repositories_loaded = 0.0
_push_ids: OrderedDict[tuple[int, str], int] = OrderedDict()
_lock = threading.Lock()


def ingest_caches_clear() -> None:
    global _repositories_loaded
    with _lock:
        _repositories.clear()
        _repositories_loaded = 0.0
        _push_ids.clear()


def _repository(name: str) -> Repository | None:
    # Repositories change rarely (an admin puts one on hold): a short TTL keeps that visible.
    global _repositories_loaded
    now = time.monotonic()
    if now - _repositories_loaded > settings.INGEST_REPOSITORY_CACHE_SECONDS:
        repos = {repo.name: repo for repo in Repository.objects.all()}
        with _lock:
            _repositories.clear()
            _repositories.update(repos)
            _repositories_loaded = now
    return _repositories.get(name)


def _push_ids_for(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    found = {pair: _push_ids[pair] for pair in pairs if pair in _push_ids}
    missing = pairs - set(found)
    by_repo: dict[int, list[str]] = {}
    for repo_id, revision in missing:
        by_repo.setdefault(repo_id, []).append(revision)
    for repo_id, revisions in by_repo.items():
        for push_id, revision in Push.objects.filter(repository_id=repo_id, revision__in=revisions).values_list(
            "id", "revision"
        ):
            found[(repo_id, revision)] = push_id
            with _lock:
                _push_ids[(repo_id, revision)] = push_id
                while len(_push_ids) > 50_000:
                    _push_ids.popitem(last=False)
    return found


def _reject(
    counters: Counters, message: dict[str, Any], reason: str, detail: str, level: int = logging.WARNING
) -> None:
    logger.log(level, "task message rejected (%s): %s [exchange %s]", reason, detail, message.get("exchange"))
    counters.incr("pulse_task_rejected", reason=reason)


def pulse_tasks_ingest(*, messages: list[dict[str, Any]], counters: Counters | None = None) -> TasksIngestResult:
    """Ingest messages of the form {"body", "exchange", "routing_key", "root_url"}."""
    counters = counters or Counters()
    result = TasksIngestResult()
    clock = [time.perf_counter()]
    valid: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for message in messages:
        exchange = str(message.get("exchange", ""))
        counters.incr("pulse_task_messages", event=TASK_EXCHANGES.get(exchange, "unknown"))
        try:
            valid.append((message, task_message_validate(body=message.get("body"), exchange=exchange)))
        except MessageRejected as exc:
            _reject(counters, message, exc.reason, exc.detail)
            result.rejected += 1

    clock.append(time.perf_counter())
    by_root: dict[str, set[str]] = {}
    for message, body in valid:
        by_root.setdefault(message["root_url"], set()).add(body["status"]["taskId"])
    definitions = {
        (root, task_id): summary
        for root, task_ids in by_root.items()
        for task_id, summary in task_definitions_get(root_url=root, task_ids=task_ids).items()
    }

    clock.append(time.perf_counter())
    checked = []
    for message, body in valid:
        task_id = body["status"]["taskId"]
        summary = definitions[(message["root_url"], task_id)]
        if isinstance(summary, OutboundError):
            if summary.retryable:
                result.transient.append(message)
                result.transient_errors.append(str(summary))
            else:
                reason = "definition_not_found" if isinstance(summary, OutboundNotFound) else "definition_fetch_failed"
                _reject(counters, message, reason, f"task {task_id}: {summary}")
                result.rejected += 1
            continue
        try:
            origin = task_summary_check(task_id=task_id, summary=summary)
        except MessageRejected as exc:
            # Most of the queue's firehose is not Treeherder's: that is routine, not a warning.
            level = logging.DEBUG if exc.reason == "not_a_treeherder_task" else logging.WARNING
            _reject(counters, message, exc.reason, exc.detail, level)
            result.rejected += 1
            continue
        checked.append((message, body, summary, origin))

    artifact_runs = {
        (message["root_url"], body["status"]["taskId"], body["runId"])
        for message, body, _, _ in checked
        if TASK_EXCHANGES[message["exchange"]] in ARTIFACT_EVENTS
    }
    artifacts: dict[tuple[str, str, int], Any] = {}
    for root in {run[0] for run in artifact_runs}:
        lists = task_artifacts_get(root_url=root, runs=[(t, r) for rt, t, r in artifact_runs if rt == root])
        artifacts.update({(root, t, r): value for (t, r), value in lists.items()})

    clock.append(time.perf_counter())
    prepared_by_key: list[tuple[dict[str, Any], Repository, dict[str, Any]]] = []
    for message, body, summary, origin in checked:
        task_id = body["status"]["taskId"]
        run_artifacts = artifacts.get((message["root_url"], task_id, body.get("runId", 0)))
        if isinstance(run_artifacts, OutboundError):
            if run_artifacts.retryable:
                result.transient.append(message)
                result.transient_errors.append(str(run_artifacts))
                continue
            run_artifacts = []
        try:
            pulse_job = pulse_job_build(
                body=body,
                exchange=message["exchange"],
                root_url=message["root_url"],
                summary=summary,
                origin=origin,
                artifacts=run_artifacts,
            )
            if pulse_job is None:
                counters.incr("pulse_task_ignored_runs")
                continue
            transformed = pulse_job_transform(pulse_job)
        except MessageRejected as exc:
            _reject(counters, message, exc.reason, exc.detail)
            result.rejected += 1
            continue
        repository = _repository(transformed["project"])
        if repository is None:
            _reject(counters, message, "unknown_repository", f"task {task_id}: no repository {transformed['project']}")
            result.rejected += 1
            continue
        if not repository.is_active:
            _reject(
                counters, message, "inactive_repository", f"task {task_id}: repository {repository.name} is on hold"
            )
            result.rejected += 1
            continue
        prepared_by_key.append((message, repository, transformed))

    push_ids = _push_ids_for({(repo.id, t["revision"]) for _, repo, t in prepared_by_key})
    prepared = []
    for message, repository, transformed in prepared_by_key:
        push_id = push_ids.get((repository.id, transformed["revision"]))
        if push_id is None:
            result.missing_push.append(message)
            continue
        prepared.append(PreparedJob(repository=repository, push_id=push_id, data=transformed["job"]))
    clock.append(time.perf_counter())
    if prepared:
        result.stored = jobs_store(jobs=prepared)
    clock.append(time.perf_counter())
    if logger.isEnabledFor(logging.DEBUG):
        stages = ("validate", "definitions", "filter+artifacts", "transform", "store")
        timings = ", ".join(
            f"{name} {1000 * (b - a):.0f} ms" for name, a, b in zip(stages, clock, clock[1:], strict=False)
        )
        logger.debug("batch of %d: %s", len(messages), timings)
    counters.incr("jobs_created", result.stored.created)
    counters.incr("jobs_updated", result.stored.updated)
    counters.incr("jobs_unchanged", result.stored.unchanged)
    return result
