"""Artifact lists over several pages: the continuation token goes back URL-encoded, and a page that
is not what the queue API answers fails as an outbound error, not as an AttributeError."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.core.http import OutboundBadResponse, reset_pool
from apps.jobs.services.definitions import task_artifacts_list

TASK = "A35mWTRuQmyj88yMnIF0fA"
TOKEN = "a+b/c=&d e%"  # characters a raw query string would mangle


Answer = Callable[[dict[str, list[str]]], Any]


@pytest.fixture
def queue(settings: Any) -> Iterator[tuple[str, dict[str, Answer]]]:
    routes: dict[str, Answer] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            body = json.dumps(routes[url.path](parse_qs(url.query))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{server.server_address[1]}"]
    reset_pool()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes
    server.shutdown()
    reset_pool()


def test_the_continuation_token_is_url_encoded(queue: tuple[str, dict[str, Answer]]) -> None:
    root, routes = queue
    seen: list[list[str] | None] = []

    def pages(query: dict[str, list[str]]) -> dict[str, Any]:
        seen.append(query.get("continuationToken"))
        if "continuationToken" not in query:
            return {"artifacts": [{"name": "public/logs/live.log"}], "continuationToken": TOKEN}
        if query["continuationToken"] == [TOKEN]:
            return {"artifacts": [{"name": "public/test_info/errorsummary.log"}]}
        return {"artifacts": [], "continuationToken": "garbled"}

    routes[f"/api/queue/v1/task/{TASK}/runs/0/artifacts"] = pages

    artifacts = task_artifacts_list(root_url=root, task_id=TASK, run_id=0)

    assert [a["name"] for a in artifacts] == ["public/logs/live.log", "public/test_info/errorsummary.log"]
    assert seen == [None, [TOKEN]]


@pytest.mark.parametrize(
    "page",
    [
        ["not", "an", "object"],
        {"artifacts": {"name": "x"}},
        {"artifacts": ["public/logs/live.log"]},
        {"artifacts": [], "continuationToken": 7},
    ],
)
def test_a_malformed_artifacts_page_is_an_outbound_error(queue: tuple[str, dict[str, Answer]], page: Any) -> None:
    root, routes = queue
    routes[f"/api/queue/v1/task/{TASK}/runs/0/artifacts"] = lambda query: page

    with pytest.raises(OutboundBadResponse) as err:
        task_artifacts_list(root_url=root, task_id=TASK, run_id=0)

    assert not err.value.retryable
