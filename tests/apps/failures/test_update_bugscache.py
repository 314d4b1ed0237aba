"""update_bugscache against the local server answering as Bugzilla's REST API (sample bug files)."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.classification.models import BugJobMap
from apps.failures.models import Bugscache
from apps.failures.services.bugzilla import bugscache_update
from apps.failures.suggestions import bugs_search
from devtools.sample_services import failing_log_bugs
from tests.factories.jobs import JobFactory

pytestmark = pytest.mark.django_db

# Open bug -> its duplicates, after following every chain (bugscache_population run-0 .. run-7).
MADE_UP = len(failing_log_bugs("2026-01-01T00:00:00Z"))
OPEN_TO_DUPLICATES = {
    1392106: {1442991, 1443801},
    1411358: {1204281},
    1662628: {1652208, 1660324, 1660719, 1660765, 1663081, 1663118, 1702255},
    1736534: set(),
}


@pytest.fixture
def bugzilla(settings: Any, sample_services: Any) -> Any:
    settings.BUGZILLA_URL = sample_services.url
    sample_services.bugzilla_queries.clear()
    return sample_services


def test_update_follows_duplicates_to_the_open_bug_and_moves_job_links(bugzilla: Any) -> None:
    # A job linked to a duplicate, and one linked to both a duplicate and its open bug.
    # Stored by an earlier run a month ago (the sample bugs changed 20 days ago).
    month_ago = timezone.now() - datetime.timedelta(days=30)
    open_bug = Bugscache.objects.create(bugzilla_id=1662628, status="NEW", summary="old", modified=month_ago)
    dup = Bugscache.objects.create(bugzilla_id=1702255, status="NEW", summary="old", modified=month_ago)
    job1, job2 = JobFactory(), JobFactory()
    BugJobMap.objects.create(job=job1, bug=dup)
    BugJobMap.objects.create(job=job2, bug=dup)
    BugJobMap.objects.create(job=job2, bug=open_bug)

    out = StringIO()
    call_command("update_bugscache", stdout=out)

    for open_id, duplicates in OPEN_TO_DUPLICATES.items():
        assert Bugscache.objects.get(bugzilla_id=open_id).dupe_of is None
        assert set(Bugscache.objects.filter(dupe_of=open_id).values_list("bugzilla_id", flat=True)) == duplicates
    bug = Bugscache.objects.get(bugzilla_id=1652208)
    assert (bug.status, bug.resolution, bug.crash_signature, bug.keywords) == (
        "RESOLVED",
        "DUPLICATE",
        "[@ some::mock_signature]",
        "intermittent-failure",
    )
    assert bug.whiteboard == "[we have to do something about this][it's urgent]"
    assert bug.modified == Bugscache.objects.get(bugzilla_id=1662628).modified  # inherits the open bug's
    # The 14 bugs of the duplicate chains, the 28 of bug_list.json and the sample server's made-up
    # bugs for its failing logs; no placeholder is left.
    assert Bugscache.objects.count() == 14 + 28 + MADE_UP
    assert not Bugscache.objects.filter(summary="(no bug data fetched)").exists()
    # Job links on the duplicate moved to the open bug; a job already on the open bug keeps one link.
    assert sorted(BugJobMap.objects.values_list("job_id", "bug__bugzilla_id")) == sorted(
        [(job1.id, 1662628), (job2.id, 1662628)]
    )
    # Summaries are searchable at once (the trigram index follows every write).
    assert [b.bugzilla_id for b in bugs_search(["set_window_rect"])["set_window_rect"].open_recent] == [1702255]
    text = out.getvalue()
    assert "changed bugs since" in text and "duplicates round 1" in text and "done:" in text


def test_update_is_incremental_and_bounded(bugzilla: Any) -> None:
    first = bugscache_update(max_pages=1)
    assert first.changed == 28 + 5 + MADE_UP  # the changed bugs: one page
    newest = Bugscache.objects.exclude(summary="(no bug data fetched)").order_by("-modified").first()
    assert newest is not None
    bugzilla.bugzilla_queries.clear()
    bugscache_update(max_pages=1)
    asked = bugzilla.bugzilla_queries[0]["last_change_time"][0]
    expected = newest.modified - datetime.timedelta(minutes=10)
    assert asked == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert Bugscache.objects.count() == 14 + 28 + MADE_UP  # a second run adds nothing

    # Bounded: pages of 500 (more than a page of changed bugs is read no further than max_pages).
    import apps.failures.services.bugzilla as bz

    Bugscache.objects.all().delete()
    bz_page = bz.PAGE_SIZE
    try:
        bz.PAGE_SIZE = 10
        bounded = bugscache_update(max_pages=2)
    finally:
        bz.PAGE_SIZE = bz_page
    assert bounded.truncated and bounded.changed == 20
