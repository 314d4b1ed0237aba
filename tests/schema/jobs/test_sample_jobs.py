"""Queries over Treeherder's own sample jobs (its pulse consumer's expected output)."""

from __future__ import annotations

import collections

from apps.repositories.models import Repository
from tests.schema.sample_jobs import sample_jobs, store_sample_jobs
from tests.support.graphql import graphql_request

JOB = """
query ($guid: String!) {
  job(guid: $guid) {
    guid taskId retryId state result tier who reason submitTime startTime endTime
    jobType { name symbol } jobGroup { name symbol } platform { osName platform architecture }
    buildPlatform { platform } options machine { name } logs { name url parseStatus }
    push { revision repository { name } }
  }
}
"""


def test_every_sample_job_reads_back_as_treeherder_transformed_it(reference_data: None) -> None:
    repo = Repository.objects.get(name="mozilla-central")
    store_sample_jobs(repo)

    for sample in sample_jobs().values():
        expected = sample["job"]
        body = graphql_request(JOB, {"guid": expected["job_guid"]})
        assert "errors" not in body
        job = body["data"]["job"]
        assert job["guid"] == expected["job_guid"]
        assert job["taskId"] == expected["taskcluster_task_id"]
        assert job["retryId"] == expected["taskcluster_retry_id"]
        assert job["state"] == expected["state"].upper()
        assert job["result"] == expected["result"].upper()
        assert (job["tier"], job["who"], job["reason"]) == (expected["tier"], expected["who"], expected["reason"])
        assert job["jobType"] == {"name": expected["name"], "symbol": expected["job_symbol"]}
        assert job["jobGroup"] == {"name": expected["group_name"], "symbol": expected["group_symbol"]}
        assert job["platform"] == {
            "osName": expected["machine_platform"]["os_name"],
            "platform": expected["machine_platform"]["platform"],
            "architecture": expected["machine_platform"]["architecture"],
        }
        assert job["buildPlatform"] == {"platform": expected["build_platform"]["platform"]}
        assert job["options"] == sorted(expected["option_collection"])
        assert job["machine"] == {"name": expected["machine"]}
        assert job["logs"] == [
            {"name": log["name"], "url": log["url"], "parseStatus": "PENDING"} for log in expected["log_references"]
        ]
        assert job["push"] == {"revision": sample["revision"], "repository": {"name": "mozilla-central"}}


def test_push_status_and_table_over_the_sample_push(reference_data: None) -> None:
    repo = Repository.objects.get(name="mozilla-central")
    store_sample_jobs(repo)
    revision = "219d38523a321229f7f48aca6592f76b993fb1aa"
    expected = [s["job"] for s in sample_jobs().values() if s["revision"] == revision]

    body = graphql_request(
        """
        query ($rev: String!) {
          push(repository: "mozilla-central", revision: $rev) {
            revision
            status { completed pending running success unknown }
            jobs(first: 100) { nodes { guid } }
          }
          pushes(repository: "mozilla-central", revision: $rev) {
            jobTable { count guid taskId state result jobType jobTypes { symbol } }
          }
        }
        """,
        {"rev": revision},
    )

    assert "errors" not in body
    push = body["data"]["push"]
    counts = collections.Counter(
        job["result"] if job["state"] == "completed" else job["state"] for job in expected if job["tier"] != 3
    )
    completed = sum(1 for job in expected if job["state"] == "completed" and job["tier"] != 3)
    assert push["status"] == {
        "completed": completed,
        "pending": counts["pending"],
        "running": counts["running"],
        "success": counts["success"],
        "unknown": counts["unknown"],
    }
    assert sorted(n["guid"] for n in push["jobs"]["nodes"]) == sorted(j["job_guid"] for j in expected)
    table = body["data"]["pushes"]["jobTable"]
    assert table["count"] == len(expected) == 70
    by_guid = {j["job_guid"]: j for j in expected}
    for i, guid in enumerate(table["guid"]):
        assert table["taskId"][i] == by_guid[guid]["taskcluster_task_id"]
        assert table["state"][i] == by_guid[guid]["state"].upper()
        assert table["jobTypes"][table["jobType"][i]]["symbol"] == by_guid[guid]["job_symbol"]
