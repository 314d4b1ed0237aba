"""Golden: each of the 91 sample task messages, with its definition, gives Treeherder's job dict."""

from __future__ import annotations

import pytest

from apps.core.pulse import PulseEnvelope, Rejected
from apps.jobs.services.taskcluster import (
    route_origins,
    route_parse,
    task_definition_summary,
    task_job_transform,
    task_message_validate,
    task_summary_check,
)
from tests.support.samples import sample

MESSAGES = sample("taskcluster_pulse_messages")


def _transform(task_id: str) -> dict:
    message = sample("taskcluster_pulse_messages")[task_id]
    summary = task_definition_summary(sample("taskcluster_tasks")[task_id])
    body = task_message_validate(body=message["payload"], exchange=message["exchange"])
    origin = task_summary_check(task_id=task_id, summary=summary)
    envelope = PulseEnvelope(body=body, exchange=message["exchange"], routing_key="", root_url=message["root_url"])
    job = task_job_transform(envelope=envelope, body=body, summary=summary, origin=origin)
    assert job is not None
    return job


@pytest.mark.parametrize("task_id", sorted(MESSAGES))
def test_sample_message_transforms_to_treeherder_job(task_id: str) -> None:
    expected = sample("taskcluster_transformed_jobs")[task_id]

    transformed = _transform(task_id)

    route = next(r for r in sample("taskcluster_tasks")[task_id]["routes"] if r.startswith("tc-treeherder."))
    assert transformed.pop("project") == route.split(".")[2]
    assert transformed == expected


def test_route_parse_hg_and_github() -> None:
    assert route_parse("tc-treeherder.v2.autoland.219d38523a321229f7f48aca6592f76b993fb1aa.88565") == {
        "project": "autoland",
        "revision": "219d38523a321229f7f48aca6592f76b993fb1aa",
        "owner": None,
        "id": 88565,
    }
    assert route_parse("tc-treeherder.v2.mozilla-mobile/fenix.abc.12") == {
        "project": "fenix",
        "revision": "abc",
        "owner": "mozilla-mobile",
        "id": 12,
    }


def test_route_origins_are_the_treeherder_routes_that_parse() -> None:
    routes = [
        "index.gecko.v2.autoland.latest",
        "tc-treeherder.v2.autoland.219d38523a321229f7f48aca6592f76b993fb1aa.88565",
        "tc-treeherder.v2.too-short",
        "tc-treeherder-staging.v2.autoland.abc.1",
        "tc-treeherder.v2.try.abc",
    ]

    assert route_origins(routes) == [
        {"project": "autoland", "revision": "219d38523a321229f7f48aca6592f76b993fb1aa", "owner": None, "id": 88565},
        {"project": "try", "revision": "abc", "owner": None},
    ]


def test_task_without_treeherder_route_is_rejected() -> None:
    definition = sample("taskcluster_tasks")["A35mWTRuQmyj88yMnIF0fA"]
    definition["routes"] = [r for r in definition["routes"] if not r.startswith("tc-treeherder")]

    with pytest.raises(Rejected) as err:
        task_summary_check(task_id="A35mWTRuQmyj88yMnIF0fA", summary=task_definition_summary(definition))

    assert err.value.reason == "not_a_treeherder_task"


def test_two_treeherder_routes_are_rejected() -> None:
    definition = sample("taskcluster_tasks")["A35mWTRuQmyj88yMnIF0fA"]
    definition["routes"].append("tc-treeherder.v2.try.219d38523a321229f7f48aca6592f76b993fb1aa.1")

    with pytest.raises(Rejected) as err:
        task_summary_check(task_id="A35mWTRuQmyj88yMnIF0fA", summary=task_definition_summary(definition))

    assert err.value.reason == "not_a_treeherder_task"


def test_invalid_treeherder_config_is_rejected() -> None:
    definition = sample("taskcluster_tasks")["A35mWTRuQmyj88yMnIF0fA"]
    definition["extra"]["treeherder"]["tier"] = 7

    with pytest.raises(Rejected) as err:
        task_summary_check(task_id="A35mWTRuQmyj88yMnIF0fA", summary=task_definition_summary(definition))

    assert err.value.reason == "invalid_treeherder_config"


@pytest.mark.parametrize(
    ("body", "exchange", "reason"),
    [
        ({"status": {}}, "exchange/taskcluster-queue/v1/task-pending", "invalid_message"),
        ([], "exchange/taskcluster-queue/v1/task-pending", "invalid_message"),
        (
            {"runId": 0, "status": {"taskId": "x", "runs": []}},
            "exchange/taskcluster-queue/v1/task-pending",
            "invalid_message",
        ),
        ({}, "exchange/taskcluster-queue/v1/artifact-created", "unknown_exchange"),
    ],
)
def test_malformed_messages_are_rejected(body: object, exchange: str, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        task_message_validate(body=body, exchange=exchange)
    assert err.value.reason == reason
