"""Reference data (platforms, machines, job types and groups, products, options, signatures) by upsert.

Rows are created with INSERT IGNORE on their unique keys and read back, never read-then-insert, so
two workers creating the same row at once both end up with its one id. Refdata is never edited,
so a process keeps the ids it has seen (`_ids`): after warm-up a batch of jobs needs no refdata query.
If a cached id ever points at a deleted row (data cycling, a test's rollback), the job insert fails
its foreign key, the store clears this cache and tries again (`refdata_cache_clear`).
"""

from __future__ import annotations

import functools
import operator
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models

from apps.jobs.models import (
    BuildPlatform,
    JobGroup,
    JobType,
    Machine,
    MachinePlatform,
    Option,
    OptionCollection,
    Product,
    ReferenceDataSignatures,
)

_ids: dict[tuple[str, tuple[Any, ...]], int] = {}
_known_collections: set[str] = set()
_preloaded: set[str] = set()
# On its first miss a process reads a whole refdata table (when it is no bigger than this) instead of
# paying one upsert round per batch while it warms up: a real repository has thousands of job types
# and signatures, and every worker process would otherwise discover them a batch at a time.
PRELOAD_MAX_ROWS = 200_000
_lock = threading.Lock()

PLATFORM_FIELDS = ("os_name", "platform", "architecture")


def refdata_cache_clear() -> None:
    with _lock:
        _ids.clear()
        _known_collections.clear()
        _preloaded.clear()


def _ensure(
    model: type[models.Model],
    fields: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
    extra: dict[tuple[Any, ...], dict[str, Any]] | None = None,
) -> dict[tuple[Any, ...], int]:
    """Ids of the rows with these unique keys, creating the missing ones."""
    label = model._meta.db_table
    keys = set(keys)
    result: dict[tuple[Any, ...], int] = {}
    missing = []
    for key in keys:
        cached = _ids.get((label, key))
        if cached is None:
            missing.append(key)
        else:
            result[key] = cached
    if missing and label not in _preloaded:
        _preloaded.add(label)
        manager = model._default_manager
        if manager.count() <= PRELOAD_MAX_ROWS:
            rows = {tuple(row[1:]): row[0] for row in manager.values_list("id", *fields)}
            with _lock:
                _ids.update({(label, key): pk for key, pk in rows.items()})
            still = []
            for key in missing:
                if key in rows:
                    result[key] = rows[key]
                else:
                    still.append(key)
            missing = still
    if not missing:
        return result
    missing.sort()
    model._default_manager.bulk_create(
        [model(**dict(zip(fields, key, strict=True)), **((extra or {}).get(key) or {})) for key in missing],
        ignore_conflicts=True,
    )
    condition = functools.reduce(operator.or_, (models.Q(**dict(zip(fields, key, strict=True))) for key in missing))
    for row in model._default_manager.filter(condition).values_list("id", *fields):
        key = tuple(row[1:])
        result[key] = row[0]
        with _lock:
            _ids[(label, key)] = row[0]
    absent = [key for key in missing if key not in result]
    if absent:
        # Only possible if the stored values differ from the keys (e.g. truncated by the database).
        raise ValueError(f"{label}: rows not found after upsert: {absent[:3]}")
    return result


def _ensure_collections(collections: dict[str, tuple[str, ...]]) -> None:
    todo = {h: names for h, names in collections.items() if h not in _known_collections}
    if not todo:
        return
    option_ids = _ensure(Option, ("name",), {(name,) for names in todo.values() for name in names})
    _ensure(
        OptionCollection,
        ("option_collection_hash", "option_id"),
        {(h, option_ids[(name,)]) for h, names in todo.items() for name in names},
    )
    with _lock:
        _known_collections.update(todo)


@dataclass(frozen=True)
class RefIds:
    build_platform_id: int
    machine_platform_id: int
    machine_id: int
    job_type_id: int
    job_group_id: int
    product_id: int
    signature_id: int
    option_collection_hash: str


def _platform(data: dict[str, Any]) -> tuple[str, str, str]:
    return (data.get("os_name", "")[:25], data.get("platform", "")[:100], data.get("architecture", "")[:25])


def refdata_ids_for_jobs(*, jobs: Sequence[tuple[str, dict[str, Any]]]) -> list[RefIds]:
    """Reference-data ids for each (repository name, internal job dict), creating what is missing."""
    prepared: list[dict[str, Any]] = []
    for repository, job in jobs:
        options = tuple(sorted(job["option_collection"]))
        option_hash = OptionCollection.calculate_hash(options)
        build = _platform(job["build_platform"])
        machine_platform = _platform(job["machine_platform"])
        job_type = (job["name"][:140], (job["job_symbol"] or "?")[:25])
        job_group = ((job["group_name"] or "unknown")[:255], (job["group_symbol"] or "?")[:25])
        signature = ReferenceDataSignatures.calculate_signature(
            build_system_type=job["build_system_type"],
            repository=repository,
            build_platform=build,
            machine_platform=machine_platform,
            job_group=job_group,
            job_type=job_type,
            option_collection_hash=option_hash,
        )
        prepared.append(
            {
                "repository": repository,
                "options": options,
                "option_hash": option_hash,
                "build": build,
                "machine_platform": machine_platform,
                "machine": ((job["machine"] or "unknown")[:100],),
                "job_type": job_type,
                "job_group": job_group,
                "product": ((job["product_name"] or "unknown")[:100],),
                "signature": (signature, signature, job["build_system_type"][:25], repository),
                "signature_extra": {
                    "build_os_name": build[0],
                    "build_platform": build[1],
                    "build_architecture": build[2],
                    "machine_os_name": machine_platform[0],
                    "machine_platform": machine_platform[1],
                    "machine_architecture": machine_platform[2],
                    "job_group_name": job_group[0],
                    "job_group_symbol": job_group[1],
                    "job_type_name": job_type[0],
                    "job_type_symbol": job_type[1],
                    "option_collection_hash": option_hash,
                    "first_submission_timestamp": job.get("submit_timestamp") or int(time.time()),
                },
            }
        )
    _ensure_collections({p["option_hash"]: p["options"] for p in prepared})
    build_ids = _ensure(BuildPlatform, PLATFORM_FIELDS, (p["build"] for p in prepared))
    machine_platform_ids = _ensure(MachinePlatform, PLATFORM_FIELDS, (p["machine_platform"] for p in prepared))
    machine_ids = _ensure(Machine, ("name",), (p["machine"] for p in prepared))
    job_type_ids = _ensure(JobType, ("name", "symbol"), (p["job_type"] for p in prepared))
    job_group_ids = _ensure(JobGroup, ("name", "symbol"), (p["job_group"] for p in prepared))
    product_ids = _ensure(Product, ("name",), (p["product"] for p in prepared))
    signature_ids = _ensure(
        ReferenceDataSignatures,
        ("name", "signature", "build_system_type", "repository"),
        (p["signature"] for p in prepared),
        extra={p["signature"]: p["signature_extra"] for p in prepared},
    )
    return [
        RefIds(
            build_platform_id=build_ids[p["build"]],
            machine_platform_id=machine_platform_ids[p["machine_platform"]],
            machine_id=machine_ids[p["machine"]],
            job_type_id=job_type_ids[p["job_type"]],
            job_group_id=job_group_ids[p["job_group"]],
            product_id=product_ids[p["product"]],
            signature_id=signature_ids[p["signature"]],
            option_collection_hash=p["option_hash"],
        )
        for p in prepared
    ]
