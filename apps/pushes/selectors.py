"""Reads for pushes: the push list (keyset pages, newest first), commits and status counts."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from apps.jobs.models import FailureClassification, Job
from apps.pushes.models import Commit, Push

FULL_REVISION_LENGTH = 40


@dataclass(frozen=True)
class PushFilter:
    """The push list's filters, as Treeherder's `push/` endpoint takes them.

    `author`: exact and case-insensitive; a leading "-" excludes that author instead.
    `revision`: the push's tip revision; shorter than 40 characters it matches as a prefix.
    `from_change` / `to_change`: revisions; pushes at or after / at or before that push's time.
    `since` / `until`: push time bounds, inclusive.
    """

    author: str | None = None
    revision: str | None = None
    from_change: str | None = None
    to_change: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


@dataclass(frozen=True)
class PushCursor:
    """Position in the newest-first push list: the last push seen, by (time, id)."""

    time: datetime.datetime
    id: int


@dataclass(frozen=True)
class PushPage:
    pushes: list[Push]
    has_next_page: bool


def _revision_time(*, repository_id: int, revision: str) -> datetime.datetime | None:
    q = Push.objects.filter(repository_id=repository_id)
    if len(revision) >= FULL_REVISION_LENGTH:
        q = q.filter(revision=revision)
    else:
        q = q.filter(revision__startswith=revision)
    return q.order_by("-time").values_list("time", flat=True).first()


def push_page(*, repository_id: int, first: int, after: PushCursor | None = None, filters: PushFilter) -> PushPage:
    """One page of a repository's pushes, newest first, by keyset on (time, id): no OFFSET.

    A `fromChange`/`toChange` revision that names no push gives an empty page, not every push.
    """
    qs = Push.objects.filter(repository_id=repository_id)
    if filters.author:
        # The collation is binary (exact unique keys), so `iexact` would be case-sensitive there.
        negate = filters.author.startswith("-")
        same_author = Exact(Lower("author"), filters.author.removeprefix("-").lower())
        qs = qs.exclude(same_author) if negate else qs.filter(same_author)
    if filters.revision:
        if len(filters.revision) >= FULL_REVISION_LENGTH:
            qs = qs.filter(revision=filters.revision)
        else:
            qs = qs.filter(revision__startswith=filters.revision)
    for revision, lookup in ((filters.from_change, "time__gte"), (filters.to_change, "time__lte")):
        if revision:
            at = _revision_time(repository_id=repository_id, revision=revision)
            if at is None:
                return PushPage(pushes=[], has_next_page=False)
            qs = qs.filter(**{lookup: at})
    if filters.since:
        qs = qs.filter(time__gte=filters.since)
    if filters.until:
        qs = qs.filter(time__lte=filters.until)
    if after is not None:
        qs = qs.filter(Q(time__lt=after.time) | Q(time=after.time, id__lt=after.id))
    rows = list(qs.order_by("-time", "-id")[: first + 1])
    return PushPage(pushes=rows[:first], has_next_page=len(rows) > first)


def pushes_by_ids(ids: Iterable[int]) -> dict[int, Push]:
    return Push.objects.in_bulk(list(ids))


def push_in_repositories(*, push_id: int, repository_ids: Iterable[int]) -> bool:
    """Whether the push exists and belongs to one of these repositories."""
    return Push.objects.filter(id=push_id, repository_id__in=list(repository_ids)).exists()


def push_get_by_revision(*, repository_name: str, revision: str) -> Push | None:
    qs = Push.objects.filter(repository__name=repository_name)
    if len(revision) >= FULL_REVISION_LENGTH:
        return qs.filter(revision=revision).first()
    return qs.filter(revision__startswith=revision).order_by("-time", "-id").first()


def commits_by_push_ids(push_ids: Iterable[int]) -> dict[int, list[Commit]]:
    """Every commit of each push, in id order (ingestion stores them oldest first)."""
    found: dict[int, list[Commit]] = defaultdict(list)
    for commit in Commit.objects.filter(push_id__in=list(push_ids)).order_by("push_id", "id"):
        found[commit.push_id].append(commit)
    return found


def push_status_counts(*, push_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Job counts per push, computed as Treeherder's `Push.get_status()` does, in one query.

    Only unclassified jobs ("not classified", or none) that are not tier 3 count. Completed jobs count
    under their result and in `completed`; other jobs under their state. `completed`, `pending` and
    `running` are always present; `coalesced` repeats `superseded` for older API consumers.
    """
    ids = list(push_ids)
    counts: dict[int, dict[str, int]] = {pid: {"completed": 0, "pending": 0, "running": 0} for pid in ids}
    rows = (
        Job.objects.filter(push_id__in=ids)
        # Treeherder also accepts a NULL classification; ours is NOT NULL, defaulting to 1.
        .filter(failure_classification_id=FailureClassification.NOT_CLASSIFIED)
        .exclude(tier=3)
        .values_list("push_id", "state", "result")
        .annotate(total=Count("id"))
        .order_by()
    )
    for push_id, state, result, total in rows:
        status = counts[push_id]
        if state == Job.State.COMPLETED:
            status[result] = total
            status["completed"] += total
        else:
            status[state] = total
    for status in counts.values():
        if "superseded" in status:
            status["coalesced"] = status["superseded"]
    return counts
