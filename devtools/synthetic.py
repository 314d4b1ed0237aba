"""A synthetic, self-describing CI stream: pushes to autoland, each with tasks that go
pending -> running -> completed (or failed, or an exception followed by a retry run).

Everything is derived from the ids, so the replay tool (which publishes the messages) and the sample
HTTP server (which serves the task definitions, pushlogs and artifact lists) agree without sharing
any state: a synthetic taskId is a slug of the bytes `SYN1 | seed | push | task`, a push's pushlog
id is `seed * 100000 + push`, and its revision is a hash of (seed, push).
"""

from __future__ import annotations

import datetime
import hashlib
import struct
import uuid
from dataclasses import dataclass
from typing import Any

import slugid

MAGIC = b"SYN1"
PUSH_ID_FACTOR = 100_000
REPOSITORY = "autoland"
REPOSITORY_PATH = "integration/autoland"
REPOSITORY_URL = "https://hg.mozilla.org/integration/autoland"
QUEUE = "exchange/taskcluster-queue/v1/"

PLATFORMS = [
    ("linux64", "linux", "x86_64"),
    ("linux64-qr", "linux", "x86_64"),
    ("windows11-64", "windows", "x86_64"),
    ("macosx1015-64", "mac", "x86_64"),
    ("android-em-7-0-x86_64", "android", "x86_64"),
]
SUITES = [
    ("Mochitests", "M", "mochitest-plain", "test"),
    ("Reftests", "R", "reftest", "test"),
    ("Web platform tests", "W", "web-platform-tests", "test"),
    ("XPCShell tests", "X", "xpcshell", "test"),
    ("Builds", "B", "build", "build"),
    ("Linting", "L", "lint", "other"),
]
LABELS = [["opt"], ["debug"], ["asan"], ["opt"], ["pgo"]]


def _digest(*parts: object) -> bytes:
    return hashlib.sha1(":".join(str(p) for p in parts).encode(), usedforsecurity=False).digest()


def _pick(options: list[Any], *parts: object) -> Any:
    return options[_digest(*parts)[0] % len(options)]


def revision(seed: int, push: int) -> str:
    return _digest("revision", seed, push).hex()


def push_log_id(seed: int, push: int) -> int:
    return seed * PUSH_ID_FACTOR + push


def push_from_log_id(log_id: int) -> tuple[int, int]:
    return divmod(log_id, PUSH_ID_FACTOR)


def task_id(seed: int, push: int, task: int) -> str:
    return slugid.encode(uuid.UUID(bytes=MAGIC + struct.pack(">III", seed, push, task)))


def task_decode(slug: str) -> tuple[int, int, int] | None:
    try:
        raw = slugid.decode(slug).bytes
    except (ValueError, TypeError):
        return None
    if raw[:4] != MAGIC:
        return None
    seed, push, task = struct.unpack(">III", raw[4:])
    return seed, push, task


def push_time(seed: int, push: int) -> datetime.datetime:
    # The seed is the stream's start (epoch seconds), so synthetic times look current.
    return datetime.datetime.fromtimestamp(seed, tz=datetime.UTC) + datetime.timedelta(seconds=20 * push)


