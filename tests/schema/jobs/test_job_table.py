"""The job table: typed columns, reference data once, keyset pages, only the selected columns read."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.jobs.models import Job
from apps.jobs.selectors.table import PUSH_ID_INDEX
from tests.schema.builders import build_tree
from tests.support.graphql import graphql_request

TABLE = """
query ($pushIds: [Int!]!, $first: Int!, $after: String, $filter: JobFilter) {
  jobTable(pushIds: $pushIds, first: $first, after: $after, filter: $filter) {
    count pageInfo { hasNextPage endCursor } lastModifiedMax
    id pushId guid taskId retryId state result tier failureClassificationId
    jobType jobGroup platform options signature who reason
    submitTime startTime endTime lastModified duration
    jobTypes { name symbol } jobGroups { symbol } platforms { platform } optionCollections { options } signatures
  }
}
"""


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _ms(value: datetime.datetime | None) -> int | None:
    # Exact integer arithmetic (a float timestamp can be off by one millisecond).
    return None if value is None else (value - EPOCH) // datetime.timedelta(milliseconds=1)


def test_columns_hold_each_jobs_values_in_push_and_id_order(reference_data: None) -> None:
    tree = build_tree(pushes=2, jobs_per_push=5)
    Job.objects.filter(id=tree.jobs[3].id).update(
        submit_time=datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC),
        start_time=None,
        end_time=datetime.datetime(2026, 3, 1, 12, 2, 31, tzinfo=datetime.UTC),
        state=Job.State.COMPLETED,
    )
    jobs = sorted(Job.objects.select_related("taskcluster_metadata", "signature"), key=lambda j: (j.push_id, j.id))

    body = graphql_request(TABLE, {"pushIds": [p.id for p in tree.pushes], "first": 100})

    assert "errors" not in body, body
    t = body["data"]["jobTable"]
    assert t["count"] == 10
    assert t["pageInfo"]["hasNextPage"] is False
    assert t["id"] == [j.id for j in jobs]
    assert t["pushId"] == [j.push_id for j in jobs]
    assert t["guid"] == [j.guid for j in jobs]
    assert t["taskId"] == [j.taskcluster_metadata.task_id for j in jobs]
    assert t["retryId"] == [j.taskcluster_metadata.retry_id for j in jobs]
    assert t["state"] == [j.state.upper() for j in jobs]
    assert t["result"] == [j.result.upper() for j in jobs]
    assert t["tier"] == [j.tier for j in jobs]
    assert t["failureClassificationId"] == [j.failure_classification_id for j in jobs]
    assert t["who"] == [j.who for j in jobs]
    assert t["reason"] == [j.reason for j in jobs]
    assert t["submitTime"] == [_ms(j.submit_time) for j in jobs]
    assert t["startTime"] == [_ms(j.start_time) for j in jobs]
    assert t["endTime"] == [_ms(j.end_time) for j in jobs]
    assert t["lastModified"] == [_ms(j.last_modified) for j in jobs]
    # Reference columns index into the lists, which hold each distinct row once.
    assert [t["jobTypes"][i]["symbol"] for i in t["jobType"]] == [j.job_type.symbol for j in jobs]
    assert [t["jobGroups"][i]["symbol"] for i in t["jobGroup"]] == [j.job_group.symbol for j in jobs]
    assert [t["platforms"][i]["platform"] for i in t["platform"]] == [j.machine_platform.platform for j in jobs]
    assert [t["signatures"][i] for i in t["signature"]] == [j.signature.signature for j in jobs]
    assert len(t["jobTypes"]) == 3 and len(t["jobGroups"]) == 2 and len(t["platforms"]) == 2
    assert sorted(tuple(c["options"]) for c in t["optionCollections"]) == [("debug",), ("opt",)]
    # 2 min 31 s from the submit time (no start time) rounds to 3; every other completed job ran
    # 30 minutes before its end, running ones count up to now.
    fixed = jobs.index(next(j for j in jobs if j.id == tree.jobs[3].id))
    assert t["duration"][fixed] == 3
    # The Job type computes the same minutes (running jobs count up to now: compare completed ones).
    objects = graphql_request(
        f"{{ jobs(pushIds: {[p.id for p in tree.pushes]}) {{ nodes {{ databaseId state duration }} }} }}"
    )["data"]["jobs"]["nodes"]
    by_id = dict(zip(t["id"], t["duration"], strict=True))
    completed = [n for n in objects if n["state"] == "COMPLETED"]
    assert len(completed) == 7
    assert all(by_id[n["databaseId"]] == n["duration"] for n in completed)
    newest = max(j.last_modified for j in jobs)
    assert t["lastModifiedMax"] == newest.replace(microsecond=newest.microsecond // 1000 * 1000).isoformat()


def test_keyset_pages_and_filters(reference_data: None) -> None:
    tree = build_tree(pushes=3, jobs_per_push=3)
    push_ids = [p.id for p in tree.pushes]
    seen: list[int] = []
    after = None
    while True:
        page = graphql_request(TABLE, {"pushIds": push_ids, "first": 4, "after": after})["data"]["jobTable"]
        seen += page["id"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(j.id for j in tree.jobs)

    failed = graphql_request(TABLE, {"pushIds": push_ids, "first": 100, "filter": {"result": ["TESTFAILED"]}})
    assert failed["data"]["jobTable"]["id"] == [j.id for j in tree.jobs if j.result == "testfailed"]
    assert len(failed["data"]["jobTable"]["id"]) == 3


def test_only_selected_columns_are_read(reference_data: None) -> None:
    tree = build_tree(pushes=1, jobs_per_push=2)

    with CaptureQueriesContext(connection) as ctx:
        body = graphql_request(f"{{ jobTable(pushIds: [{tree.pushes[0].id}]) {{ id state }} }}")

    assert body["data"]["jobTable"] == {"id": [j.id for j in tree.jobs], "state": ["COMPLETED", "COMPLETED"]}
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    assert "`job`.`state`" in sql or '"job"."state"' in sql
    for unread in ("guid", "task_id", "who", "end_time", "signature_id"):
        assert unread not in sql
    # MariaDB reads the rows in order from the job(push, id) index (no full scan and filesort).
    assert PUSH_ID_INDEX in {index.name for index in Job._meta.indexes}
    assert connection.vendor == "mysql"  # the suite runs on MariaDB
    assert f"FROM `job` FORCE INDEX (`{PUSH_ID_INDEX}`) " in sql


def test_table_limits_are_named(reference_data: None) -> None:
    too_many = graphql_request(f"{{ jobTable(pushIds: {list(range(1, 102))}) {{ id }} }}")
    too_big = graphql_request("{ jobTable(pushIds: [1], first: 50001) { id } }")

    assert too_many["errors"][0]["message"] == "jobTable: 101 pushIds exceed the limit of 100."
    assert too_big["errors"][0]["message"] == "jobTable rows: `first: 50001` exceeds the page size limit of 50000."


def test_an_empty_table(reference_data: Any) -> None:
    body = graphql_request("{ jobTable(pushIds: [424242]) { count id jobTypes { name } pageInfo { endCursor } } }")

    assert body["data"]["jobTable"] == {"count": 0, "id": [], "jobTypes": [], "pageInfo": {"endCursor": None}}


def test_a_page_without_pushes_has_an_empty_table(reference_data: None, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):  # the repository and the (empty) push page; no job query
        body = graphql_request('{ pushes(repository: "autoland") { nodes { id } jobTable { count id state } } }')

    assert body["data"] == {"pushes": {"nodes": [], "jobTable": {"count": 0, "id": [], "state": []}}}
    assert graphql_request("{ jobTable(pushIds: []) { count id } }")["data"] == {"jobTable": {"count": 0, "id": []}}
