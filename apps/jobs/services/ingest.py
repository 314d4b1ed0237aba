"""Ingest a batch of Taskcluster queue Pulse messages: validate, fetch, transform, store.

Each message ends in exactly one of:
* stored (created, updated, or unchanged because it was a duplicate or behind the stored state);
* rejected: not a Treeherder job, or invalid (logged once with the reason, counted, never retried);
* `missing_push`: its push is not stored yet (the caller retries it later, then dead-letters it);
* `transient`: a fetch failed in a way that may pass (the caller retries it).

`pulse_tasks_ingest` drives the named stages below over the batch; each stage takes what the one
before kept, and drops a message only through `_Batch.reject` or `_Batch.retry_later`. The network
stages fetch for the whole batch at once (definitions, then artifact lists of finished runs).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from apps.core.http import OutboundError, OutboundNotFound
from apps.core.lru import BoundedLRU
from apps.core.metrics import Counters
from apps.core.pulse import PulseEnvelope, Rejected
from apps.jobs.services.definitions import definitions_cache_clear, task_artifacts_get, task_definitions_get
from apps.jobs.services.refdata import refdata_cache_clear
from apps.jobs.services.store import PreparedJob, StoreResult, jobs_store
from apps.jobs.services.taskcluster import (
    TASK_EXCHANGES,
    TaskOrigin,
    TaskSummary,
    task_job_transform,
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
    missing_push: list[PulseEnvelope] = field(default_factory=list)
    transient: list[PulseEnvelope] = field(default_factory=list)
    transient_errors: list[str] = field(default_factory=list)


_repositories: dict[str, Repository] = {}
_repositories_loaded = 0.0
_push_ids: BoundedLRU[tuple[int, str], int] = BoundedLRU(lambda: settings.INGEST_PUSH_ID_LRU_SIZE)
_lock = threading.Lock()


def ingest_caches_clear() -> None:
    """Forget every per-process cache of task ingestion: repositories, push ids, task definitions
    (the in-process LRU; the shared cache keeps its TTL) and reference-data ids."""
    global _repositories_loaded
    with _lock:
        _repositories.clear()
        _repositories_loaded = 0.0
    _push_ids.clear()
    definitions_cache_clear()
    refdata_cache_clear()


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
    found = _push_ids.get_many(pairs)
    missing = pairs - set(found)
    by_repo: dict[int, list[str]] = {}
    for repo_id, revision in missing:
        by_repo.setdefault(repo_id, []).append(revision)
    for repo_id, revisions in by_repo.items():
        for push_id, revision in Push.objects.filter(repository_id=repo_id, revision__in=revisions).values_list(
            "id", "revision"
        ):
            found[(repo_id, revision)] = push_id
            _push_ids.put((repo_id, revision), push_id)
    return found


# -- what a message carries from stage to stage ------------------------------------------------------


@dataclass(frozen=True)
class _Valid:
    envelope: PulseEnvelope
    body: dict[str, Any]

    @property
    def task_id(self) -> str:
        return str(self.body["status"]["taskId"])

    @property
    def definition_key(self) -> tuple[str, str]:
        return (self.envelope["root_url"], self.task_id)

    @property
    def run_key(self) -> tuple[str, str, int]:
        return (self.envelope["root_url"], self.task_id, int(self.body.get("runId", 0)))


@dataclass(frozen=True)
class _Qualified:
    message: _Valid
    summary: TaskSummary
    origin: TaskOrigin


@dataclass(frozen=True)
class _Transformed:
    envelope: PulseEnvelope
    repository: Repository
    job: dict[str, Any]  # Treeherder's internal job dict (with "revision")


@dataclass
class _Batch:
    counters: Counters
    result: TasksIngestResult = field(default_factory=TasksIngestResult)

    def reject(self, envelope: PulseEnvelope, rejected: Rejected, level: int = logging.WARNING) -> None:
        logger.log(
            level,
            "task message rejected (%s): %s [exchange %s]",
            rejected.reason,
            rejected.detail,
            envelope.get("exchange"),
        )
        self.counters.incr("pulse_task_rejected", reason=rejected.reason)
        self.result.rejected += 1

    def retry_later(self, envelope: PulseEnvelope, error: OutboundError) -> None:
        self.result.transient.append(envelope)
        self.result.transient_errors.append(str(error))


# -- the stages --------------------------------------------------------------------------------------


def _validate(batch: _Batch, envelopes: list[PulseEnvelope]) -> list[_Valid]:
    valid = []
    for envelope in envelopes:
        exchange = str(envelope.get("exchange", ""))
        batch.counters.incr("pulse_task_messages", event=TASK_EXCHANGES.get(exchange, "unknown"))
        try:
            valid.append(_Valid(envelope, task_message_validate(body=envelope.get("body"), exchange=exchange)))
        except Rejected as exc:
            batch.reject(envelope, exc)
    return valid


def _definitions_fetch(valid: list[_Valid]) -> dict[tuple[str, str], Any]:
    """Each task's definition summary (or the OutboundError fetching it), by (root URL, task id)."""
    by_root: dict[str, set[str]] = {}
    for message in valid:
        by_root.setdefault(message.envelope["root_url"], set()).add(message.task_id)
    return {
        (root, task_id): summary
        for root, task_ids in by_root.items()
        for task_id, summary in task_definitions_get(root_url=root, task_ids=task_ids).items()
    }


