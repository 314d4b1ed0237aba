"""A local HTTP server that answers as Taskcluster's queue, hg.mozilla.org and GitHub's API do, at
their real URL paths, from the sample files in sample_data/ and from the synthetic stream.

Tests and the quick start point TASKCLUSTER_ROOT_URL, HG_URL and GITHUB_API_URL at it, so ingestion
makes real HTTP requests through its real client. Paths served:

* `/api/queue/v1/task/<taskId>`: a sample or synthetic task definition, else 404
* `/api/queue/v1/task/<taskId>/runs/<runId>/artifacts`: synthetic artifact lists (samples: 404)
* `/api/queue/v1/task/<taskId>/runs/<runId>/artifacts/<name>` for synthetic tasks: the raw log
  (gzip, `Content-Encoding: gzip`, as Taskcluster's storage serves it) and the errorsummary; a
  failed task gets one of Treeherder's sample failing logs (sample_data/logs), a passing one a short
  clean log
* `/rest/bug` as Bugzilla's REST API answers update_bugscache: with `keywords=`, the bugs of
  sample_data/bugs (bug_list.json and bugscache_population/run-0.json) changed since
  `last_change_time` (their change time is served as 20 days before the server started, as
  Treeherder's own test does), paged by `limit`/`offset`; with `id=a,b`, those bugs from every file
  plus made-up open bugs for the error lines of the failing sample logs (`failing_log_bugs`)
* `/<repo path>/json-pushes?...&endID=<id>`: the sample pushlog, a synthetic one, or one made up
  for a push id named in a sample task's route (so the sample jobs find their push); without
  `endID` (the pushlog failsafe's poll) an empty pushlog
* `/repos/<org>/<repo>/compare/<base>...<head>` and `/repos/<org>/<repo>/pulls/<n>/commits`
"""

from __future__ import annotations

import datetime
import gzip
import logging
import re
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from apps.jobs.services.taskcluster import route_origins
from devtools import synthetic
from devtools.samples import sample_bug_files, sample_bugs, sample_log_bytes, sample_read

logger = logging.getLogger(__name__)

TASK = re.compile(r"^/api/queue/v1/task/([A-Za-z0-9_-]{22})$")
ARTIFACTS = re.compile(r"^/api/queue/v1/task/([A-Za-z0-9_-]{22})/runs/(\d+)/artifacts$")
ARTIFACT = re.compile(r"^/api/queue/v1/task/([A-Za-z0-9_-]{22})/runs/(\d+)/artifacts/(.+)$")
# Sample failing logs a failed synthetic task serves (by task number), with their errorsummaries.
FAILING_LOGS = ("mochitest-fail.log.gz", "reftest-fail.log.gz", "crashtest-timeout.log.gz", "mochitest-crash.log.gz")
PASSING_LOG = gzip.compress(
    b"".join(
        b"[task 2026-01-01T00:00:%02dZ] 00:00:%02d     INFO - TEST-PASS | test_%d.html | ok\n" % (i % 60, i % 60, i)
        for i in range(200)
    )
)
PUSHLOG = re.compile(r"^/(.+)/json-pushes/?$")
COMPARE = re.compile(r"^/repos/([^/]+)/([^/]+)/compare/([0-9a-f]{40})\.\.\.([0-9a-f]{40})$")
PR_COMMITS = re.compile(r"^/repos/([^/]+)/([^/]+)/pulls/(\d+)/commits$")


def failing_log_bugs(changed: str) -> list[dict[str, Any]]:
    """Made-up open intermittent bugs for the error lines of FAILING_LOGS (from their golden
    .logview.json), so the quick start's failed jobs get bug suggestions: summaries in Bugzilla's
    "Intermittent <test> | <message>" style, ids from 9,000,000."""
    from apps.failures.parsing.searchterms import clean_line, search_terms

    bugs: list[dict[str, Any]] = []
    for name in FAILING_LOGS:
        view = orjson.loads(sample_log_bytes(name.replace(".log.gz", ".logview.json")))
        for error in view["errors"]:
            cleaned = clean_line(error["line"])
            info = search_terms(cleaned)
            if not info.terms:
                continue
            parts = cleaned.split(" | ")
            subject = info.path_end or info.terms[0]
            message = parts[2] if len(parts) >= 3 else ""
            bugs.append(
                {
                    "id": 9_000_000 + len(bugs),
                    "summary": f"Intermittent {subject} | {message}"[:255],
                    "status": "NEW",
                    "resolution": "",
                    "dupe_of": None,
                    "duplicates": [],
                    "cf_crash_signature": "",
                    "keywords": ["intermittent-failure"],
                    "last_change_time": changed,
                    "whiteboard": "(made up by the sample server)",
                }
            )
    return bugs


