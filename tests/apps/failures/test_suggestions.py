"""Bug suggestions (spec §3.4) against Treeherder's sample bug list, expected values from the rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.failures.models import Bugscache, BugscacheTrigram, BugscacheTrigramFrequency
from apps.failures.parsing.searchterms import clean_line, crash_signature, is_helpful, search_terms
from apps.failures.services.bugs import bugscache_index_refresh, bugzilla_bugs_store
from apps.failures.suggestions import bug_suggestions_for_lines, bugs_search

pytestmark = pytest.mark.django_db

BUGS = Path(__file__).resolve().parents[3] / "sample_data" / "bugs" / "bug_list.json"


@pytest.fixture
def bug_list() -> None:
    bugzilla_bugs_store(json.loads(BUGS.read_text())["bugs"])


def _ids(matches: list[Bugscache]) -> list[int | None]:
    return [bug.bugzilla_id for bug in matches]


def test_cleaning_and_search_terms() -> None:
    line = "12:34:56     INFO - GECKO(1234) | TEST-UNEXPECTED-FAIL | dom/a/test_b.html?x=1 | boom at foo.cpp:123"
    cleaned = clean_line(line)
    assert cleaned == "TEST-UNEXPECTED-FAIL | dom/a/test_b.html?x=1 | boom at foo.cpp:X"
    info = search_terms(cleaned)
    assert info.terms == ["test_b.html?x=1", "test_b.html"] and info.path_end == "dom/a/test_b.html?x=1"
    assert clean_line("[12345] [Child 345, Main Thread] WARNING") == "[Child X, Y Thread] WARNING"
    crash = "PROCESS-CRASH | application crashed [@ mozilla::foo::Bar] | dom/a/test_c.html"
    assert search_terms(crash).terms == ["application crashed [@ mozilla::foo::Bar]"]
    leak = "TEST-UNEXPECTED-FAIL | leakcheck | default 48 bytes leaked (Mutex, nsThread)"
    assert search_terms(leak).terms == ["Mutex, nsThread"]
    reftest = "REFTEST TEST-UNEXPECTED-FAIL | layout/a.html == layout/a-ref.html | image comparison"
    assert search_terms(reftest).terms == ["a.html"]
    marionette = "TEST-UNEXPECTED-FAIL | testing/marionette/harness/tests/test_x.py TestX.test_y | fail"
    assert search_terms(marionette).terms == ["test_x.py"]
    # An unhelpful term falls back to the whole line; an unhelpful line gives no term.
    assert search_terms("TEST-UNEXPECTED-TIMEOUT | automation.py | timed out after 370 s").terms == [
        "automation.py | timed out after 370 s"
    ]
    assert search_terms("Return code: 1").terms == [] and not is_helpful("gtest") and not is_helpful(" abcd ")
    assert len(search_terms("abort: " + "x" * 200).terms[0]) == 100
    assert crash_signature("x application crashed [@ js::Foo(int)] | y") == "js::Foo(int)"


def test_boundary_filter_and_open_recent_split(bug_list: None) -> None:
    found = bugs_search(
        [
            "standalone-without-folder.html",
            "slash-folder.html",
            "backslash.html",
            "listitem-001.html",
            "match-at-start.html",
            "incomplete",
            "Single Tracking Bug",
        ]
    )
    assert _ids(found["standalone-without-folder.html"].open_recent) == [1690234]  # after " ", not after "-"
    assert _ids(found["slash-folder.html"].open_recent) == [1690235]  # after "/"
    assert _ids(found["backslash.html"].open_recent) == [1690236]  # after "\"
    assert _ids(found["listitem-001.html"].open_recent) == [1690345]  # after ","
    assert _ids(found["match-at-start.html"].open_recent) == [1690456]  # at the start
    # Resolved bugs go to all_others; "incomplete" follows "/" in all three summaries.
    assert found["incomplete"].open_recent == []
    assert sorted(_ids(found["incomplete"].all_others)) == [202, 303, 404]
    # Case-insensitive; both "single tracking bug" summaries, the more similar first (shorter summary).
    assert sorted(_ids(found["Single Tracking Bug"].open_recent)) == [1, 453969]


def test_line_suggestions_merge_terms_and_fall_back_to_the_crash_signature(bug_list: None) -> None:
    wpt = "TEST-UNEXPECTED-FAIL | /a/standalone-without-folder.html?q=1 | whitespace"
    crash = "PROCESS-CRASH | application crashed [@ incomplete.html] | zzzz_no_such_test.js"
    none = "TEST-UNEXPECTED-FAIL | dom/zzzz_not_a_bug_anywhere.html | nothing"
    found = bug_suggestions_for_lines([wpt, crash, none, wpt])
    assert set(found) == {wpt, crash, none}
    assert found[wpt].search_terms == ["standalone-without-folder.html?q=1", "standalone-without-folder.html"]
    assert _ids(found[wpt].bugs.open_recent) == [1690234]
    # The crash line's own term matches nothing, so its signature is searched (and listed).
    assert found[crash].search_terms == ["application crashed [@ incomplete.html]", "incomplete.html"]
    assert sorted(_ids(found[crash].bugs.all_others)) == [303, 404]
    assert not found[none].bugs and found[none].path_end == "dom/zzzz_not_a_bug_anywhere.html"


def test_the_index_follows_summary_changes_and_a_batch_costs_constant_queries(bug_list: None) -> None:
    bug = Bugscache.objects.get(bugzilla_id=1690456)
    assert BugscacheTrigramFrequency.objects.get(trigram="mat").bugs >= 2
    bug.summary = "renamed.html | nothing at start"
    bug.save()
    bugscache_index_refresh([bug.id])
    assert not BugscacheTrigram.objects.filter(bug_id=bug.id, trigram="mat").exists()
    assert not bugs_search(["match-at-start.html"])["match-at-start.html"]
    assert _ids(bugs_search(["renamed.html"])["renamed.html"].open_recent) == [1690456]
    counts = []
    for n in (1, 20):
        lines = [f"TEST-UNEXPECTED-FAIL | dir/file_{i}.html | x" for i in range(n)] + ["abort: incomplete.js crash"]
        with CaptureQueriesContext(connection) as queries:
            bug_suggestions_for_lines(lines)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8
