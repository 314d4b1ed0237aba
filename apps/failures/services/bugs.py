"""Writes of the Bugscache mirror and its substring index.

`bugscache_index_refresh(bug_ids)` rewrites the trigram rows of those bugs from their summaries and
moves the per-trigram bug counts by the difference, in one transaction. Every writer of Bugscache
summaries calls it (update_bugscache, the fixture loader, tests and benchmarks).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.failures.models import Bugscache, BugscacheTrigram, BugscacheTrigramFrequency
from apps.failures.parsing.trigrams import substring_trigrams

_BATCH = 5000


def _chunks(items: list, size: int = _BATCH) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def bugscache_index_refresh(bug_ids: Iterable[int]) -> int:
    """Re-index these bugs' summaries (a deleted bug's rows go). Returns the index rows written."""
    ids = sorted(set(bug_ids))
    written = 0
    with transaction.atomic():
        for part in _chunks(ids):
            old: dict[int, set[str]] = {}
            for trigram, bug_id in BugscacheTrigram.objects.filter(bug_id__in=part).values_list("trigram", "bug_id"):
                old.setdefault(bug_id, set()).add(trigram)
            new = {
                bug_id: substring_trigrams(summary)
                for bug_id, summary in Bugscache.objects.filter(id__in=part).values_list("id", "summary")
            }
            delta: Counter[str] = Counter()
            for bug_id in part:
                before, after = old.get(bug_id, set()), new.get(bug_id, set())
                delta.update(dict.fromkeys(before - after, -1))
                delta.update(dict.fromkeys(after - before, 1))
            BugscacheTrigram.objects.filter(bug_id__in=part).delete()
            rows = [(t, bug_id) for bug_id, trigrams in new.items() for t in trigrams]
            table = BugscacheTrigram._meta.db_table
            with connection.cursor() as cursor:
                for chunk in _chunks(rows, 20000):
                    cursor.executemany(f"INSERT INTO {table} (trigram, bug_id) VALUES (%s, %s)", chunk)  # noqa: S608
                freq = BugscacheTrigramFrequency._meta.db_table
                gained = [(t, n) for t, n in delta.items() if n > 0]
                lost = [(-n, t) for t, n in delta.items() if n < 0]
                upsert = (
                    "ON DUPLICATE KEY UPDATE bugs = bugs + VALUES(bugs)"
                    if connection.vendor == "mysql"
                    else "ON CONFLICT(trigram) DO UPDATE SET bugs = bugs + excluded.bugs"
                )
                for chunk in _chunks(gained, 20000):
                    cursor.executemany(f"INSERT INTO {freq} (trigram, bugs) VALUES (%s, %s) {upsert}", chunk)  # noqa: S608
                for chunk in _chunks(lost, 20000):
                    cursor.executemany(f"UPDATE {freq} SET bugs = bugs - %s WHERE trigram = %s", chunk)  # noqa: S608
            written += len(rows)
    return written


def _bug_time(value: Any) -> datetime.datetime:
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return timezone.now()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def bugzilla_bug_row(bug: dict[str, Any]) -> dict[str, Any]:
    """A Bugzilla REST bug as Bugscache column values."""
    keywords = bug.get("keywords") or []
    return {
        "status": str(bug.get("status") or "")[:64],
        "resolution": str(bug.get("resolution") or "")[:64],
        "summary": str(bug.get("summary") or "")[:255],
        "dupe_of": bug.get("dupe_of") if isinstance(bug.get("dupe_of"), int) else None,
        "crash_signature": str(bug.get("cf_crash_signature") or ""),
        "keywords": ",".join(str(k) for k in keywords) if isinstance(keywords, list) else str(keywords),
        "whiteboard": str(bug.get("whiteboard") or "")[:100],
        "modified": _bug_time(bug.get("last_change_time")),
        "processed_update": True,
    }


def bugzilla_bugs_store(bugs: Iterable[dict[str, Any]]) -> list[int]:
    """Insert or update Bugscache rows by Bugzilla id, and re-index them. Returns their internal ids."""
    rows = {int(bug["id"]): bugzilla_bug_row(bug) for bug in bugs if isinstance(bug.get("id"), int)}
    if not rows:
        return []
    with transaction.atomic():
        existing = dict(Bugscache.objects.filter(bugzilla_id__in=list(rows)).values_list("bugzilla_id", "id"))
        Bugscache.objects.bulk_create(
            [Bugscache(bugzilla_id=bz, **values) for bz, values in rows.items() if bz not in existing]
        )
        changed = [
            Bugscache(id=existing[bz], bugzilla_id=bz, **values) for bz, values in rows.items() if bz in existing
        ]
        if changed:
            Bugscache.objects.bulk_update(changed, fields=list(next(iter(rows.values()))), batch_size=500)
        ids = list(Bugscache.objects.filter(bugzilla_id__in=list(rows)).values_list("id", flat=True))
        bugscache_index_refresh(ids)
    return ids
