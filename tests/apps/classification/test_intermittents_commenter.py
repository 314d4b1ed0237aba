"""The intermittents commenter: failure counts per bug from bug links, Treeherder's thresholds and
comment text, posted to a local HTTP server standing in for Bugzilla (only with an API key)."""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

import pytest

from apps.classification.commenter import intermittents_comment
from apps.classification.models import BugJobMap
from apps.core.http import reset_pool
from apps.jobs.models import Job
from apps.pushes.models import Push
from tests.factories import (
    BugscacheFactory,
    JobFactory,
    MachinePlatformFactory,
    OptionCollectionFactory,
    OptionFactory,
    PushFactory,
    RepositoryFactory,
    UserFactory,
)
from tests.support.http_server import Request, serve_json

pytestmark = pytest.mark.django_db

TUESDAY = datetime.date(2026, 12, 1)
MONDAY = datetime.date(2026, 11, 30)
API_KEY = "bz-api-key-0123456789abcdef"


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def _failures(
    bug: Any, push: Push, count: int, *, platform: str = "linux64", options: tuple[str, ...] = ("opt",)
) -> None:
    """`count` jobs on `push` linked to `bug`, copied from one factory job (bulk, for big counts)."""
    option_hash = ""
    for name in options:
        collection = OptionCollectionFactory(option=OptionFactory(name=name))
        option_hash = collection.option_collection_hash
    template = JobFactory(
        push=push, machine_platform=MachinePlatformFactory(platform=platform), option_collection_hash=option_hash
    )
    jobs = [template]
    for _ in range(count - 1):
        copy = Job.objects.get(id=template.id)
        copy.id = None
        copy.guid = f"{uuid.uuid4()}/0"
        jobs.append(copy)
    Job.objects.bulk_create(jobs[1:])
    user = UserFactory()
    stored = Job.objects.filter(push=push, guid__in=[j.guid for j in jobs])
    BugJobMap.objects.bulk_create([BugJobMap(job=job, bug=bug, user=user) for job in stored])


@pytest.fixture
def bugs() -> dict[str, Any]:
    autoland = RepositoryFactory(name="autoland-c")
    central = RepositoryFactory(name="mozilla-central-c")
    tryrepo = RepositoryFactory(name="try-c", is_try_repo=True)
    yesterday = TUESDAY - datetime.timedelta(days=1)
    push_yesterday = PushFactory(repository=autoland, time=_at(yesterday))
    push_central = PushFactory(repository=central, time=_at(yesterday, 8))
    push_earlier = PushFactory(repository=autoland, time=_at(TUESDAY - datetime.timedelta(days=4)))
    push_try = PushFactory(repository=tryrepo, time=_at(yesterday))
    push_old = PushFactory(repository=autoland, time=_at(TUESDAY - datetime.timedelta(days=15)))
    push_today = PushFactory(repository=autoland, time=_at(TUESDAY, 1))
    frequent = BugscacheFactory(bugzilla_id=1001)
    rare = BugscacheFactory(bugzilla_id=1002)
    try_only = BugscacheFactory(bugzilla_id=1003)
    chronic = BugscacheFactory(bugzilla_id=1004)
    # frequent: 16 yesterday (10 autoland linux64 opt, 6 central windows debug), 20 earlier this week.
    _failures(frequent, push_yesterday, 10)
    _failures(frequent, push_central, 6, platform="windows11-64", options=("debug",))
    _failures(frequent, push_earlier, 20)
    _failures(rare, push_yesterday, 3)
    _failures(try_only, push_try, 40)
    _failures(chronic, push_earlier, 5)
    _failures(chronic, push_old, 150)
    _failures(frequent, push_today, 4)  # today: not in any period yet
    return {"frequent": frequent, "rare": rare, "chronic": chronic}


