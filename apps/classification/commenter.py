"""The intermittents commenter (Treeherder's `run_intermittents_commenter`, daily; domain doc §4).

Per Bugzilla bug, the failures classified against it (bug links) in the period, broken down by
repository, platform and build type, rendered as Treeherder's comment and, only when
BUGZILLA_API_KEY is set, posted to Bugzilla (`PUT /rest/bug/<id>`, 0.5 s apart); otherwise each
comment is printed (logged) instead.

* **Daily**: yesterday; bugs with at least 15 failures.
* **Weekly** (`weekly`, or `auto` on Mondays): the 7 days up to yesterday; any bug with a failure.
  The 50 most frequent are ranked; at least 75 failures is priority 1, at least 30 priority 2; under
  20 failures a `[stockwell needswork...]` whiteboard marker becomes `[stockwell unknown]`.
* **Both**: more than 150 failures in the last 21 days recommends disabling the test
  (`[stockwell disable-recommended]`, unless the whiteboard already says fixed, infra or disable).

A failure counts by the time of its job's push, try repositories excluded (their failures are
people's experiments). Treeherder's "needswork:owner" triage of some Bugzilla components is not
reproduced (it needs Mozilla's component list).
"""

from __future__ import annotations

import datetime
import logging
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import urllib3
from django.conf import settings
from django.db.models import Count

from apps.classification.models import BugJobMap
from apps.core.http import OutboundError, http_get_json, url_is_allowed
from apps.jobs.models import OptionCollection

logger = logging.getLogger(__name__)

DAILY_THRESHOLD = 15
WEEKLY_THRESHOLD = 1
WEEKLY_TOP = 50
PRIORITY_1 = 75
PRIORITY_2 = 30
NEEDSWORK_BELOW = 20
DISABLE_DAYS = 21
DISABLE_ABOVE = 150
POST_PAUSE_SECONDS = 0.5
POST_TIMEOUT_SECONDS = 30
DETAILS_PER_REQUEST = 600

NEEDSWORK = re.compile(r"\s*\[stockwell needswork[^\]]*\]\s*")
STOCKWELL = re.compile(r"\[stockwell (.+?)\]")


@dataclass
class BugStats:
    total: int = 0
    per_repository: Counter[str] = field(default_factory=Counter)
    per_platform: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


@dataclass
class BugChange:
    bug_id: int
    total: int
    comment: str
    whiteboard: str | None = None
    priority: int = 0
    rank: int | None = None

    def as_bugzilla_changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {"comment": {"body": self.comment}}
        if self.whiteboard is not None:
            changes["whiteboard"] = self.whiteboard
        return changes


@dataclass(frozen=True)
class Period:
    start: datetime.datetime
    end: datetime.datetime  # exclusive

    @property
    def startday(self) -> str:
        return self.start.date().isoformat()

    @property
    def endday(self) -> str:
        return (self.end - datetime.timedelta(days=1)).date().isoformat()


def period(today: datetime.date, days: int) -> Period:
    """The `days` whole UTC days up to and including yesterday."""
    end = datetime.datetime.combine(today, datetime.time(), tzinfo=datetime.UTC)
    return Period(start=end - datetime.timedelta(days=days), end=end)


def _links(window: Period) -> Any:
    return BugJobMap.objects.filter(
        job__push__time__gte=window.start,
        job__push__time__lt=window.end,
        job__repository__is_try_repo=False,
        bug__bugzilla_id__isnull=False,
    )


def bug_stats(window: Period, threshold: int) -> dict[int, BugStats]:
    """Failures per Bugzilla bug id in the window, for bugs with at least `threshold` of them."""
    wanted = list(
        _links(window)
        .values("bug__bugzilla_id")
        .annotate(n=Count("id"))
        .filter(n__gte=threshold)
        .values_list("bug__bugzilla_id", flat=True)
    )
    build_types = {key: " ".join(sorted(names)) for key, names in _option_names().items()}
    stats: dict[int, BugStats] = {}
    rows = (
        _links(window)
        .filter(bug__bugzilla_id__in=wanted)
        .values_list(
            "bug__bugzilla_id",
            "job__repository__name",
            "job__machine_platform__platform",
            "job__option_collection_hash",
        )
    )
    for bug_id, repository, platform, option_hash in rows:
        entry = stats.setdefault(int(bug_id), BugStats())
        entry.total += 1
        entry.per_repository[repository] += 1
        entry.per_platform[platform][build_types.get(option_hash, "unknown build")] += 1
    return stats


