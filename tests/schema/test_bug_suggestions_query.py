"""Job.textLogErrors.bugSuggestions over GraphQL: the shape, and constant SQL queries for a push."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apps.failures.services.bugs import bugzilla_bugs_store
from apps.jobs.models import Job
from tests.factories.failures import TextLogErrorFactory
from tests.factories.jobs import JobFactory
from tests.factories.pushes import PushFactory
from tests.support.graphql import graphql_request

pytestmark = pytest.mark.django_db

BUGS = Path(__file__).resolve().parents[2] / "sample_data" / "bugs" / "bug_list.json"
QUERY = """
query ($id: ID!) {
  push(id: $id) {
    jobs(filter: {result: [TESTFAILED]}) {
      nodes {
        databaseId
        textLogErrors {
          lineNumber
          bugSuggestions {
            search searchTerms pathEnd
            openRecent { bugzillaId summary occurrences }
            allOthers { bugzillaId resolution }
          }
        }
      }
    }
  }
}
"""
# push, job page, error lines, then suggestions: trigram frequencies, candidates, candidate bugs.
QUERIES = 6


def _push_with_failures(jobs: int) -> Any:
    push = PushFactory()
    for j in range(jobs):
        job = JobFactory(push=push, repository=push.repository, result=Job.Result.TESTFAILED)
        TextLogErrorFactory(job=job, line_number=10, line=f"TEST-UNEXPECTED-FAIL | a/slash-folder.html | x{j}")
        TextLogErrorFactory(job=job, line_number=20, line=f"TEST-UNEXPECTED-FAIL | b/incomplete.js | no bug {j}")
        TextLogErrorFactory(job=job, line_number=30, line=f"TEST-UNEXPECTED-FAIL | c/test_{j}_nothing.html | none")
    return push


@pytest.mark.parametrize("jobs", [1, 10])
def test_a_push_of_failed_jobs_gets_its_suggestions_in_constant_queries(
    reference_data: None, django_assert_num_queries: Any, jobs: int
) -> None:
    bugzilla_bugs_store(json.loads(BUGS.read_text())["bugs"])
    push = _push_with_failures(jobs)

    with django_assert_num_queries(QUERIES):
        body = graphql_request(QUERY, {"id": str(push.id)})

    assert "errors" not in body, body.get("errors")
    nodes = body["data"]["push"]["jobs"]["nodes"]
    assert len(nodes) == jobs
    first = nodes[0]["textLogErrors"]
    assert first[0]["bugSuggestions"]["searchTerms"] == ["slash-folder.html"]
    assert first[0]["bugSuggestions"]["pathEnd"] == "a/slash-folder.html"
    assert [b["bugzillaId"] for b in first[0]["bugSuggestions"]["openRecent"]] == [1690235]
    assert first[0]["bugSuggestions"]["openRecent"][0]["occurrences"] is None  # a Bugzilla bug
    assert first[1]["bugSuggestions"]["openRecent"] == []
    assert [b["bugzillaId"] for b in first[1]["bugSuggestions"]["allOthers"]] == [202]  # resolved/as/incomplete.js
    assert first[2]["bugSuggestions"]["openRecent"] == first[2]["bugSuggestions"]["allOthers"] == []
