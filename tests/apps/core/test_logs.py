"""Logs: one JSON line per request (LOG_FORMAT=json) with its duration and id, one per task, and
no secret in any line."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import requests

from apps.core.logs import RedactSecrets, redact
from tests.support.processes import run_daphne

SECRET = "ghp_0123456789abcdefSECRET"


def test_redact_masks_secrets_by_shape_and_configured_values(settings: Any) -> None:
    settings.GITHUB_TOKEN = SECRET
    assert redact(f"fetching with {SECRET}") == "fetching with ***"
    assert redact("amqp://guest:hunter2@broker:5672//") == "amqp://guest:***@broker:5672//"
    assert redact("Authorization: Bearer abcdefghijklmnop") == "Authorization: Bearer ***"
    assert redact('{"api_key": "k-123456789", "x": 1}') == '{"api_key": "***", "x": 1}'
    assert redact("url?token=abc123def&page=2") == "url?token=***&page=2"
    assert redact("X-BUGZILLA-API-KEY=zzzzzzzzzz") == "X-BUGZILLA-API-KEY=***"
    assert redact("nothing secret here: 42 jobs") == "nothing secret here: 42 jobs"


def test_a_record_and_its_traceback_are_redacted(settings: Any) -> None:
    settings.GITHUB_TOKEN = SECRET
    try:
        raise RuntimeError(f"request to https://user:pw12345@example.com failed with {SECRET}")
    except RuntimeError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "GitHub said %s for token=%s", ("no", SECRET), exc_info=True
        )
        import sys

        record.exc_info = sys.exc_info()
    RedactSecrets().filter(record)
    text = logging.Formatter().format(record)
    assert SECRET not in text and "pw12345" not in text
    assert "GitHub said no for token=***" in text
    assert "https://user:***@example.com" in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_json_line_per_request_with_duration_and_id_and_no_secret(tmp_path: Path) -> None:
    with run_daphne(tmp_path, env={"LOG_FORMAT": "json", "GITHUB_TOKEN": SECRET}) as server:
        given = requests.get(
            f"{server.url}/healthz/live?token=querysecret123",
            headers={"Authorization": f"Bearer {SECRET}", "X-Request-ID": "probe-1"},
            timeout=10,
        )
        made = requests.post(
            f"{server.url}/graphql",
            json={"query": "query Repos { repositories { name } }", "operationName": "Repos"},
            headers={"Authorization": "Bearer headersecret456"},
            timeout=10,
        )
        log = server.log()

    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests_logged = [line for line in lines if line.get("logger") == "treeherder.request"]
    assert [(r["method"], r["path"], r["status"]) for r in requests_logged] == [
        ("GET", "/healthz", 200),  # run_daphne's own readiness probe
        ("GET", "/healthz/live", 200),
        ("POST", "/graphql", 200),
    ]
    assert requests_logged[1]["request_id"] == "probe-1" == given.headers["X-Request-ID"]
    assert requests_logged[2]["request_id"] == made.headers["X-Request-ID"] and len(made.headers["X-Request-ID"]) == 32
    assert all(isinstance(r["duration_ms"], float) and r["level"] == "INFO" and r["time"] for r in requests_logged)
    for secret in (SECRET, "querysecret123", "headersecret456"):
        assert secret not in log
