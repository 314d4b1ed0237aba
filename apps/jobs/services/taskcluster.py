"""From a Taskcluster queue Pulse message and its task definition to a Treeherder job.

Two steps, as Treeherder does them (domain doc §2.4 and §2.5), so each can be checked against its
golden output:

1. `pulse_job_build` (Treeherder's `taskcluster_pulse/handler.py`): the "pulse job", validated with
   `schemas/pulse-job.yml`.
2. `pulse_job_transform` (Treeherder's `JobLoader.transform`): the internal job dict that
   `taskcluster_transformed_jobs.json` holds, which the job store writes.

Everything here is pure: no database, no HTTP. Inputs that do not qualify raise `Rejected`
with a short machine-readable reason (counted in metrics) and a readable detail (logged once).
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

import fastjsonschema
import slugid
import yaml
from django.conf import settings

from apps.core.dates import iso8601_epoch_seconds
from apps.core.pulse import PulseEnvelope, Rejected

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"

QUEUE_EXCHANGE_PREFIX = "exchange/taskcluster-queue/v1/"
# Exchange -> run event. "defined" has no run yet: the job is `unscheduled`.
TASK_EXCHANGES = {
    f"{QUEUE_EXCHANGE_PREFIX}task-defined": "defined",
    f"{QUEUE_EXCHANGE_PREFIX}task-pending": "pending",
    f"{QUEUE_EXCHANGE_PREFIX}task-running": "running",
    f"{QUEUE_EXCHANGE_PREFIX}task-completed": "completed",
    f"{QUEUE_EXCHANGE_PREFIX}task-failed": "failed",
    f"{QUEUE_EXCHANGE_PREFIX}task-exception": "exception",
}
RETRY_REASONS = frozenset({"retry", "task-retry"})
# Mobile projects whose pull-request and non-default-branch tasks Treeherder ignores.
MOBILE_PROJECTS = frozenset({"reference-browser", "mozilla-vpn-client", "mozilla-vpn-client-release"})

TEST_RESULTS = {
    "success": "success",
    "fail": "testfailed",
    "exception": "exception",
    "retry": "retry",
    "canceled": "usercancel",
    "superseded": "superseded",
    "unknown": "unknown",
}
BUILD_RESULTS = {**TEST_RESULTS, "fail": "busted"}


class TaskSummary(TypedDict):
    """The parts of a task definition ingestion reads: what the definition caches keep."""

    routes: list[str]  # its tc-treeherder.* routes
    treeherder: dict[str, Any] | None  # extra.treeherder
    name: str
    owner: str
    description: str
    created: str | None
    workerType: str
    mobile_env: dict[str, str]  # the MOBILE_* variables of payload.env


class TaskOrigin(TypedDict):
    """Where a task reports to, from its route `tc-treeherder.v2.<project>.<revision>[.<push id>]`."""

    project: str
    revision: str
    owner: str | None  # GitHub projects: `<owner>/<repo>`
    id: NotRequired[int]  # the push id, when the route carries one


def _load_validator(name: str) -> Any:
    with (SCHEMAS_DIR / name).open(encoding="utf-8") as fh:
        return fastjsonschema.compile(yaml.safe_load(fh))


# Compiled once per process: Treeherder re-parsed its YAML schema on every message.
_validate_treeherder_config = _load_validator("task-treeherder-config.yml")
_validate_pulse_job = _load_validator("pulse-job.yml")

_MESSAGE_SCHEMA = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "runId": {"type": "integer", "minimum": 0},
        "workerId": {"type": "string"},
        "status": {
            "type": "object",
            "required": ["taskId", "runs"],
            "properties": {
                "taskId": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}$"},
                "taskGroupId": {"type": "string"},
                "runs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["runId", "state"],
                        "properties": {"runId": {"type": "integer", "minimum": 0}, "state": {"type": "string"}},
                    },
                },
            },
        },
    },
}
_validate_message = fastjsonschema.compile(_MESSAGE_SCHEMA)


def task_message_validate(*, body: Any, exchange: str) -> dict[str, Any]:
    """Check the shape of a queue message body; returns it. Raises Rejected."""
    if exchange not in TASK_EXCHANGES:
        raise Rejected("unknown_exchange", f"not a Taskcluster queue task exchange: {exchange!r}")
    try:
        _validate_message(body)
    except fastjsonschema.JsonSchemaException as exc:
        raise Rejected("invalid_message", f"message does not match the queue message schema: {exc}") from exc
    payload: dict[str, Any] = body
    if TASK_EXCHANGES[exchange] != "defined":
        run_id = payload.get("runId")
        if run_id is None:
            raise Rejected("invalid_message", "runId missing")
        if not any(run["runId"] == run_id for run in payload["status"]["runs"]):
            raise Rejected("invalid_message", f"runId {run_id} not among status.runs")
    return payload


def task_definition_summary(definition: dict[str, Any]) -> TaskSummary:
    """The parts of a task definition ingestion reads; what the definition cache keeps."""
    metadata = definition.get("metadata") or {}
    env = (definition.get("payload") or {}).get("env") or {}
    return {
        "routes": treeherder_routes(definition.get("routes") or []),
        "treeherder": (definition.get("extra") or {}).get("treeherder"),
        "name": metadata.get("name", ""),
        "owner": metadata.get("owner", ""),
        "description": metadata.get("description", ""),
        "created": definition.get("created"),
        "workerType": definition.get("workerType", ""),
        "mobile_env": {key: value for key, value in env.items() if key.startswith("MOBILE_")},
    }


def treeherder_routes(routes: Iterable[str]) -> list[str]:
    """The routes that report to Treeherder: `tc-treeherder.*`."""
    return [route for route in routes if route.split(".")[0] == "tc-treeherder"]


def route_origins(routes: Iterable[str]) -> list[TaskOrigin]:
    """Every Treeherder route among `routes` that parses (see route_parse), parsed."""
    origins = []
    for route in treeherder_routes(routes):
        with contextlib.suppress(Rejected):
            origins.append(route_parse(route))
    return origins


def route_parse(route: str) -> TaskOrigin:
    """`tc-treeherder.v2.<project>.<revision>[.<push id>]`; a GitHub project is `<owner>/<repo>`."""
    parts = route.split(".")
    if len(parts) < 4:
        raise Rejected("invalid_route", f"Treeherder route {route!r} has too few parts")
    project = parts[2]
    owner = None
    if "/" in project:
        owner, _, project = project.partition("/")
    info = TaskOrigin(project=project, revision=parts[3], owner=owner)
    if len(parts) >= 5 and parts[4].isdigit():
        info["id"] = int(parts[4])
    return info


def _ignore_reason(summary: TaskSummary, project: str) -> str | None:
    allowed = settings.INGEST_PROJECTS
    if allowed and project not in allowed:
        return f"project {project} is not in PROJECTS_TO_INGEST"
    env = summary["mobile_env"]
    if project in MOBILE_PROJECTS and env.get("MOBILE_BASE_REPOSITORY"):
        if env.get("MOBILE_BASE_REPOSITORY") != env.get("MOBILE_HEAD_REPOSITORY"):
            return "pull-request task of a mobile project"
        if env.get("MOBILE_HEAD_REF", "").rsplit("/", 1)[-1] not in ("master", "main"):
            return "mobile task not on master/main"
    return None


def task_summary_check(*, task_id: str, summary: TaskSummary) -> TaskOrigin:
    """The task's Treeherder origin, if it is a Treeherder task. Raises Rejected otherwise."""
    routes = summary["routes"]
    if len(routes) != 1:
        raise Rejected(
            "not_a_treeherder_task", f"task {task_id} has {len(routes)} tc-treeherder routes, not exactly one"
        )
    origin = route_parse(routes[0])
    reason = _ignore_reason(summary, origin["project"])
    if reason:
        raise Rejected("ignored_task", f"task {task_id}: {reason}")
    config = summary["treeherder"]
    if not config:
        raise Rejected("invalid_treeherder_config", f"task {task_id} has no extra.treeherder")
    try:
        _validate_treeherder_config(config)
    except fastjsonschema.JsonSchemaException as exc:
        raise Rejected("invalid_treeherder_config", f"task {task_id} extra.treeherder: {exc}") from exc
    return origin