def _iso(value: datetime.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def pushlog(seed: int, push: int) -> dict[str, Any]:
    """hg json-pushes?version=2&full=1 for one synthetic push: two changesets."""
    log_id = push_log_id(seed, push)
    author = f"dev{push % 7}@mozilla.com"
    head = revision(seed, push)
    parent = _digest("parent", seed, push).hex()
    changesets = [
        {
            "node": parent,
            "author": f"Dev {push % 7} <{author}>",
            "desc": f"Bug {1_900_000 + push} - part 1",
            "branch": "default",
            "tags": [],
        },
        {
            "node": head,
            "author": f"Dev {push % 7} <{author}>",
            "desc": f"Bug {1_900_000 + push} - part 2 r=reviewer",
            "branch": "default",
            "tags": ["tip"],
        },
    ]
    return {
        "lastpushid": log_id,
        "pushes": {
            str(log_id): {"changesets": changesets, "date": int(push_time(seed, push).timestamp()), "user": author}
        },
    }


def hg_push_message(seed: int, push: int, hg_url: str) -> dict[str, Any]:
    log_id = push_log_id(seed, push)
    query = f"version=2&full=1&startID={log_id - 1}&endID={log_id}"
    return {
        "payload": {
            "pushlog_pushes": [
                {
                    "time": int(push_time(seed, push).timestamp()),
                    "push_full_json_url": f"{hg_url}/{REPOSITORY_PATH}/json-pushes?{query}",
                    "pushid": log_id,
                    "push_json_url": f"{hg_url}/{REPOSITORY_PATH}/json-pushes?{query.replace('&full=1', '')}",
                    "user": f"dev{push % 7}@mozilla.com",
                }
            ],
            "heads": [revision(seed, push)],
            "repo_url": REPOSITORY_URL,
        }
    }


@dataclass(frozen=True)
class TaskPlan:
    seed: int
    push: int
    task: int
    # Without retries every task sends exactly three messages (the benchmark's accounting).
    retries: bool = True

    @property
    def task_id(self) -> str:
        return task_id(self.seed, self.push, self.task)

    @property
    def outcome(self) -> str:
        """success (most), failed, exception-then-retry, canceled or superseded."""
        roll = _digest("outcome", self.seed, self.push, self.task)[1]
        if not self.retries and 240 <= roll < 250:
            return "failed"
        if roll < 218:
            return "success"
        if roll < 240:
            return "failed"
        if roll < 250:
            return "retried"
        return "canceled" if roll < 253 else "superseded"


def task_definition(seed: int, push: int, task: int) -> dict[str, Any]:
    # The same task number is the same job type on the same platform in every push, as in real
    # traffic: reference data repeats from push to push.
    platform, os_name, arch = _pick(PLATFORMS, "platform", task)
    group, group_symbol, suite, kind = SUITES[task % len(SUITES)]
    labels = _pick(LABELS, "labels", task)
    chunk = task // len(SUITES) + 1
    created = push_time(seed, push) + datetime.timedelta(seconds=5)
    return {
        "provisionerId": "gecko-t",
        "workerType": f"t-{os_name}",
        "schedulerId": "gecko-level-3",
        "taskGroupId": task_id(seed, push, 0),
        "routes": [
            f"tc-treeherder.v2.{REPOSITORY}.{revision(seed, push)}.{push_log_id(seed, push)}",
            f"index.gecko.v2.{REPOSITORY}.latest.{suite}",
        ],
        "created": _iso(created),
        "deadline": _iso(created + datetime.timedelta(days=1)),
        "expires": _iso(created + datetime.timedelta(days=28)),
        "metadata": {
            "name": f"test-{platform}/{labels[0]}-{suite}-{chunk}",
            "description": f"{suite} chunk {chunk} ([Treeherder push](https://treeherder.mozilla.org/#/jobs?repo={REPOSITORY}))",
            "owner": f"dev{push % 7}@mozilla.com",
            "source": f"{REPOSITORY_URL}/file/{revision(seed, push)}/taskcluster/kinds/test",
        },
        "payload": {"maxRunTime": 3600, "env": {"GECKO_HEAD_REV": revision(seed, push)}},
        "extra": {
            "treeherder": {
                "symbol": f"{group_symbol.lower()}{chunk}",
                "groupSymbol": group_symbol,
                "groupName": group,
                "jobKind": kind,
                "tier": 2 if task % 17 == 16 else 1,
                "machine": {"platform": platform, "os": os_name, "architecture": arch},
                "labels": labels,
            }
        },
    }


def artifacts(seed: int, push: int, task: int, run: int) -> dict[str, Any]:
    names = ["public/logs/live_backing.log", "public/build/target.json"]
    _, _, suite, kind = SUITES[task % len(SUITES)]
    if kind == "test":
        names.append(f"public/test_info/{suite}_errorsummary.log")
    return {"artifacts": [{"storageType": "s3", "name": name, "contentType": "text/plain"} for name in names]}


def _status(plan: TaskPlan, runs: list[dict[str, Any]], state: str) -> dict[str, Any]:
    return {
        "taskId": plan.task_id,
        "provisionerId": "gecko-t",
        "workerType": "t-linux",
        "schedulerId": "gecko-level-3",
        "taskGroupId": task_id(plan.seed, plan.push, 0),
        "deadline": _iso(push_time(plan.seed, plan.push) + datetime.timedelta(days=1)),
        "expires": _iso(push_time(plan.seed, plan.push) + datetime.timedelta(days=28)),
        "retriesLeft": 5 - len(runs) + 1,
        "state": state,
        "runs": runs,
    }


def _message(plan: TaskPlan, event: str, run_id: int, runs: list[dict[str, Any]], state: str) -> dict[str, Any]:
    run = runs[run_id]
    body: dict[str, Any] = {"version": 1, "status": _status(plan, [dict(r) for r in runs], state), "runId": run_id}
    if "workerId" in run:
        body["workerGroup"] = run["workerGroup"]
        body["workerId"] = run["workerId"]
    routing_key = (
        f"primary.{plan.task_id}.{run_id}.{run.get('workerGroup', '_')}.{run.get('workerId', '_')}."
        f"gecko-t.t-linux.gecko-level-3.{task_id(plan.seed, plan.push, 0)}._"
    )
    return {"exchange": QUEUE + event, "routing_key": routing_key, "body": body}


def task_messages(plan: TaskPlan) -> list[list[dict[str, Any]]]:
    """The task's messages in steps: [pending], [running], [resolved (+ the retry run's pending)],
    and for a retried task [retry running], [retry completed].

    Each step's messages are what Taskcluster publishes at that moment; a replay spaces the steps.
    """
    base = push_time(plan.seed, plan.push) + datetime.timedelta(seconds=10)
    worker = {"workerGroup": "us-east-1", "workerId": f"i-{_digest('worker', plan.task).hex()[:16]}"}
    run0 = {"runId": 0, "state": "pending", "reasonCreated": "scheduled", "scheduled": _iso(base)}
    steps: list[list[dict[str, Any]]] = [[_message(plan, "task-pending", 0, [run0], "pending")]]
    run0 = {**run0, **worker, "state": "running", "started": _iso(base + datetime.timedelta(seconds=30))}
    steps.append([_message(plan, "task-running", 0, [run0], "running")])
    resolved = _iso(base + datetime.timedelta(minutes=5))
    outcome = plan.outcome
    if outcome in ("success", "failed"):
        state = "completed" if outcome == "success" else "failed"
        final = {**run0, "state": state, "reasonResolved": state, "resolved": resolved}
        steps.append([_message(plan, f"task-{state}", 0, [final], state)])
    elif outcome == "retried":
        final = {**run0, "state": "exception", "reasonResolved": "worker-shutdown", "resolved": resolved}
        retry = {"runId": 1, "state": "pending", "reasonCreated": "retry", "scheduled": resolved}
        steps.append(
            [
                _message(plan, "task-exception", 0, [final, retry], "pending"),
                _message(plan, "task-pending", 1, [final, retry], "pending"),
            ]
        )
        retry = {**retry, **worker, "state": "running", "started": _iso(base + datetime.timedelta(minutes=6))}
        steps.append([_message(plan, "task-running", 1, [final, retry], "running")])
        done = {
            **retry,
            "state": "completed",
            "reasonResolved": "completed",
            "resolved": _iso(base + datetime.timedelta(minutes=11)),
        }
        steps.append([_message(plan, "task-completed", 1, [final, done], "completed")])
    else:
        final = {**run0, "state": "exception", "reasonResolved": outcome, "resolved": resolved}
        steps.append([_message(plan, "task-exception", 0, [final], "exception")])
    return steps