def _bugzilla(whiteboards: dict[int, str]) -> Any:
    def answer(request: Request) -> tuple[int, Any]:
        if request.method == "GET" and request.path == "/rest/bug":
            ids = [int(i) for i in request.query["id"][0].split(",")]
            return 200, {"bugs": [{"id": i, "whiteboard": whiteboards.get(i, ""), "priority": "P3"} for i in ids]}
        if request.method == "PUT" and request.path.startswith("/rest/bug/"):
            if request.headers.get("x-bugzilla-api-key") != API_KEY:
                return 401, {"error": True}
            return 200, {"bugs": [{"id": int(request.path.rsplit("/", 1)[1]), "changes": {}}]}
        return 404, {"error": True}

    return serve_json(answer)


EXPECTED_DAILY = """16 failures were associated with this bug yesterday.

## Repository breakdown:
* autoland-c: 10
* mozilla-central-c: 6

## Platform breakdown:
* linux64: 10 (opt: 10)
* windows11-64: 6 (debug: 6)

## For more details, see:
https://treeherder.mozilla.org/intermittent-failures/bugdetails?bug=1001&startday=2026-11-30&endday=2026-11-30&tree=all"""


def test_daily_without_an_api_key_prints_and_posts_nothing(settings: Any, bugs: dict[str, Any]) -> None:
    printed: list[str] = []
    with _bugzilla({}) as bugzilla:
        settings.BUGZILLA_URL = bugzilla.url
        settings.BUGZILLA_API_KEY = ""
        reset_pool()
        result = intermittents_comment(mode="auto", today=TUESDAY, output=printed.append)

    assert result.weekly is False  # auto on a Tuesday
    assert [change.bug_id for change in result.changes] == [1001]  # only it reached 15 yesterday
    assert result.changes[0].comment == EXPECTED_DAILY
    assert (result.posted, result.printed) == (0, 1)
    assert printed[0].startswith("Bug 1001 (not posted") and EXPECTED_DAILY in printed[0]
    assert [r.method for r in bugzilla.requests] == ["GET"]  # bug details only, no PUT
    reset_pool()


def test_weekly_with_an_api_key_posts_ranks_priorities_and_whiteboards(
    settings: Any, bugs: dict[str, Any], caplog: Any
) -> None:
    whiteboards = {1002: "[stockwell needswork:owner]", 1004: "[stockwell unknown]"}
    caplog.set_level(logging.DEBUG)
    with _bugzilla(whiteboards) as bugzilla:
        settings.BUGZILLA_URL = bugzilla.url
        settings.BUGZILLA_API_KEY = API_KEY
        reset_pool()
        result = intermittents_comment(mode="weekly", today=TUESDAY + datetime.timedelta(days=1))
        on_monday = intermittents_comment(mode="auto", today=MONDAY, dry_run=True, output=lambda text: None)

    assert result.weekly is True and on_monday.weekly is True  # auto is weekly on Mondays
    assert (result.posted, result.printed) == (3, 0)
    puts = {int(r.path.rsplit("/", 1)[1]): r.body for r in bugzilla.requests if r.method == "PUT"}
    assert set(puts) == {1001, 1002, 1004}  # not the try-only bug
    frequent = puts[1001]["comment"]["body"]
    assert frequent.startswith(
        "40 failures were associated with this bug in the last 7 days.\nThis is the #1 most frequent failure this week."
    )
    assert "**This failure happened more than 30 times this week! Resolving this bug is a high priority.**" in frequent
    assert "whiteboard" not in puts[1001]
    assert puts[1002]["whiteboard"] == "[stockwell unknown]"  # under 20 a week: needswork -> unknown
    assert puts[1002]["comment"]["body"].startswith(
        "3 failures were associated with this bug in the last 7 days.\nThis is the #3 most frequent failure this week."
    )
    chronic = puts[1004]
    assert chronic["whiteboard"] == "[stockwell disable-recommended]"  # 155 in 21 days
    assert "It should be disabled until it can be fixed." in chronic["comment"]["body"]
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
    reset_pool()
