"""Log lines: secrets redacted from every record, a request/task id on every record, and one line
per HTTP request and per Celery task with its duration (docs/operations.md, "Logs").

`LOG_FORMAT=json` renders records with python-json-logger (config/settings/logging.py); the id and
the request/task fields are record attributes, so they become JSON fields.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

CURRENT_ID: contextvars.ContextVar[str] = contextvars.ContextVar("treeherder_request_id", default="")
REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MASK = "***"

# Secrets by shape: credentials in URLs, bearer tokens, key=value / "key": "value" pairs whose key
# names a secret, and header lines.
_PATTERNS = [
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/\s@]*:)[^@/\s]+@"), rf"\1{MASK}@"),
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    (
        re.compile(
            r"(?i)(\b[\w-]*(?:authorization|api[_-]?key|token|secret|password|passwd|dsn|cookie|session)[\w-]*"
            r"[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|token|basic)\s+)?+)(?!\*\*\*)[^\s\"'&,;}\]]+"
        ),
        rf"\1{MASK}",
    ),
]


def _configured_secrets() -> list[str]:
    try:
        from django.conf import settings

        values = [
            getattr(settings, name, "")
            for name in ("SECRET_KEY", "GITHUB_TOKEN", "BUGZILLA_API_KEY", "SENTRY_DSN", "OIDC_RP_CLIENT_SECRET")
        ]
    except Exception:  # noqa: BLE001 - settings not configured (a tool importing this): shapes only
        return []
    return [str(value) for value in values if value and len(str(value)) >= 8]


def redact(text: str) -> str:
    for secret in _configured_secrets():
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites each record's message (and its traceback) with secrets masked. On the handler, so
    every logger's records pass through it, ours and libraries' alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: log what there is
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class CurrentId(logging.Filter):
    """Adds `request_id` (the HTTP request's or the Celery task's) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = CURRENT_ID.get()
        return True


request_logger = logging.getLogger("treeherder.request")
task_logger = logging.getLogger("treeherder.task")


def _request_id(request: Any) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _CLIENT_ID.match(given) else uuid.uuid4().hex


def _log_request(request: Any, status: int, started: float, request_id: str) -> None:
    from apps.core.metrics import HTTP_DURATION, HTTP_REQUESTS

    seconds = time.perf_counter() - started
    HTTP_REQUESTS.labels(method=request.method, status=str(status)).inc()
    HTTP_DURATION.observe(seconds)
    # The path only: a query string may carry anything (GraphQL GET documents, tokens).
    request_logger.info(
        "%s %s %d %.1f ms",
        request.method,
        request.path,
        status,
        seconds * 1000,
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        },
    )


class RequestLogMiddleware:
    """One log line per HTTP request (method, path, status, duration, request id); the id comes
    from X-Request-ID when the client (or proxy) sends a sane one, and goes back in the response."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self._acall(request)
        request_id = _request_id(request)
        token = CURRENT_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            _log_request(request, status, started, request_id)
            CURRENT_ID.reset(token)

    async def _acall(self, request: Any) -> Any:
        request_id = _request_id(request)
        token = CURRENT_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            _log_request(request, status, started, request_id)
            CURRENT_ID.reset(token)


_task_started: dict[str, tuple[float, contextvars.Token[str]]] = {}


def _task_prerun(task_id: str = "", **kwargs: Any) -> None:
    _task_started[task_id] = (time.perf_counter(), CURRENT_ID.set(task_id))


def _task_postrun(task_id: str = "", task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    started, token = _task_started.pop(task_id, (time.perf_counter(), None))
    seconds = time.perf_counter() - started
    name = getattr(task, "name", "?")
    task_logger.info(
        "task %s %s %.1f ms",
        name,
        state or "?",
        seconds * 1000,
        extra={"request_id": task_id, "task": name, "state": state, "duration_ms": round(seconds * 1000, 2)},
    )
    if token is not None:
        CURRENT_ID.reset(token)


def connect_task_logging() -> None:
    """One line per Celery task (name, state, duration, task id as request_id)."""
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)


__all__ = ["CurrentId", "RedactSecrets", "RequestLogMiddleware", "connect_task_logging", "redact"]
