"""One job with everything the job details panel shows, and job pages with filters."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest

from apps.jobs.models import FailureClassification, Job
from tests.factories import (
    BugJobMapFactory,
    BugscacheFactory,
    FailureLineFactory,
    JobFactory,
    JobLogFactory,
    JobNoteFactory,
    JobTypeFactory,
    OptionCollectionFactory,
    OptionFactory,
    PushFactory,
    RepositoryFactory,
    TaskclusterMetadataFactory,
    TextLogErrorFactory,
    UserFactory,
)
from tests.schema.builders import build_tree
from tests.support.graphql import graphql_request

DETAILS = """
  id databaseId guid taskId retryId state result tier who reason
  submitTime startTime endTime duration lastModified
  jobType { name symbol } jobGroup { name symbol } platform { platform } options machine { name }
  failureClassification { databaseId name }
  logs { name url parseStatus }
  textLogErrors { line lineNumber newFailure }
  failureLines { action line test status expected message level knownIntermittent }
  notes { text who failureClassification { name } }
  bugLinks { who bugOpen bug { databaseId bugzillaId summary status keywords } }
  push { databaseId } repository { name }
"""


@pytest.fixture
def detailed_job(reference_data: None) -> Job:
    push = PushFactory(repository=RepositoryFactory(name="jobs-test"))
    OptionCollectionFactory(option=OptionFactory(name="asan"), option_collection_hash="h-asan-opt")
    OptionCollectionFactory(option=OptionFactory(name="opt"), option_collection_hash="h-asan-opt")
    job = JobFactory(
        guid="037e6659-346e-426c-a3f3-cc8c9c81747c/0",
        push=push,
        state=Job.State.COMPLETED,
        result=Job.Result.TESTFAILED,
        tier=2,
        who="dev@mozilla.com",
        reason="retrigger",
        option_collection_hash="h-asan-opt",
        job_type=JobTypeFactory(name="test-linux64/asan-mochitest-1", symbol="M1"),
        submit_time=datetime.datetime(2026, 2, 1, 10, 0, tzinfo=datetime.UTC),
        start_time=datetime.datetime(2026, 2, 1, 10, 5, tzinfo=datetime.UTC),
        end_time=datetime.datetime(2026, 2, 1, 10, 47, 29, tzinfo=datetime.UTC),
        failure_classification_id=FailureClassification.INTERMITTENT,
    )
    TaskclusterMetadataFactory(job=job, task_id="A35mWTRuQmyj88yMnIF0fA", retry_id=0)
    JobLogFactory(job=job, name="live_backing_log", url="https://tc.example/live_backing.log", status=1)
    summary = JobLogFactory(job=job, name="errorsummary_json", url="https://tc.example/errorsummary.log", status=3)
    TextLogErrorFactory(job=job, line="TEST-UNEXPECTED-FAIL | b.html | second", line_number=20, new_failure=True)
    TextLogErrorFactory(job=job, line="TEST-UNEXPECTED-FAIL | a.html | first", line_number=10)
    FailureLineFactory(job_log=summary, line=3, test="a.html", known_intermittent=["TIMEOUT"])
    sheriff = UserFactory(email="sheriff@mozilla.com")
    JobNoteFactory(job=job, user=sheriff, text="intermittent, see bug")
    BugJobMapFactory(
        job=job,
        user=None,
        bug_open=True,
        bug=BugscacheFactory(
            bugzilla_id=1234567, summary="Intermittent a.html", keywords="intermittent-failure, leave-open"
        ),
    )
    return job


def test_job_details(detailed_job: Job) -> None:
    job = detailed_job
    body = graphql_request(f"{{ job(id: {job.id}) {{ {DETAILS} }} }}")

    assert "errors" not in body, body
    data = body["data"]["job"]
    assert data["lastModified"] == job.last_modified.isoformat()
    assert data["failureLines"][0]["action"] == "test_result"
    del data["lastModified"]
    assert data == {
        "id": base64.b64encode(f"Job:{job.id}".encode()).decode(),
        "databaseId": job.id,
        "guid": "037e6659-346e-426c-a3f3-cc8c9c81747c/0",
        "taskId": "A35mWTRuQmyj88yMnIF0fA",
        "retryId": 0,
        "state": "COMPLETED",
        "result": "TESTFAILED",
        "tier": 2,
        "who": "dev@mozilla.com",
        "reason": "retrigger",
        "submitTime": "2026-02-01T10:00:00+00:00",
        "startTime": "2026-02-01T10:05:00+00:00",
        "endTime": "2026-02-01T10:47:29+00:00",
        "duration": 42,  # 42 min 29 s rounds to 42
        "jobType": {"name": "test-linux64/asan-mochitest-1", "symbol": "M1"},
        "jobGroup": {"name": "Mochitests", "symbol": "M"},
        "platform": {"platform": "linux64"},
        "options": ["asan", "opt"],
        "machine": {"name": job.machine.name},
        "failureClassification": {"databaseId": 4, "name": "intermittent"},
        "logs": [
            {"name": "live_backing_log", "url": "https://tc.example/live_backing.log", "parseStatus": "PARSED"},
            {"name": "errorsummary_json", "url": "https://tc.example/errorsummary.log", "parseStatus": "SKIPPED_SIZE"},
        ],
        "textLogErrors": [
            {"line": "TEST-UNEXPECTED-FAIL | b.html | second", "lineNumber": 20, "newFailure": True},
            {"line": "TEST-UNEXPECTED-FAIL | a.html | first", "lineNumber": 10, "newFailure": False},
        ],
        "failureLines": [
            {
                "action": "test_result",
                "line": 3,
                "test": "a.html",
                "status": "FAIL",
                "expected": "PASS",
                "message": "assertion failed",
                "level": "error",
                "knownIntermittent": ["TIMEOUT"],
            }
        ],
        "notes": [
            {
                "text": "intermittent, see bug",
                "who": "sheriff@mozilla.com",
                "failureClassification": {"name": "intermittent"},
            }
        ],
        "bugLinks": [
            {
                "who": "autoclassifier",
                "bugOpen": True,
                "bug": {
                    "databaseId": job.bug_links.get().bug_id,
                    "bugzillaId": 1234567,
                    "summary": "Intermittent a.html",
                    "status": "NEW",
                    "keywords": ["intermittent-failure", "leave-open"],
                },
            }
        ],
        "push": {"databaseId": job.push_id},
        "repository": {"name": "jobs-test"},
    }


def test_job_by_guid_global_id_and_node(detailed_job: Job) -> None:
    global_id = base64.b64encode(f"Job:{detailed_job.id}".encode()).decode()

    by_guid = graphql_request(f'{{ job(guid: "{detailed_job.guid}") {{ databaseId taskId }} }}')
    by_global = graphql_request(f'{{ job(id: "{global_id}") {{ databaseId taskId }} }}')
    node = graphql_request(f'{{ node(id: "{global_id}") {{ id ... on Job {{ databaseId taskId }} }} }}')

    expected = {"databaseId": detailed_job.id, "taskId": "A35mWTRuQmyj88yMnIF0fA"}
    assert by_guid["data"]["job"] == expected
    assert by_global["data"]["job"] == expected
    assert node["data"]["node"] == {"id": global_id, **expected}


def test_job_arguments_are_checked(detailed_job: Job) -> None:
    both = graphql_request(f'{{ job(id: 1, guid: "{detailed_job.guid}") {{ id }} }}')
    neither = graphql_request("{ job { id } }")

    assert both["errors"][0]["message"] == "Give exactly one of `id` and `guid`."
    assert neither["errors"][0]["message"] == "Give exactly one of `id` and `guid`."
    assert graphql_request('{ job(guid: "nope/0") { id } }')["data"] == {"job": None}
    assert graphql_request("{ job(id: 987654321) { id } }")["data"] == {"job": None}


JOBS = """
query ($filter: JobFilter, $first: Int!, $after: String, $pushIds: [Int!], $repository: String) {
  jobs(filter: $filter, first: $first, after: $after, pushIds: $pushIds, repository: $repository) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { databaseId } }
  }
}
"""


def _ids(**variables: Any) -> list[int]:
    if "pushIds" not in variables:
        variables.setdefault("repository", "autoland-test")  # build_tree's repository
    body = graphql_request(JOBS, {"first": 2000, **variables})
    assert "errors" not in body, body
    return [e["node"]["databaseId"] for e in body["data"]["jobs"]["edges"]]


def test_jobs_filters(reference_data: None) -> None:
    tree = build_tree(pushes=2, jobs_per_push=5)
    jobs = tree.jobs
    all_ids = [j.id for j in jobs]

    def where(pred: Any) -> list[int]:
        expected = [j.id for j in jobs if pred(j)]
        # Every filter below selects some jobs and leaves others out, so it is really tested.
        assert 0 < len(expected) < len(jobs)
        return expected

    assert _ids() == all_ids
    assert _ids(filter={"result": ["TESTFAILED", "SUPERSEDED"]}) == where(
        lambda j: j.result in ("testfailed", "superseded")
    )
    assert _ids(filter={"state": ["RUNNING", "PENDING"]}) == where(lambda j: j.state in ("running", "pending"))
    assert _ids(filter={"tier": [1]}) == where(lambda j: j.tier == 1)
    assert _ids(filter={"platform": "windows11-64"}) == where(lambda j: j.machine_platform.platform == "windows11-64")
    assert _ids(filter={"option": "debug"}) == where(
        lambda j: j.option_collection_hash == jobs[1].option_collection_hash
    )
    assert _ids(filter={"search": "MOCHITEST-2"}) == where(lambda j: j.job_type.name == "test-mochitest-2")
    assert _ids(filter={"search": "b"}) == where(lambda j: j.job_group.symbol == "B")
    assert _ids(filter={"jobTypeSymbol": "m1"}) == where(lambda j: j.job_type.symbol == "m1")
    assert _ids(filter={"jobTypeName": "test-mochitest-0"}) == where(lambda j: j.job_type.symbol == "m0")
    assert _ids(filter={"jobGroupSymbol": "M"}) == where(lambda j: j.job_group.symbol == "M")
    assert _ids(filter={"failureClassificationId": [4]}) == where(lambda j: j.failure_classification_id == 4)
    assert _ids(pushIds=[tree.pushes[1].id]) == where(lambda j: j.push_id == tree.pushes[1].id)
    assert _ids(repository="autoland-test") == all_ids
    assert _ids(repository="mozilla-central") == []
    assert _ids(filter={"result": ["TESTFAILED"], "tier": [2]}) == []


def test_jobs_needs_a_repository_or_push_ids(reference_data: None) -> None:
    """Without either, a filter that matches nothing would read the whole job table."""
    body = graphql_request(JOBS, {"first": 10, "filter": {"search": "zzz"}})
    assert body["errors"][0]["message"] == "jobs: name a `repository` or `pushIds`."


def test_jobs_last_modified_after(reference_data: None) -> None:
    tree = build_tree(pushes=1, jobs_per_push=3)
    changed = tree.jobs[1]
    Job.objects.filter(id=changed.id).update(last_modified=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC))

    assert _ids(filter={"lastModifiedAfter": "2029-12-31T23:59:59+00:00"}) == [changed.id]


def test_jobs_keyset_pages_cover_every_job_once(reference_data: None) -> None:
    tree = build_tree(pushes=3, jobs_per_push=3)
    seen: list[int] = []
    after = None
    while True:
        body = graphql_request(JOBS, {"first": 4, "after": after, "repository": "autoland-test"})
        page = body["data"]["jobs"]
        seen += [e["node"]["databaseId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]

    assert seen == [j.id for j in tree.jobs]


def test_push_jobs_pages(reference_data: None) -> None:
    tree = build_tree(pushes=2, jobs_per_push=3)
    query = """
    query ($after: String) {
      pushes(repository: "autoland-test") {
        nodes { databaseId jobs(first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { databaseId } } }
      }
    }
    """
    first = graphql_request(query)["data"]["pushes"]["nodes"]
    newest = first[0]["jobs"]

    assert [n["databaseId"] for n in newest["nodes"]] == [j.id for j in tree.jobs[3:5]]
    assert newest["pageInfo"]["hasNextPage"] is True
    rest = graphql_request(query, {"after": newest["pageInfo"]["endCursor"]})["data"]["pushes"]["nodes"]
    assert [n["databaseId"] for n in rest[0]["jobs"]["nodes"]] == [tree.jobs[5].id]
    assert rest[0]["jobs"]["pageInfo"] == {"hasNextPage": False, "endCursor": rest[0]["jobs"]["pageInfo"]["endCursor"]}


def test_failure_classifications(reference_data: None) -> None:
    body = graphql_request("{ failureClassifications { databaseId name } }")

    assert [c["databaseId"] for c in body["data"]["failureClassifications"]] == list(range(1, 9))
    assert body["data"]["failureClassifications"][5] == {"databaseId": 6, "name": "new failure not classified"}


def test_push_jobs_with_different_arguments_batch_per_shape(
    reference_data: None, django_assert_num_queries: Any
) -> None:
    tree = build_tree(pushes=3, jobs_per_push=5)
    query = """
    {
      pushes(repository: "autoland-test") {
        nodes {
          databaseId
          failed: jobs(filter: {result: [TESTFAILED]}) { nodes { databaseId } }
          firstTwo: jobs(first: 2) { nodes { databaseId } }
        }
      }
    }
    """

    # repository, pushes, then one job query per distinct page shape (not per push).
    with django_assert_num_queries(4):
        nodes = graphql_request(query)["data"]["pushes"]["nodes"]

    for node, push in zip(nodes, reversed(tree.pushes), strict=True):
        jobs = [j for j in tree.jobs if j.push_id == push.id]
        assert node["databaseId"] == push.id
        assert [n["databaseId"] for n in node["failed"]["nodes"]] == [j.id for j in jobs if j.result == "testfailed"]
        assert [n["databaseId"] for n in node["firstTwo"]["nodes"]] == [j.id for j in jobs[:2]]
