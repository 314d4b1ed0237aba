"""The HTTP GraphQL endpoint: POST and GET (queries only), orjson responses, our own GraphiQL.

A request the server cannot run (not JSON, not an object, a subscription, an unknown operation
name, a mutation over GET) is refused with a GraphQL-shaped JSON error and a code, as the
GraphQL-over-HTTP spec asks, instead of Strawberry's plain-text 400 (or a 500, for a body that is
JSON but not an object). Oversized bodies and URLs never get here: config.http_limits.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from strawberry.django.views import AsyncGraphQLView
from strawberry.exceptions import MissingQueryError
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from schema.context import Context
from schema.errors import error_body, log_client_error

GRAPHIQL_INDEX = Path(settings.BASE_DIR) / "frontend" / "graphiql" / "dist" / "index.html"
# GraphiQL's page loads everything from this origin (frontend/graphiql bundles it all), and its
# Content-Security-Policy says so: scripts, Monaco's web workers (module workers built by Vite into
# /static/graphiql/assets/, never blob: URLs) and requests (fetch, and the WebSocket: 'self' covers
# ws:/wss: of this host) only from here; no inline or eval'd script, no plugin, no frame, no form.
# What it cannot do without: 'unsafe-inline' styles (Monaco and GraphiQL's dialogs insert <style>
# elements and style attributes at run time) and data: fonts and images (GraphiQL's stylesheet
# embeds its fonts, Monaco's its colour picker and touch keyboard icons, as data: URLs). Without
# either, Chromium reports hundreds of violations and the editors lose their layout and icons.
# tests/browser/test_graphiql.py runs GraphiQL under this policy and fails on any violation.
GRAPHIQL_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "worker-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

SUBSCRIPTIONS_OVER_HTTP = (
    "Subscriptions are served over WebSocket, not HTTP: connect to ws(s)://<this host>/graphql with the "
    "graphql-transport-ws protocol (the legacy graphql-ws protocol is accepted too)."
)


@cache
def graphiql_html() -> str | None:
    """The built GraphiQL page (frontend/graphiql, built by Vite at install time), or None."""
    return GRAPHIQL_INDEX.read_text(encoding="utf-8") if GRAPHIQL_INDEX.is_file() else None


class RequestRefused(Exception):
    """A request refused before execution, answered as `{"errors": [...]}` with `status`."""

    def __init__(self, status: int, message: str, code: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.details = details


def refusal_response(refused: RequestRefused) -> HttpResponse:
    log_client_error(refused.code, refused.message)
    response = HttpResponse(
        error_body(refused.message, refused.code, **refused.details),
        status=refused.status,
        content_type="application/json",
    )
    # Logged above, with its code and rate-limited: Django would add a "Bad Request" WARNING line
    # of its own for every 4xx (django.utils.log.log_response skips a response marked logged).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


_JSON_KINDS = {str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}
_STATUS_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}


class GraphQLView(AsyncGraphQLView[Context, None]):
    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return await self.run(request=request)
        except RequestRefused as refused:
            return refusal_response(refused)
        except HTTPException as exc:  # Strawberry's own refusals, with its messages
            code = _STATUS_CODES.get(exc.status_code, "BAD_REQUEST")
            return refusal_response(RequestRefused(exc.status_code, exc.reason, code))
        except RequestDataTooBig:  # only reachable in-process: over HTTP, config.http_limits refuses first
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return refusal_response(
                RequestRefused(413, f"The request body is over {limit} bytes.", "REQUEST_TOO_LARGE", limit=limit)
            )

    async def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:
        return Context(request=request, response=response)

    async def get_root_value(self, request: Any) -> None:
        return None

    def encode_json(self, data: object) -> bytes:
        # orjson: about 10x faster than json.dumps on large job lists, and it emits bytes directly.
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses invalid UTF-8 with a JSONDecodeError (json.loads raises UnicodeDecodeError,
        # which Strawberry does not catch: a 500).
        return orjson.loads(data)

    async def parse_http_body(self, request: Any) -> Any:
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if "application/json" in content_type:
                data = self.parse_json(await request.get_body())
                if not isinstance(data, dict | list):
                    kind = _JSON_KINDS.get(type(data), "value")
                    raise RequestRefused(
                        400,
                        f"The request body must be a JSON object with a `query` (got a JSON {kind}).",
                        "BAD_REQUEST",
                    )
        return await super().parse_http_body(request)

    async def execute_single(
        self, request: Any, request_adapter: Any, sub_response: Any, context: Any, root_value: Any, request_data: Any
    ) -> Any:
        # Strawberry lets a subscription through POST and GET (for its multipart protocol, which
        # this server does not offer) and then fails to execute it: refuse it with where to go.
        allowed = {OperationType.QUERY}
        if request_adapter.method == "POST":
            allowed.add(OperationType.MUTATION)
        if not isinstance(request_data.operation_name, str | None):
            raise RequestRefused(400, "`operationName` must be a string or null.", "BAD_REQUEST")
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except MissingQueryError as exc:
            raise RequestRefused(400, "No GraphQL query found in the request.", "BAD_REQUEST") from exc
        except CannotGetOperationTypeError as exc:
            raise RequestRefused(400, exc.as_http_error_reason(), "OPERATION_NOT_FOUND") from exc
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                raise RequestRefused(400, SUBSCRIPTIONS_OVER_HTTP, "OPERATION_NOT_ALLOWED") from exc
            raise RequestRefused(
                405 if request_adapter.method == "GET" else 400,
                exc.as_http_error_reason(request_adapter.method),
                "OPERATION_NOT_ALLOWED",
            ) from exc

    async def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        html = graphiql_html()
        if html is None:
            return HttpResponse(
                "GraphiQL is not built: run bin/run or bin/test (they build frontend/graphiql).",
                status=503,
                content_type="text/plain",
            )
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = GRAPHIQL_CSP
        return response
