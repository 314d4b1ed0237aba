"""update_bugscache: mirror Bugzilla's intermittent-failure bugs into Bugscache (domain spec §4).

One run:

1. **Changed bugs**: `GET {BUGZILLA_URL}/rest/bug?keywords=intermittent-failure&last_change_time=T`
   in pages of 500 (at most `max_pages`), T = the newest stored `modified` less 10 minutes (bugs
   changed while the last run was reading are read again), or a year ago on an empty table.
2. **Duplicates**, up to 10 rounds: fetch by id (`id=1,2,...`, 500 a request) the bugs the loaded
   ones are duplicates of and the duplicates they list, and the bugs job links point to that this
   run has not loaded, until nothing new is named. A `dupe_of` that cannot be fetched gets a
   placeholder row ("(no bug data fetched)", modified 1971-01-01), as Treeherder's.
3. **Open bugs**: each duplicate's chain is followed (at most 6 hops) to the bug that is not a
   duplicate; `dupe_of` is rewritten to that bug and `modified` to its modified. Job links on a
   duplicate move to the open bug (dropped when the job is linked to it already).
4. **Expiry** (only when step 1 found anything): bugs not modified for a year that no job links.

Every Bugscache write goes through `bugzilla_bugs_store`, which keeps the trigram index current.
`progress` receives one line per step (the management command prints them).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.http import OutboundError, http_get_json
from apps.failures.models import Bugscache
from apps.failures.services.bugs import bugscache_index_refresh, bugzilla_bugs_store

PAGE_SIZE = 500
MAX_ROUNDS = 10
MAX_CHAIN = 6
MAX_IDS_PER_ROUND = 5000  # 10 requests a round at most
OVERLAP = datetime.timedelta(minutes=10)
RETENTION = datetime.timedelta(days=365)
PLACEHOLDER_SUMMARY = "(no bug data fetched)"
PLACEHOLDER_MODIFIED = datetime.datetime(1971, 1, 1, tzinfo=datetime.UTC)
FIELDS = "id,summary,status,resolution,dupe_of,duplicates,cf_crash_signature,keywords,last_change_time,whiteboard"


@dataclass
class UpdateResult:
    changed: int = 0
    fetched_by_id: int = 0
    placeholders: int = 0
    duplicates_resolved: int = 0
    links_moved: int = 0
    links_dropped: int = 0
    expired: int = 0
    rounds: int = 0
    truncated: bool = False
    errors: list[str] = field(default_factory=list)


def _url(params: dict[str, Any]) -> str:
    return f"{settings.BUGZILLA_URL}/rest/bug?{urlencode({**params, 'include_fields': FIELDS})}"


def _bugs(page: Any) -> list[dict[str, Any]]:
    bugs = page.get("bugs") if isinstance(page, dict) else None
    return [b for b in bugs if isinstance(b, dict) and isinstance(b.get("id"), int)] if isinstance(bugs, list) else []


def changed_since() -> datetime.datetime:
    newest = Bugscache.objects.filter(bugzilla_id__isnull=False).exclude(summary=PLACEHOLDER_SUMMARY)
    latest = newest.aggregate(latest=Max("modified"))["latest"]
    return latest - OVERLAP if latest else timezone.now() - RETENTION


def bugscache_update(*, max_pages: int = 20, progress: Callable[[str], None] = lambda _line: None) -> UpdateResult:
    result = UpdateResult()
    since = changed_since()
    loaded: dict[int, dict[str, Any]] = {}
    for page_number in range(max_pages):
        params = {
            "keywords": "intermittent-failure",
            "last_change_time": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "limit": PAGE_SIZE,
            "offset": page_number * PAGE_SIZE,
        }
        try:
            bugs = _bugs(http_get_json(_url(params)))
        except OutboundError as exc:
            result.errors.append(str(exc))
            progress(f"changed bugs: page {page_number + 1} failed: {exc}")
            break
        bugzilla_bugs_store(bugs)
        loaded.update({b["id"]: b for b in bugs})
        progress(f"changed bugs since {params['last_change_time']}: page {page_number + 1}, {len(bugs)} bug(s)")
        if len(bugs) < PAGE_SIZE:
            break
    else:
        result.truncated = True
        progress(f"stopped after {max_pages} page(s); the next run goes on from the newest bug stored")
    result.changed = len(loaded)

    from apps.classification.models import BugJobMap

    linked: set[int] = {
        bz
        for bz in BugJobMap.objects.filter(bug__bugzilla_id__isnull=False)
        .values_list("bug__bugzilla_id", flat=True)
        .distinct()
        if bz is not None
    }
    wanted = _named(loaded.values()) | (linked if loaded else set())
    for round_number in range(1, MAX_ROUNDS + 1):
        wanted -= set(loaded)
        if not wanted:
            break
        result.rounds = round_number
        fetched: list[dict[str, Any]] = []
        ids = sorted(wanted)[:MAX_IDS_PER_ROUND]
        for i in range(0, len(ids), PAGE_SIZE):
            try:
                fetched += _bugs(http_get_json(_url({"id": ",".join(map(str, ids[i : i + PAGE_SIZE]))})))
            except OutboundError as exc:
                result.errors.append(str(exc))
                progress(f"duplicates round {round_number}: fetch failed: {exc}")
        bugzilla_bugs_store(fetched)
        for bug in fetched:
            loaded[bug["id"]] = bug
        result.fetched_by_id += len(fetched)
        progress(f"duplicates round {round_number}: asked for {len(ids)}, got {len(fetched)}")
        missing = wanted - {b["id"] for b in fetched}
        wanted = _named(fetched)
        loaded.update({bug_id: {"id": bug_id, "_missing": True} for bug_id in missing})

    result.placeholders = _placeholders()
    result.duplicates_resolved, result.links_moved, result.links_dropped = _resolve_duplicates()
    progress(
        f"duplicates: {result.duplicates_resolved} point at their open bug; job links moved "
        f"{result.links_moved}, dropped {result.links_dropped}; placeholders {result.placeholders}"
    )
    if result.changed:
        result.expired = _expire()
        progress(f"expired {result.expired} bug(s) unmodified for a year and linked to no job")
    return result


def _named(bugs: Iterable[dict[str, Any]]) -> set[int]:
    """The bugs these name: what they duplicate and their duplicates."""
    named: set[int] = set()
    for bug in bugs:
        if isinstance(bug.get("dupe_of"), int):
            named.add(bug["dupe_of"])
        named.update(d for d in bug.get("duplicates") or [] if isinstance(d, int))
    return named


def _placeholders() -> int:
    """A row for every dupe_of target that is not stored, so the chain can be followed later."""
    targets = {t for t in Bugscache.objects.filter(dupe_of__isnull=False).values_list("dupe_of", flat=True) if t}
    known = set(Bugscache.objects.filter(bugzilla_id__in=targets).values_list("bugzilla_id", flat=True))
    missing = sorted(targets - known)
    if missing:
        Bugscache.objects.bulk_create(
            [
                Bugscache(bugzilla_id=bug_id, status="", summary=PLACEHOLDER_SUMMARY, modified=PLACEHOLDER_MODIFIED)
                for bug_id in missing
            ],
            ignore_conflicts=True,
        )
        bugscache_index_refresh(Bugscache.objects.filter(bugzilla_id__in=missing).values_list("id", flat=True))
    return len(missing)


def _resolve_duplicates() -> tuple[int, int, int]:
    from apps.classification.models import BugJobMap

    rows = {
        bz: (row_id, dupe_of, modified)
        for row_id, bz, dupe_of, modified in Bugscache.objects.filter(bugzilla_id__isnull=False).values_list(
            "id", "bugzilla_id", "dupe_of", "modified"
        )
    }
    resolved = moved = dropped = 0
    to_open: dict[int, int] = {}  # duplicate's row id -> its open bug's row id
    with transaction.atomic():
        for bz, (row_id, dupe_of, modified) in rows.items():
            if dupe_of is None:
                continue
            target, hops = dupe_of, 1
            while target in rows and hops < MAX_CHAIN:
                following = rows[target][1]
                if following is None:
                    break
                target, hops = following, hops + 1
            if target not in rows or target == bz:
                continue
            open_id, _, open_modified = rows[target]
            to_open[row_id] = open_id
            resolved += 1
            if (dupe_of, modified) != (target, open_modified):
                Bugscache.objects.filter(id=row_id).update(dupe_of=target, modified=open_modified)
        links = list(BugJobMap.objects.filter(bug_id__in=list(to_open)).values_list("id", "job_id", "bug_id"))
        if links:
            on_open = set(BugJobMap.objects.filter(bug_id__in=set(to_open.values())).values_list("job_id", "bug_id"))
            for link_id, job_id, bug_id in links:
                target = to_open[bug_id]
                if (job_id, target) in on_open:
                    dropped += BugJobMap.objects.filter(id=link_id).delete()[0]
                else:
                    moved += BugJobMap.objects.filter(id=link_id).update(bug_id=target)
                    on_open.add((job_id, target))
    return resolved, moved, dropped


def _expire() -> int:
    from apps.classification.models import BugJobMap

    cutoff = timezone.now() - RETENTION
    stale = (
        Bugscache.objects.filter(modified__lt=cutoff)
        .exclude(id__in=BugJobMap.objects.values("bug_id"))
        .exclude(summary=PLACEHOLDER_SUMMARY)
    )
    return stale.delete()[0]
