"""Reference data (platforms, machines, job types and groups, products, options, signatures) by upsert.

Rows are created with INSERT IGNORE on their unique keys and read back, never read-then-insert, so
two workers creating the same row at once both end up with its one id. Refdata is never edited, so a
process keeps the ids it has seen in a bounded LRU (INGEST_REFDATA_LRU_SIZE entries): after warm-up a
batch of jobs needs no refdata query.

* Ids enter the cache only once the transaction that read or created them has committed
  (`transaction.on_commit`): a batch whose transaction rolls back (a deadlock, a lost database, a
  time limit) leaves no id of a row that does not exist.
* On its first miss a process reads the newest rows of a table (at most a tenth of the LRU) rather
  than discovering them a batch at a time; not `machine`, whose names are Taskcluster worker ids
  (ephemeral, tens of thousands a day, so old ones are of no use).
* If a cached id ever points at a deleted row (data cycling), the job insert fails its foreign key,
  the store clears this cache and tries again (`refdata_cache_clear`).
* Key values are normalised (`refdata_value`) before the upsert and every lookup: cut to the
  column's length and stripped of trailing whitespace. The database's collation, utf8mb4_bin, is
  PAD SPACE in MariaDB ('foo ' = 'foo'), so a name with trailing spaces would collide with the row
  without them: INSERT IGNORE would drop it and the read-back would not find it.
"""

from __future__ import annotations

import functools
import operator
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction

from apps.core.columns import max_length
from apps.core.lru import BoundedLRU
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

CacheKey = tuple[str, tuple[Any, ...]]  # (table, unique key values)

_cache: BoundedLRU[CacheKey, int] = BoundedLRU(lambda: settings.INGEST_REFDATA_LRU_SIZE)
_preloaded: set[str] = set()
_lock = threading.Lock()
# Tables never preloaded: machine names are Taskcluster worker ids, new ones every day.
NOT_PRELOADED = frozenset({Machine._meta.db_table})
# Option collections known to exist, cached beside the ids (value unused).
KNOWN_COLLECTION = "option_collection_known"

PLATFORM_FIELDS = ("os_name", "platform", "architecture")


def refdata_cache_clear() -> None:
    with _lock:
        _cache.clear()
        _preloaded.clear()


def refdata_cache_snapshot() -> dict[CacheKey, int]:
    """A copy of the cached ids (diagnostics and tests)."""
    return _cache.snapshot()