def _result_from_run(run: dict[str, Any]) -> str:
    state = run["state"]
    if state == "completed":
        return "success"
    if state == "failed":
        return "fail"
    if state == "exception":
        reason = run.get("reasonResolved")
        return reason if reason in ("canceled", "superseded") else "exception"
    return "unknown"


def _artifact_links(root_url: str, task_id: str, run_id: int, artifacts: list[dict[str, Any]]) -> list[dict[str, str]]:
    seen: dict[str, int] = {}
    links = []
    for artifact in artifacts:
        name = posixpath.basename(artifact.get("name", ""))
        if not name:  # directories show up as artifacts too
            continue
        count = seen.get(name, 0)
        seen[name] = count + 1
        links.append(
            {
                "label": "artifact uploaded",
                "linkText": f"{name} ({count})" if count else name,
                "url": f"{root_url}/api/queue/v1/task/{task_id}/runs/{run_id}/artifacts/{artifact['name']}",
            }
        )
    return links


def pulse_job_build(
    *,
    body: dict[str, Any],
    exchange: str,
    root_url: str,
    summary: TaskSummary,
    origin: TaskOrigin,
    artifacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """The pulse job for one message, or None for a run Treeherder does not report."""
    event = TASK_EXCHANGES[exchange]
    status = body["status"]
    task_id = status["taskId"]
    runs = status["runs"]
    if event == "defined":
        run_id, run = 0, {}
    else:
        run_id = body["runId"]
        run = next(r for r in runs if r["runId"] == run_id)
        # Runs created by an exception (deadline exceeded) are not jobs.
        if event == "exception" and run.get("reasonCreated") == "exception":
            return None
    config = cast(dict[str, Any], summary["treeherder"])  # present and valid: task_summary_check
    machine = config.get("machine") or {}
    labels = config.get("labels") or list((config.get("collection") or {}).keys()) or ["opt"]
    owner = summary["owner"]
    if len(owner) > 50:
        owner = owner[:49]
    job: dict[str, Any] = {
        "buildSystem": "taskcluster",
        "owner": owner,
        "taskId": f"{slugid.decode(task_id)}/{run_id}",
        "retryId": run_id,
        "isRetried": False,
        "display": {
            "jobSymbol": str(config["symbol"]),
            "groupSymbol": config.get("groupSymbol", "?"),
            "jobName": summary["name"][:139],
        },
        "state": "unscheduled"
        if event == "defined"
        else ("completed" if run["state"] in ("exception", "failed") else run["state"]),
        "result": "unknown" if event == "defined" else _result_from_run(run),
        "tier": config.get("tier", 1),
        "timeScheduled": summary["created"],
        "jobKind": config.get("jobKind", "other"),
        "reason": config.get("reason", "scheduled"),
        "labels": labels,
        "buildMachine": {
            "name": run.get("workerId", "unknown"),
            "platform": machine.get("platform", summary["workerType"]),
            "os": machine.get("os", "-"),
            "architecture": machine.get("architecture", "-"),
        },
        "origin": {key: origin[key] for key in ("project", "revision", "id") if key in origin},
        "jobInfo": {"links": [], "summary": summary["description"]},
        "version": 1,
    }
    if config.get("productName"):
        job["productName"] = config["productName"]
    if config.get("groupName"):
        job["display"]["groupName"] = config["groupName"]
    if event == "running":
        job["timeStarted"] = run["started"]
    elif event in ("completed", "failed"):
        job["timeStarted"] = run["started"]
        job["timeCompleted"] = run["resolved"]
        job["logs"] = [
            {
                "name": "live_backing_log",
                "url": f"{root_url}/api/queue/v1/task/{task_id}/runs/{run_id}/artifacts/public/logs/live_backing.log",
            }
        ]
        job["jobInfo"]["links"] = _artifact_links(root_url, task_id, run_id, artifacts or [])
    elif event == "exception":
        if run.get("started"):
            job["timeStarted"] = run["started"]
        job["timeCompleted"] = run["resolved"]
        # Exceptions rarely have a log: no link to a log that would 404.
        job["logs"] = []
        job["jobInfo"]["links"] = _artifact_links(root_url, task_id, run_id, artifacts or [])
        job["isRetried"] = any(r["runId"] > run_id and r.get("reasonCreated") in RETRY_REASONS for r in runs)
    try:
        _validate_pulse_job(job)
    except fastjsonschema.JsonSchemaException as exc:
        raise Rejected("invalid_pulse_job", f"task {task_id} run {run_id}: {exc}") from exc
    return job


_ERRORSUMMARY = re.compile(r"_errorsummary\.log$")


def pulse_job_transform(pulse_job: dict[str, Any]) -> dict[str, Any]:
    """Treeherder's internal job dict ({"job": {...}, "revision", "superseded"})."""
    display = pulse_job["display"]
    state = pulse_job["state"]
    if state != "completed":
        result = "unknown"
    elif pulse_job.get("isRetried"):
        result = "retry"
    else:
        results = TEST_RESULTS if pulse_job["jobKind"] == "test" else BUILD_RESULTS
        result = results[pulse_job.get("result", "unknown")]
    log_references = [
        {"name": log["name"], "url": log["url"], "parse_status": "pending"} for log in pulse_job.get("logs", [])
    ]
    links = pulse_job.get("jobInfo", {}).get("links", [])
    log_references += [
        {"name": "errorsummary_json", "url": link["url"], "parse_status": "pending"}
        for link in links
        if _ERRORSUMMARY.search(link.get("linkText", ""))
    ]
    machine = pulse_job["buildMachine"]
    platform = {"platform": machine["platform"], "os_name": machine["os"], "architecture": machine["architecture"]}
    guid = pulse_job["taskId"]
    decoded, _, retry_id = guid.partition("/")
    job: dict[str, Any] = {
        "job_guid": guid,
        "name": display.get("jobName", "unknown"),
        "job_symbol": f"{display.get('jobSymbol', '')}{display.get('chunkId', '')}",
        "group_name": display.get("groupName", "unknown"),
        "group_symbol": display.get("groupSymbol"),
        "product_name": pulse_job.get("productName", "unknown"),
        "state": state,
        "result": result,
        "reason": pulse_job.get("reason", "unknown"),
        "who": pulse_job.get("owner", "unknown"),
        "build_system_type": pulse_job["buildSystem"],
        "tier": pulse_job.get("tier", 1),
        "machine": machine.get("name", "unknown"),
        "option_collection": dict.fromkeys(pulse_job.get("labels", []), True),
        "log_references": log_references,
        "perfherder_data_references": [
            {"url": link["url"]}
            for link in links
            if "perfherder-data" in link.get("url", "") and link.get("url", "").endswith(".json")
        ],
        "build_platform": platform,
        "machine_platform": dict(platform),
        "taskcluster_task_id": slugid.encode(uuid.UUID(decoded)),
        "taskcluster_retry_id": int(retry_id),
    }
    for key, source in (
        ("submit_timestamp", "timeScheduled"),
        ("start_timestamp", "timeStarted"),
        ("end_timestamp", "timeCompleted"),
    ):
        if source in pulse_job:
            job[key] = iso8601_epoch_seconds(pulse_job[source])
    return {
        "job": job,
        "revision": pulse_job["origin"]["revision"],
        "project": pulse_job["origin"]["project"],
        "superseded": pulse_job.get("coalesced", []),
    }


def task_job_transform(
    *,
    envelope: PulseEnvelope,
    body: dict[str, Any],
    summary: TaskSummary,
    origin: TaskOrigin,
    artifacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """The pure step from a validated message and what was fetched for it (the task's definition
    summary, its origin, the run's artifact list) to Treeherder's internal job dict; None for a run
    Treeherder does not report. Raises Rejected."""
    pulse_job = pulse_job_build(
        body=body,
        exchange=envelope["exchange"],
        root_url=envelope["root_url"],
        summary=summary,
        origin=origin,
        artifacts=artifacts,
    )
    return pulse_job_transform(pulse_job) if pulse_job is not None else None
