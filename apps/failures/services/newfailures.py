"""NEW-failure marking (domain spec §3.3), with the counts in MariaDB (see ErrorLineCount).

Called in the transaction that stores a job's error lines. Each line is cleaned and masked into a
counting key (`searchterms.count_key`). On trunk (autoland, mozilla-central, comm-central) each
newly stored line is counted under its job's submit day, and the first sighting of a key that the
21-day window has never seen records the revision. A line is NEW when its key was never counted in
the window, or was first seen on this same revision; a failed job (result not success, unknown,
usercancel or retry) with a NEW line gets classification 6 and the line `new_failure`.

Unlike Treeherder, a job a sheriff already classified (anything but "not classified") keeps its
classification: only the lines are flagged. Only lines inserted by this parse are counted, so a
re-parse counts nothing twice.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from apps.failures.models import ErrorLineCount, TextLogError
from apps.failures.parsing.searchterms import clean_line, count_key
from apps.jobs.models import FailureClassification, Job

COUNTED_REPOSITORIES = frozenset({"autoland", "mozilla-central", "comm-central"})
NOT_FAILED_RESULTS = frozenset({"success", "unknown", "usercancel", "retry"})
WINDOW_DAYS = 21


@dataclass
class _Today:
    count: int
    first_revision: str


def namespace_for(repository: str) -> str:
    return "cc" if repository == "comm-central" else "mc"


def _hash(key: str) -> str:
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()


def new_failures_mark(job: Job, errors: Sequence[TextLogError], inserted: set[int]) -> bool:
    """Count and flag a job's error lines; True when the job became NEW (classification 6)."""
    if not errors:
        return False
    repository = job.repository.name
    namespace = namespace_for(repository)
    revision = job.push.revision
    day = (job.submit_time or timezone.now()).date()
    cutoff = timezone.now().date() - datetime.timedelta(days=WINDOW_DAYS)
    keys = {error.id: count_key(clean_line(error.line)) for error in errors}
    hashes = {key: _hash(key) for key in keys.values()}
    totals: dict[str, int] = dict.fromkeys(hashes.values(), 0)
    today: dict[str, _Today] = {}
    rows = ErrorLineCount.objects.filter(namespace=namespace, day__gt=cutoff, key_hash__in=list(totals))
    for key_hash, row_day, count, first in rows.values_list("key_hash", "day", "count", "first_revision"):
        totals[key_hash] += count
        if row_day == day:
            today[key_hash] = _Today(count, first)
    counted = repository in COUNTED_REPOSITORIES
    increments: dict[str, int] = {}
    first_seen: dict[str, str] = {}
    new_ids = []
    for error in sorted(errors, key=lambda e: e.line_number):
        key_hash = hashes[keys[error.id]]
        counter = totals[key_hash]
        if counted and error.line_number in inserted:
            if key_hash not in today:
                today[key_hash] = _Today(0, revision if counter == 0 else "")
                first_seen[key_hash] = today[key_hash].first_revision
            today[key_hash].count += 1
            totals[key_hash] += 1
            increments[key_hash] = increments.get(key_hash, 0) + 1
        new_in_rev = key_hash in today and today[key_hash].first_revision == revision
        if (new_in_rev or counter == 0) and job.result not in NOT_FAILED_RESULTS:
            new_ids.append(error.id)
    if increments:
        _add_counts(namespace, day, increments, hashes, first_seen)
    if not new_ids:
        return False
    TextLogError.objects.filter(id__in=new_ids).update(new_failure=True)
    if job.failure_classification_id == FailureClassification.NOT_CLASSIFIED:
        Job.objects.filter(id=job.id).update(
            failure_classification_id=FailureClassification.NEW_FAILURE, last_modified=timezone.now()
        )
        job.failure_classification_id = FailureClassification.NEW_FAILURE
        return True
    return False


def _add_counts(
    namespace: str, day: datetime.date, increments: dict[str, int], hashes: dict[str, str], first: dict[str, str]
) -> None:
    key_of = {h: k for k, h in hashes.items()}
    table = ErrorLineCount._meta.db_table
    upsert = (
        "ON DUPLICATE KEY UPDATE count = count + VALUES(count)"
        if connection.vendor == "mysql"
        else "ON CONFLICT(namespace, key_hash, day) DO UPDATE SET count = count + excluded.count"
    )
    rows = [(namespace, day, h, key_of[h], n, first.get(h, "")) for h, n in increments.items()]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (namespace, day, key_hash, `key`, count, first_revision) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s, %s, %s) {upsert}",
            rows,
        )


def error_line_counts_prune() -> int:
    """Delete counts older than the window (the scheduler's daily job; never needed for correctness)."""
    cutoff = timezone.now().date() - datetime.timedelta(days=WINDOW_DAYS)
    return ErrorLineCount.objects.filter(day__lte=cutoff).delete()[0]