def _option_names() -> dict[str, list[str]]:
    names: dict[str, list[str]] = defaultdict(list)
    for option_hash, name in OptionCollection.objects.values_list("option_collection_hash", "option__name"):
        names[option_hash].append(name)
    return names


def totals(window: Period, bug_ids: list[int]) -> dict[int, int]:
    rows = _links(window).filter(bug__bugzilla_id__in=bug_ids).values("bug__bugzilla_id").annotate(n=Count("id"))
    return {int(row["bug__bugzilla_id"]): int(row["n"]) for row in rows}


def render_comment(
    *, bug_id: int, stats: BugStats, weekly: bool, rank: int | None, priority: int, window: Period
) -> str:
    """Treeherder's comment.template, in Python."""
    lines = [f"{stats.total} failures were associated with this bug {'in the last 7 days' if weekly else 'yesterday'}."]
    if rank:
        lines.append(f"This is the #{rank} most frequent failure this week.")
    if priority == 1:
        lines += [
            "",
            f"**This failure happened more than {PRIORITY_1} times this week! Resolving this bug is a very high "
            "priority.**",
            "",
            "**Try to resolve this bug as soon as possible. If unresolved for 1 week, the affected test(s) may be "
            "disabled.**",
        ]
    elif priority == 2:
        lines += [
            "",
            f"**This failure happened more than {PRIORITY_2} times this week! Resolving this bug is a high priority.**",
            "",
            "**Try to resolve this bug as soon as possible. If unresolved for 2 weeks, the affected test(s) may be "
            "disabled.**",
        ]
    elif priority == 3:
        lines += [
            "",
            f"**This test has failed more than {DISABLE_ABOVE} times in the last {DISABLE_DAYS} days. It should be "
            "disabled until it can be fixed.**",
        ]
    lines += ["", "## Repository breakdown:"]
    lines += [f"* {repository}: {count}" for repository, count in sorted(stats.per_repository.items())]
    lines += ["", "## Platform breakdown:"]
    for platform, builds in sorted(stats.per_platform.items()):
        detail = ", ".join(f"{build}: {count}" for build, count in sorted(builds.items()))
        lines.append(f"* {platform}: {sum(builds.values())} ({detail})")
    lines += [
        "",
        "## For more details, see:",
        f"{settings.TREEHERDER_UI_URL}/intermittent-failures/bugdetails?bug={bug_id}"
        f"&startday={window.startday}&endday={window.endday}&tree=all",
    ]
    return "\n".join(lines)


def _disable_settled(whiteboard: str) -> bool:
    """The whiteboard already says fixed, infra or some disable: recommend nothing."""
    match = STOCKWELL.search(whiteboard)
    if not match:
        return False
    text = match.group(1).split(":")[0]
    return text in {"fixed", "infra"} or "disable" in text


def _bug_details(bug_ids: list[int], headers: dict[str, str]) -> dict[int, dict[str, Any]]:
    details: dict[int, dict[str, Any]] = {}
    for start in range(0, len(bug_ids), DETAILS_PER_REQUEST):
        ids = ",".join(str(bug_id) for bug_id in bug_ids[start : start + DETAILS_PER_REQUEST])
        url = f"{settings.BUGZILLA_URL}/rest/bug?id={ids}&include_fields=id,whiteboard,priority"
        try:
            data = http_get_json(url, headers=headers)
        except OutboundError as exc:
            logger.warning("intermittents commenter: bug details not fetched (%s); no whiteboard changes", exc)
            continue
        for bug in data.get("bugs", []) if isinstance(data, dict) else []:
            details[int(bug["id"])] = bug
    return details