def _qualify(batch: _Batch, valid: list[_Valid], definitions: dict[tuple[str, str], Any]) -> list[_Qualified]:
    """The messages of Treeherder tasks, with their definition summary and origin."""
    qualified = []
    for message in valid:
        summary = definitions[message.definition_key]
        if isinstance(summary, OutboundError):
            if summary.retryable:
                batch.retry_later(message.envelope, summary)
            else:
                reason = "definition_not_found" if isinstance(summary, OutboundNotFound) else "definition_fetch_failed"
                batch.reject(message.envelope, Rejected(reason, f"task {message.task_id}: {summary}"))
            continue
        try:
            origin = task_summary_check(task_id=message.task_id, summary=summary)
        except Rejected as exc:
            # Most of the queue's firehose is not Treeherder's: that is routine, not a warning.
            level = logging.DEBUG if exc.reason == "not_a_treeherder_task" else logging.WARNING
            batch.reject(message.envelope, exc, level)
            continue
        qualified.append(_Qualified(message, summary, origin))
    return qualified


def _artifacts_fetch(qualified: list[_Qualified]) -> dict[tuple[str, str, int], Any]:
    """The artifact list (or the OutboundError fetching it) of each finished run, by (root, task, run)."""
    runs = {
        item.message.run_key
        for item in qualified
        if TASK_EXCHANGES[item.message.envelope["exchange"]] in ARTIFACT_EVENTS
    }
    artifacts: dict[tuple[str, str, int], Any] = {}
    for root in {run[0] for run in runs}:
        lists = task_artifacts_get(root_url=root, runs=[(t, r) for rt, t, r in runs if rt == root])
        artifacts.update({(root, t, r): value for (t, r), value in lists.items()})
    return artifacts


def _transform(
    batch: _Batch, qualified: list[_Qualified], artifacts: dict[tuple[str, str, int], Any]
) -> list[_Transformed]:
    """Treeherder's job dict of each message, for an active repository."""
    transformed = []
    for item in qualified:
        envelope, task_id = item.message.envelope, item.message.task_id
        run_artifacts = artifacts.get(item.message.run_key)
        if isinstance(run_artifacts, OutboundError):
            if run_artifacts.retryable:
                batch.retry_later(envelope, run_artifacts)
                continue
            run_artifacts = []
        try:
            job = task_job_transform(
                envelope=envelope,
                body=item.message.body,
                summary=item.summary,
                origin=item.origin,
                artifacts=run_artifacts,
            )
        except Rejected as exc:
            batch.reject(envelope, exc)
            continue
        if job is None:
            batch.counters.incr("pulse_task_ignored_runs")
            continue
        repository = _repository(job["project"])
        if repository is None:
            batch.reject(envelope, Rejected("unknown_repository", f"task {task_id}: no repository {job['project']}"))
            continue
        if not repository.is_active:
            batch.reject(
                envelope, Rejected("inactive_repository", f"task {task_id}: repository {repository.name} is on hold")
            )
            continue
        transformed.append(_Transformed(envelope, repository, job))
    return transformed


def _with_pushes(batch: _Batch, transformed: list[_Transformed]) -> list[PreparedJob]:
    """The jobs whose push is stored, ready for the store; the others wait (missing_push)."""
    push_ids = _push_ids_for({(item.repository.id, item.job["revision"]) for item in transformed})
    prepared = []
    for item in transformed:
        push_id = push_ids.get((item.repository.id, item.job["revision"]))
        if push_id is None:
            batch.result.missing_push.append(item.envelope)
            continue
        prepared.append(PreparedJob(repository=item.repository, push_id=push_id, data=item.job["job"]))
    return prepared


# -- the driver --------------------------------------------------------------------------------------


def pulse_tasks_ingest(*, messages: list[PulseEnvelope], counters: Counters | None = None) -> TasksIngestResult:
    batch = _Batch(counters or Counters())
    clock = [time.perf_counter()]
    valid = _validate(batch, messages)
    clock.append(time.perf_counter())
    definitions = _definitions_fetch(valid)
    clock.append(time.perf_counter())
    qualified = _qualify(batch, valid, definitions)
    artifacts = _artifacts_fetch(qualified)
    clock.append(time.perf_counter())
    prepared = _with_pushes(batch, _transform(batch, qualified, artifacts))
    clock.append(time.perf_counter())
    if prepared:
        batch.result.stored = jobs_store(jobs=prepared)
    clock.append(time.perf_counter())
    if logger.isEnabledFor(logging.DEBUG):
        stages = ("validate", "definitions", "filter+artifacts", "transform", "store")
        timings = ", ".join(
            f"{name} {1000 * (b - a):.0f} ms" for name, a, b in zip(stages, clock, clock[1:], strict=False)
        )
        logger.debug("batch of %d: %s", len(messages), timings)
    stored = batch.result.stored
    batch.counters.incr("jobs_created", stored.created)
    batch.counters.incr("jobs_updated", stored.updated)
    batch.counters.incr("jobs_unchanged", stored.unchanged)
    return batch.result
