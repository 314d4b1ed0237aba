"""Push Health over GraphQL: the rules on a made-up push, and a page of pushes in constant queries."""

from __future__ import annotations

from typing import Any

import pytest

from apps.jobs.models import Job
from tests.factories.failures import FailureLineFactory
from tests.factories.jobs import JobFactory, JobTypeFactory, MachinePlatformFactory
from tests.factories.pushes import PushFactory
from tests.factories.repositories import RepositoryFactory
from tests.support.graphql import graphql_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

HEALTH = """
query ($repo: String!, $rev: String!) {
  pushHealth(repository: $repo, revision: $rev) {
    revision
    summary {
      result needInvestigation
      tests { name result jobs failures needInvestigation inProgress }
      builds { result failures }
      linting { result failures }
    }
    failures { category classification failedTests job { databaseId } }
  }
}
"""
SUMMARIES = """
query ($repo: String!, $first: Int!) {
  pushes(repository: $repo, first: $first) {
    edges { node { revision healthSummary { result needInvestigation tests { result } builds { result } } } }
  }
}
"""


def _job(push: Any, name: str, result: str, fc: int = 1, tier: int = 1, platform: Any = None) -> Job:
    kwargs = {"machine_platform": platform} if platform else {}
    job = JobFactory(
        push=push, repository=push.repository, job_type=JobTypeFactory(name=name), result=result, tier=tier, **kwargs
    )
    job.failure_classification_id = fc
    job.save()
    return job


def test_push_health_classifies_failures_by_the_rules() -> None:
    push = PushFactory()
    lint_platform = MachinePlatformFactory(platform="lint")
    new = _job(push, "test-linux64/opt-mochitest-1", Job.Result.TESTFAILED, fc=6)
    FailureLineFactory(job_guid=new.guid, repository=push.repository, action="test_result", test="dom/a.html")
    FailureLineFactory(job_guid=new.guid, repository=push.repository, action="log", test="")
    known = _job(push, "test-linux64/opt-mochitest-2", Job.Result.TESTFAILED, fc=8)
    fixed = _job(push, "test-linux64/opt-xpcshell-1", Job.Result.TESTFAILED, fc=2)
    _job(push, "test-linux64/opt-mochitest-3", Job.Result.SUCCESS)
    _job(push, "test-linux64/opt-mochitest-4", Job.Result.UNKNOWN)  # still running
    _job(push, "test-linux64/opt-tier3-1", Job.Result.TESTFAILED, tier=3)  # tier 3: not counted
    busted = _job(push, "build-linux64/opt", Job.Result.BUSTED, fc=4)  # a build failure counts even classified
    _job(push, "Build-Win64/debug", Job.Result.SUCCESS)
    _job(push, "source-test-mozlint-eslint", Job.Result.SUCCESS, platform=lint_platform)

    body = graphql_request(HEALTH, {"repo": push.repository.name, "rev": push.revision})

    assert "errors" not in body, body.get("errors")
    health = body["data"]["pushHealth"]
    assert health["summary"] == {
        "result": "FAIL",
        "needInvestigation": 2,  # the NEW test failure and the busted build
        "tests": {"name": "Tests", "result": "FAIL", "jobs": 5, "failures": 3, "needInvestigation": 1, "inProgress": 1},
        "builds": {"result": "FAIL", "failures": 1},
        "linting": {"result": "PASS", "failures": 0},
    }
    assert [(f["category"], f["classification"], f["job"]["databaseId"]) for f in health["failures"]] == [
        ("test", "NEEDS_INVESTIGATION", new.id),
        ("test", "KNOWN_INTERMITTENT", known.id),
        ("test", "FIXED_BY_COMMIT", fixed.id),
        ("build", "KNOWN_INTERMITTENT", busted.id),
    ]
    assert health["failures"][0]["failedTests"] == ["dom/a.html"]
    assert graphql_request(HEALTH, {"repo": push.repository.name, "rev": "0" * 40})["data"]["pushHealth"] is None


def test_verdicts_pass_unknown_none() -> None:
    repo = RepositoryFactory()
    green, running, empty, classified = (PushFactory(repository=repo) for _ in range(4))
    _job(green, "test-a-1", Job.Result.SUCCESS)
    _job(running, "test-a-1", Job.Result.UNKNOWN)
    _job(classified, "test-a-1", Job.Result.TESTFAILED, fc=4)
    body = graphql_request(SUMMARIES, {"repo": repo.name, "first": 10})
    verdicts = {e["node"]["revision"]: e["node"]["healthSummary"] for e in body["data"]["pushes"]["edges"]}
    assert verdicts[green.revision]["result"] == "PASS"
    assert verdicts[running.revision]["result"] == "UNKNOWN"
    assert verdicts[empty.revision] == {
        "result": "PASS",
        "needInvestigation": 0,
        "tests": {"result": "NONE"},
        "builds": {"result": "NONE"},
    }
    assert verdicts[classified.revision]["result"] == "PASS"  # a known intermittent needs no investigation


@pytest.mark.parametrize("pushes", [1, 10])
def test_a_page_of_push_summaries_costs_constant_queries(django_assert_num_queries: Any, pushes: int) -> None:
    repo = RepositoryFactory()
    for _ in range(pushes):
        push = PushFactory(repository=repo)
        _job(push, "test-a-1", Job.Result.TESTFAILED)
        _job(push, "build-a", Job.Result.SUCCESS)
    with django_assert_num_queries(3):  # repository, pushes, one aggregate for every summary
        body = graphql_request(SUMMARIES, {"repo": repo.name, "first": pushes})
    assert [e["node"]["healthSummary"]["result"] for e in body["data"]["pushes"]["edges"]] == ["FAIL"] * pushes