def _preload_limit() -> int:
    return max(0, int(settings.INGEST_REFDATA_LRU_SIZE) // 10)


def _cache_get(label: str, keys: Iterable[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    return {key: pk for (_, key), pk in _cache.get_many((label, key) for key in keys).items()}


def _cache_put(items: Iterable[tuple[CacheKey, int]], preloaded: Iterable[str] = ()) -> None:
    _cache.put_many(items)
    with _lock:
        _preloaded.update(preloaded)


def refdata_value(value: Any, length: int) -> str:
    """A reference-data key value as stored: at most `length` characters, no trailing whitespace."""
    return str(value or "")[:length].rstrip()


def _stored_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # A row stored before values were normalised may still end in spaces; it is the same row.
    return tuple(value.rstrip() if isinstance(value, str) else value for value in row[1:])


@dataclass
class _Learned:
    """Ids read or created in the current transaction, published to the cache once it commits."""

    ids: dict[CacheKey, int] = field(default_factory=dict)
    preloaded: set[str] = field(default_factory=set)

    def publish(self) -> None:
        _cache_put(self.ids.items(), self.preloaded)


def _ensure(
    model: type[models.Model],
    fields: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
    learned: _Learned,
    extra: dict[tuple[Any, ...], dict[str, Any]] | None = None,
) -> dict[tuple[Any, ...], int]:
    """Ids of the rows with these unique keys, creating the missing ones."""
    label = model._meta.db_table
    keys = set(keys)
    result = _cache_get(label, keys)
    missing = [key for key in keys if key not in result]
    if missing and label not in _preloaded and label not in learned.preloaded and label not in NOT_PRELOADED:
        learned.preloaded.add(label)
        # The newest rows first: the ones current tasks use. Oldest first into the LRU, so that the
        # newest are the last to be evicted.
        rows = list(model._default_manager.order_by("-id").values_list("id", *fields)[: _preload_limit()])
        preloaded = {_stored_key(row): row[0] for row in reversed(rows)}
        learned.ids.update({(label, key): pk for key, pk in preloaded.items()})
        still = []
        for key in missing:
            if key in preloaded:
                result[key] = preloaded[key]
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
        key = _stored_key(row)
        result[key] = row[0]
        learned.ids[(label, key)] = row[0]
    absent = [key for key in missing if key not in result]
    if absent:
        # Only possible if the stored values differ from the keys (e.g. changed by the database).
        raise ValueError(f"{label}: rows not found after upsert: {absent[:3]}")
    return result


def _ensure_collections(collections: dict[str, tuple[str, ...]], learned: _Learned) -> None:
    known = _cache_get(KNOWN_COLLECTION, ((h,) for h in collections))
    todo = {h: names for h, names in collections.items() if (h,) not in known}
    if not todo:
        return
    option_ids = _ensure(Option, ("name",), {(name,) for names in todo.values() for name in names}, learned)
    _ensure(
        OptionCollection,
        ("option_collection_hash", "option_id"),
        {(h, option_ids[(name,)]) for h, names in todo.items() for name in names},
        learned,
    )
    learned.ids.update({(KNOWN_COLLECTION, (h,)): 0 for h in todo})


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
    # The values stored, for the job's live event.
    platform: str
    job_type_symbol: str
    job_group_symbol: str


def _platform(data: dict[str, Any]) -> tuple[str, str, str]:
    return (
        refdata_value(data.get("os_name"), max_length(MachinePlatform, "os_name")),
        refdata_value(data.get("platform"), max_length(MachinePlatform, "platform")),
        refdata_value(data.get("architecture"), max_length(MachinePlatform, "architecture")),
    )


def refdata_ids_for_jobs(*, jobs: Sequence[tuple[str, dict[str, Any]]]) -> list[RefIds]:
    """Reference-data ids for each (repository name, internal job dict), creating what is missing."""
    prepared: list[dict[str, Any]] = []
    for repository, job in jobs:
        options = tuple(
            sorted(
                {
                    name
                    for name in (refdata_value(o, max_length(Option, "name")) for o in job["option_collection"])
                    if name
                }
            )
        )
        option_hash = OptionCollection.calculate_hash(options)
        build = _platform(job["build_platform"])
        machine_platform = _platform(job["machine_platform"])
        job_type = (
            refdata_value(job["name"], max_length(JobType, "name")),
            refdata_value(job["job_symbol"], max_length(JobType, "symbol")) or "?",
        )
        job_group = (
            refdata_value(job["group_name"], max_length(JobGroup, "name")) or "unknown",
            refdata_value(job["group_symbol"], max_length(JobGroup, "symbol")) or "?",
        )
        build_system_type = refdata_value(
            job["build_system_type"], max_length(ReferenceDataSignatures, "build_system_type")
        )
        signature = ReferenceDataSignatures.calculate_signature(
            build_system_type=build_system_type,
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
                "machine": (refdata_value(job["machine"], max_length(Machine, "name")) or "unknown",),
                "job_type": job_type,
                "job_group": job_group,
                "product": (refdata_value(job["product_name"], max_length(Product, "name")) or "unknown",),
                "signature": (signature, signature, build_system_type, repository),
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
    learned = _Learned()
    _ensure_collections({p["option_hash"]: p["options"] for p in prepared}, learned)
    build_ids = _ensure(BuildPlatform, PLATFORM_FIELDS, (p["build"] for p in prepared), learned)
    machine_platform_ids = _ensure(MachinePlatform, PLATFORM_FIELDS, (p["machine_platform"] for p in prepared), learned)
    machine_ids = _ensure(Machine, ("name",), (p["machine"] for p in prepared), learned)
    job_type_ids = _ensure(JobType, ("name", "symbol"), (p["job_type"] for p in prepared), learned)
    job_group_ids = _ensure(JobGroup, ("name", "symbol"), (p["job_group"] for p in prepared), learned)
    product_ids = _ensure(Product, ("name",), (p["product"] for p in prepared), learned)
    signature_ids = _ensure(
        ReferenceDataSignatures,
        ("name", "signature", "build_system_type", "repository"),
        (p["signature"] for p in prepared),
        learned,
        extra={p["signature"]: p["signature_extra"] for p in prepared},
    )
    # Published when the caller's transaction commits (at once outside a transaction); dropped
    # with it if it rolls back.
    if learned.ids or learned.preloaded:
        transaction.on_commit(learned.publish)
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
            platform=p["machine_platform"][1],
            job_type_symbol=p["job_type"][1],
            job_group_symbol=p["job_group"][1],
        )
        for p in prepared
    ]
