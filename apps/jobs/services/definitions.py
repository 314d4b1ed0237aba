"""Task definitions and artifact lists from the Taskcluster queue API, cached and fetched concurrently.

A task's pending, running and completed messages need the same definition, so it is fetched once and
kept (as the small summary ingestion reads) in a bounded in-process LRU and in the shared Django
cache (Redis in services mode, with a TTL), so that every worker process shares one fetch. Misses of
one batch are fetched in parallel over the pooled client of `apps.core.http`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

from apps.core.http import OutboundBadResponse, OutboundError, OutboundNotFound, http_get_json
from apps.core.lru import BoundedLRU
from apps.jobs.services.taskcluster import TaskSummary, task_definition_summary

logger = logging.getLogger(__name__)

_lru: BoundedLRU[str, TaskSummary] = BoundedLRU(lambda: settings.INGEST_DEFINITION_LRU_SIZE)
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=settings.INGEST_FETCH_THREADS, thread_name_prefix="tc-fetch")
    return _executor


def _cache_key(root_url: str, task_id: str) -> str:
    root = hashlib.sha1(root_url.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"tcdef:{root}:{task_id}"


def definitions_cache_clear() -> None:
    """Forget cached definitions in this process (tests; the shared cache keeps its TTL)."""
    _lru.clear()


def _shared_cache_get(keys: list[str]) -> dict[str, TaskSummary]:
    # The shared cache only saves fetches: while Redis is down, ingestion fetches and goes on.
    try:
        return cache.get_many(keys)
    except Exception as exc:  # noqa: BLE001 - any cache backend error means "not cached"
        logger.warning("definition cache unavailable (%s: %s); fetching", type(exc).__name__, exc)
        return {}


def _shared_cache_set(values: dict[str, Any]) -> None:
    try:
        cache.set_many(values, timeout=settings.INGEST_DEFINITION_CACHE_TTL)
    except Exception as exc:  # noqa: BLE001 - see _shared_cache_get
        logger.warning("definition cache unavailable (%s: %s); not cached", type(exc).__name__, exc)


def task_definition_fetch(*, root_url: str, task_id: str) -> TaskSummary:
    """GET the task definition from the queue API, reduced to its summary. Raises OutboundError."""
    definition = http_get_json(f"{root_url}/api/queue/v1/task/{task_id}")
    if not isinstance(definition, dict):
        raise OutboundNotFound(f"task {task_id}: definition is not an object", url=root_url)
    return task_definition_summary(definition)


def task_definitions_get(*, root_url: str, task_ids: Iterable[str]) -> dict[str, TaskSummary | OutboundError]:
    """Summaries of the given tasks' definitions, or the error that fetching one raised."""
    wanted = {task_id: _cache_key(root_url, task_id) for task_id in set(task_ids)}
    found: dict[str, TaskSummary | OutboundError] = {}
    missing: dict[str, str] = {}
    for task_id, key in wanted.items():
        value = _lru.get(key)
        if value is None:
            missing[task_id] = key
        else:
            found[task_id] = value
    if missing:
        shared = _shared_cache_get(list(missing.values()))
        for task_id, key in list(missing.items()):
            if key in shared:
                found[task_id] = shared[key]
                _lru.put(key, shared[key])
                del missing[task_id]
    if missing:
        futures = {
            task_id: _pool().submit(task_definition_fetch, root_url=root_url, task_id=task_id) for task_id in missing
        }
        fetched = {}
        for task_id, future in futures.items():
            try:
                summary = future.result()
            except OutboundError as exc:
                found[task_id] = exc
                continue
            found[task_id] = summary
            fetched[missing[task_id]] = summary
            _lru.put(missing[task_id], summary)
        if fetched:
            _shared_cache_set(fetched)
    return found


def task_artifacts_list(*, root_url: str, task_id: str, run_id: int) -> list[dict[str, Any]]:
    """Every artifact of a run, following continuation tokens. A 404 means none (Treeherder too)."""
    url = f"{root_url}/api/queue/v1/task/{task_id}/runs/{run_id}/artifacts"
    artifacts: list[dict[str, Any]] = []
    token = None
    for _page in range(50):  # a bound, in case a server keeps handing out tokens
        try:
            page = http_get_json(f"{url}?{urlencode({'continuationToken': token})}" if token else url)
        except OutboundNotFound:
            return artifacts
        if not isinstance(page, dict):
            raise OutboundBadResponse(f"GET {url}: the artifacts page is a {type(page).__name__}", url=url)
        items = page.get("artifacts") or []
        token = page.get("continuationToken")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise OutboundBadResponse(f"GET {url}: the page's artifacts are not a list of objects", url=url)
        if token is not None and not isinstance(token, str):
            raise OutboundBadResponse(f"GET {url}: continuationToken is a {type(token).__name__}", url=url)
        artifacts.extend(items)
        if not token:
            break
    return artifacts


def task_artifacts_get(
    *, root_url: str, runs: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], list[dict[str, Any]] | OutboundError]:
    """Artifact lists of several runs, fetched in parallel."""
    futures = {
        key: _pool().submit(task_artifacts_list, root_url=root_url, task_id=key[0], run_id=key[1]) for key in set(runs)
    }
    results: dict[tuple[str, int], list[dict[str, Any]] | OutboundError] = {}
    for key, future in futures.items():
        try:
            results[key] = future.result()
        except OutboundError as exc:
            results[key] = exc
    return results