class SampleData:
    """Everything the server answers from, loaded once."""

    def __init__(self) -> None:
        self.tasks: dict[str, Any] = sample_read("taskcluster_tasks")
        self.hg_pushlog: dict[str, Any] = sample_read("hg_push_commits")
        self.compare = {
            (c["url"].split("/repos/")[1].split("/compare/")[0], c["url"].rsplit("/", 1)[1]): c
            for c in sample_read("github_push_compare")
        }
        self.pr_commits: list[Any] = sample_read("github_pr_commits")
        changed = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.bugs_changed = [
            {**bug, "last_change_time": changed}
            for name in ("bug_list.json", "bugscache_population/run-0.json")
            for bug in sample_bugs(name)
        ] + failing_log_bugs(changed)
        self.bugs_by_id = {
            bug["id"]: {**bug, "last_change_time": changed} for name in sample_bug_files() for bug in sample_bugs(name)
        }
        # Push ids named in the sample tasks' routes -> (project, revision), for made-up pushlogs.
        self.route_pushes: dict[int, tuple[str, str]] = {}
        for task in self.tasks.values():
            for origin in route_origins(task.get("routes", [])):
                if "id" in origin:
                    self.route_pushes[origin["id"]] = (origin["project"], origin["revision"])


def sample_route_pushlog(push_id: int, project: str, revision: str) -> dict[str, Any]:
    """A pushlog for a sample task's push, which the samples do not include."""
    return {
        "lastpushid": push_id,
        "pushes": {
            str(push_id): {
                "changesets": [
                    {
                        "node": revision,
                        "author": "Sample Author <sample@mozilla.com>",
                        "desc": f"Sample push {push_id} to {project} (synthesized: the samples have no pushlog for it)",
                        "branch": "default",
                        "tags": [],
                    }
                ],
                "date": 1561575000,
                "user": "sample@mozilla.com",
            }
        },
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the ingestion client pools connections
    server: SampleServer

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: Any) -> None:
        data = orjson.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_raw(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.count_request()
        url = urlsplit(self.path)
        raw = self.server.raw_answer(url.path)
        if raw is not None:
            self._send_raw(*raw)
            return
        try:
            body = self.server.answer(url.path, parse_qs(url.query))
        except Exception:
            logger.exception("sample server failed on %s", self.path)
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "internal error"})
            return
        if body is None:
            self._send(HTTPStatus.NOT_FOUND, {"code": "ResourceNotFound", "message": f"{url.path} not found"})
        else:
            self._send(HTTPStatus.OK, body)


class SampleServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], data: SampleData | None = None) -> None:
        super().__init__(address, Handler)
        self.data = data or SampleData()
        self.requests = 0
        self._lock = threading.Lock()
        # Test hooks: answer 5xx for the next N requests of a path prefix ("the service is down");
        # answer requests of a path prefix only after that many seconds ("the service is slow").
        self.failures: dict[str, int] = {}
        self.stalls: dict[str, float] = {}
        # Test hook: exact paths answered with (status, headers, body) as given (a log, a redirect).
        self.files: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.bugzilla_queries: list[dict[str, list[str]]] = []  # what /rest/bug was asked

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing its keep-alive connection is routine, not a server error.
        logger.debug("connection from %s ended abruptly", client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def raw_answer(self, path: str) -> tuple[int, dict[str, str], bytes] | None:
        """Non-JSON answers: test files, and the logs of synthetic tasks."""
        if path in self.files:
            return self.files[path]
        match = ARTIFACT.match(path)
        if not match or match.group(3).endswith("/"):
            return None
        decoded = synthetic.task_decode(match.group(1))
        if not decoded:
            return (HTTPStatus.NOT_FOUND, {"Content-Type": "application/json"}, b'{"code":"ResourceNotFound"}')
        seed, push, task = decoded
        failed = synthetic.TaskPlan(seed, push, task).outcome == "failed"
        name = match.group(3)
        if name == "public/logs/live_backing.log":
            body = sample_log_bytes(FAILING_LOGS[task % len(FAILING_LOGS)]) if failed else PASSING_LOG
            return (HTTPStatus.OK, {"Content-Type": "text/plain; charset=utf-8", "Content-Encoding": "gzip"}, body)
        if name.endswith("_errorsummary.log"):
            sample = (
                "mochitest-browser-chrome_errorsummary.log"
                if failed
                else "mochitest-browser-chrome_pass_errorsummary.log"
            )
            return (HTTPStatus.OK, {"Content-Type": "text/plain; charset=utf-8"}, sample_log_bytes(sample))
        return None

    def bugzilla(self, query: dict[str, list[str]]) -> Any:
        self.bugzilla_queries.append(query)
        if ids := _first(query, "id"):
            wanted = [int(i) for i in ids.split(",") if i.isdigit()]
            return {"bugs": [self.data.bugs_by_id[i] for i in wanted if i in self.data.bugs_by_id]}
        since = _first(query, "last_change_time")
        limit, offset = int(_first(query, "limit") or 500), int(_first(query, "offset") or 0)
        changed = [b for b in self.data.bugs_changed if b["last_change_time"] >= since]
        return {"bugs": changed[offset : offset + limit]}

    def answer(self, path: str, query: dict[str, list[str]]) -> Any:
        stall = max((seconds for prefix, seconds in list(self.stalls.items()) if path.startswith(prefix)), default=0)
        if stall:
            time.sleep(stall)
        with self._lock:
            for prefix, remaining in list(self.failures.items()):
                if path.startswith(prefix) and remaining > 0:
                    self.failures[prefix] = remaining - 1
                    raise RuntimeError(f"injected failure for {path}")
        if match := TASK.match(path):
            task_id = match.group(1)
            if task_id in self.data.tasks:
                return self.data.tasks[task_id]
            decoded = synthetic.task_decode(task_id)
            return synthetic.task_definition(*decoded) if decoded else None
        if match := ARTIFACTS.match(path):
            decoded = synthetic.task_decode(match.group(1))
            return synthetic.artifacts(*decoded, int(match.group(2))) if decoded else None
        if match := PUSHLOG.match(path):
            end = (query.get("endID") or [""])[0]
            if not end and "endID" not in query:
                # The pushlog failsafe's poll (no endID): nothing beyond what Pulse announces.
                return {"lastpushid": 0, "pushes": {}}
            if not end.isdigit():
                return None
            push_id = int(end)
            if push_id == self.data.hg_pushlog["lastpushid"] and match.group(1) == "try":
                return self.data.hg_pushlog
            if push_id in self.data.route_pushes:
                return sample_route_pushlog(push_id, *self.data.route_pushes[push_id])
            seed, push = synthetic.push_from_log_id(push_id)
            if seed and match.group(1) == synthetic.REPOSITORY_PATH:
                return synthetic.pushlog(seed, push)
            return None
        if path == "/rest/bug":
            return self.bugzilla(query)
        if match := COMPARE.match(path):
            return self.data.compare.get((f"{match.group(1)}/{match.group(2)}", f"{match.group(3)}...{match.group(4)}"))
        if match := PR_COMMITS.match(path):
            page = int((query.get("page") or ["1"])[0])
            if (match.group(1), match.group(2), match.group(3)) == ("mozilla", "test_treeherder", "1692"):
                return self.data.pr_commits if page == 1 else []
            return None
        return None


def _first(query: dict[str, list[str]], name: str) -> str:
    return (query.get(name) or [""])[0]


def serve(host: str = "127.0.0.1", port: int = 0) -> SampleServer:
    """Start the server in a background thread; returns it (its `.url`, `.shutdown()`)."""
    server = SampleServer((host, port))
    thread = threading.Thread(target=server.serve_forever, name="sample-services", daemon=True)
    thread.start()
    return server