def bug_changes(*, weekly: bool, today: datetime.date) -> list[BugChange]:
    window = period(today, 7 if weekly else 1)
    stats = bug_stats(window, WEEKLY_THRESHOLD if weekly else DAILY_THRESHOLD)
    if not stats:
        return []
    bug_ids = sorted(stats)
    long_totals = totals(period(today, DISABLE_DAYS), bug_ids)
    details = _bug_details(bug_ids, _headers())
    ranked = sorted(bug_ids, key=lambda bug_id: (-stats[bug_id].total, bug_id))[:WEEKLY_TOP] if weekly else []
    changes = []
    for bug_id in bug_ids:
        counts = stats[bug_id]
        rank = ranked.index(bug_id) + 1 if bug_id in ranked else None
        priority = 0
        whiteboard: str | None = None
        if weekly:
            priority = 1 if counts.total >= PRIORITY_1 else 2 if counts.total >= PRIORITY_2 else 0
        info = details.get(bug_id)
        if info is not None:
            current = str(info.get("whiteboard") or "")
            if weekly and counts.total < NEEDSWORK_BELOW and NEEDSWORK.search(current):
                whiteboard = NEEDSWORK.sub("", current).strip() + "[stockwell unknown]"
            if long_totals.get(bug_id, 0) > DISABLE_ABOVE and not _disable_settled(current):
                priority = 3
                cleaned = NEEDSWORK.sub("", current.replace("[stockwell unknown]", "")).strip()
                whiteboard = cleaned + "[stockwell disable-recommended]"
        comment = render_comment(
            bug_id=bug_id, stats=counts, weekly=weekly, rank=rank, priority=priority, window=window
        )
        changes.append(
            BugChange(
                bug_id=bug_id, total=counts.total, comment=comment, whiteboard=whiteboard, priority=priority, rank=rank
            )
        )
    return changes


def _headers() -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "treeherder-live intermittents commenter"}
    if settings.BUGZILLA_API_KEY:
        headers["X-BUGZILLA-API-KEY"] = settings.BUGZILLA_API_KEY
    return headers


def _post(pool: urllib3.PoolManager, change: BugChange) -> bool:
    # apps.core.http is GET-only (ingestion); a comment is one PUT, made here with urllib3 (what
    # production HTTP uses), the same allow-list, a timeout and 3 retries of connection errors. The
    # key travels in a header, never in the URL or a log line.
    url = f"{settings.BUGZILLA_URL}/rest/bug/{change.bug_id}"
    if not url_is_allowed(url):
        logger.error("intermittents commenter: %s is not in the outbound allow-list", settings.BUGZILLA_URL)
        return False
    try:
        response = pool.request(
            "PUT",
            url,
            json=change.as_bugzilla_changes(),
            headers=_headers(),
            timeout=urllib3.Timeout(total=POST_TIMEOUT_SECONDS),
            retries=urllib3.Retry(total=3, status=0, redirect=0),
        )
    except urllib3.exceptions.HTTPError as exc:
        logger.error("intermittents commenter: comment on bug %d failed (%s)", change.bug_id, type(exc).__name__)
        return False
    if response.status >= 400:
        logger.error("intermittents commenter: comment on bug %d failed (HTTP %d)", change.bug_id, response.status)
        return False
    return True


@dataclass
class CommenterResult:
    weekly: bool
    changes: list[BugChange]
    posted: int = 0
    printed: int = 0


def intermittents_comment(
    *,
    mode: str = "auto",
    today: datetime.date | None = None,
    dry_run: bool = False,
    output: Callable[[str], None] | None = None,
) -> CommenterResult:
    """Compose the comments and post them (with BUGZILLA_API_KEY, not a dry run) or print them."""
    today = today or datetime.datetime.now(tz=datetime.UTC).date()
    if mode not in {"auto", "daily", "weekly"}:
        raise ValueError(f"mode must be auto, daily or weekly, not {mode!r}")
    weekly = mode == "weekly" or (mode == "auto" and today.weekday() == 0)
    result = CommenterResult(weekly=weekly, changes=bug_changes(weekly=weekly, today=today))
    say = output or (lambda text: logger.info("%s", text))
    post = bool(settings.BUGZILLA_API_KEY) and not dry_run
    pool = urllib3.PoolManager()
    for index, change in enumerate(result.changes):
        if post:
            if index:
                time.sleep(POST_PAUSE_SECONDS)
            result.posted += _post(pool, change)
        else:
            whiteboard = f", whiteboard {change.whiteboard!r}" if change.whiteboard is not None else ""
            say(f"Bug {change.bug_id} (not posted: no BUGZILLA_API_KEY, or a dry run{whiteboard}):\n{change.comment}\n")
            result.printed += 1
    logger.info(
        "intermittents commenter (%s): %d comments, %d posted, %d printed",
        "weekly" if weekly else "daily",
        len(result.changes),
        result.posted,
        result.printed,
    )
    return result
