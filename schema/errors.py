"""Which errors a client sees as they are, which are masked in production, and their codes.

Errors the client caused (syntax, validation, limits, bad cursors, bad arguments) stay precise:
they have no `original_error`, or one the code raised on purpose as a `GraphQLError`. Anything else
is an unexpected failure inside the server: in production (DEBUG off) its message, which may carry
internals, is replaced by "Unexpected error."; the original is logged by Strawberry with its stack,
unless it is an unreachable database, which is counted and logged once per outage (apps.core.outage).

Every error carries `extensions.code`, over HTTP and WebSocket alike (docs/api-limits.md lists
them): the code raised with it, or one given by where it arose: GRAPHQL_PARSE_FAILED (parsing),
GRAPHQL_VALIDATION_FAILED (graphql-core's rules), BAD_USER_INPUT (a client error found while
executing, e.g. a variable of the wrong type), TRY_AGAIN (a write that lost a database lock conflict
in every attempt, apps.core.transactions: nothing was written, the same request may succeed),
INTERNAL (a server fault).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator

import orjson
from graphql import GraphQLError
from graphql.validation.validate import ValidationAbortedError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from apps.core.outage import DATABASE, database_unreachable
from apps.core.transactions import TransientConflict

logger = logging.getLogger("treeherder.graphql")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
INTERNAL = "INTERNAL"
TRY_AGAIN = "TRY_AGAIN"
COMPLEXITY_LIMIT = "QUERY_COMPLEXITY_LIMIT_EXCEEDED"
COMPLEXITY_MESSAGE = (
    "The document is too complex to validate: fields of the same name are compared pair by pair, and "
    "it has too many of them (or too many fragment spreads). Select each field once."
)
TOKEN_LIMIT = "QUERY_TOKEN_LIMIT_EXCEEDED"  # noqa: S105 - an error code, not a secret


class UserInputError(GraphQLError):
    """A resolver's refusal of an argument value the client can correct. Never masked."""

    def __init__(self, message: str, *, code: str = BAD_USER_INPUT, **details: object) -> None:
        super().__init__(message, extensions={"code": code, **details})


# Strawberry's refusals of a request it cannot run (over WebSocket they arrive as errors wrapping
# these exceptions): the client's mistakes, with the code each one gets.
_REQUEST_ERRORS: dict[type[Exception], str] = {
    CannotGetOperationTypeError: "OPERATION_NOT_FOUND",
    InvalidOperationTypeError: "OPERATION_NOT_ALLOWED",
    MissingQueryError: "BAD_REQUEST",
}


def error_body(message: str, code: str, **details: object) -> bytes:
    """A refusal before any GraphQL execution, GraphQL-shaped: `{"errors": [{message, extensions}]}`."""
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code, **details}}]})


def should_mask_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False
    # A TransientConflict is not hidden either: its message says only that nothing was written and
    # the request may be sent again, which is what the client needs to know.
    return not isinstance(original, (GraphQLError, TransientConflict, *_REQUEST_ERRORS))


def set_code(error: GraphQLError, code: str) -> None:
    """Give `error` a code unless it has one."""
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": code}


class ErrorCodes(SchemaExtension):
    """Codes the errors of parsing and validation by the phase they come from (the errors raised
    with a code, such as the limits', keep theirs)."""

    def on_parse(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            set_code(error, TOKEN_LIMIT if "tokens. Parsing aborted" in error.message else PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            if isinstance(error, ValidationAbortedError) and error.message == "Validation aborted.":
                # graphql-core gave up: its budget for comparing fields (or walking fragments) is spent.
                error.message = COMPLEXITY_MESSAGE
                set_code(error, COMPLEXITY_LIMIT)
            set_code(error, VALIDATION_FAILED)


class CodedMaskErrors(MaskErrors):
    """MaskErrors whose "Unexpected error." says it is the server's fault (code INTERNAL)."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL}
        return masked


class _RepeatFilter:
    """Logs a given refusal once per `window` seconds, then how many times it was repeated.

    A bot retrying one bad query in a loop would otherwise write a log line per request."""

    def __init__(self, window: float = 60.0, size: int = 1024) -> None:
        self.window = window
        self.size = size
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def admit(self, key: str, now: float | None = None) -> tuple[bool, int]:
        """(log it now?, how many identical refusals were suppressed since it was last logged)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last[0] < self.window:
                self._seen[key] = (last[0], last[1] + 1)
                return False, 0
            suppressed = last[1] if last is not None else 0
            self._seen[key] = (now, 0)
            self._seen.move_to_end(key)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return True, suppressed


REPEATS = _RepeatFilter()


def log_client_error(code: str, message: str) -> None:
    """One WARNING line per client error, identical ones at most once a minute (with a repeat count)."""
    admitted, suppressed = REPEATS.admit(f"{code}\0{message}")
    if admitted:
        more = f" (and {suppressed} identical refusals in the last minute)" if suppressed else ""
        logger.warning("GraphQL request refused (%s): %s%s", code, message[:500], more)


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
    """Unexpected errors: ERROR with the stack (Strawberry's logger), code INTERNAL. Client errors
    (a bad query, a limit, a bad argument): one WARNING line, no stack, so they are seen but not paged
    on; a document with many errors logs its first one and how many there were."""
    client: list[GraphQLError] = []
    for error in errors:
        if should_mask_error(error):
            set_code(error, INTERNAL)
            if database_unreachable(error.original_error):
                DATABASE.failed(error.original_error)  # type: ignore[arg-type]  # one line per outage
            else:
                StrawberryLogger.error(error, execution_context)
        elif isinstance(error.original_error, TransientConflict):
            # Logged (and counted) once by apps.core.transactions when the retries ran out.
            set_code(error, TRY_AGAIN)
            error.extensions = {**(error.extensions or {}), "retryable": True}
        else:
            original = error.original_error
            set_code(error, _REQUEST_ERRORS.get(type(original), BAD_USER_INPUT) if original else BAD_USER_INPUT)
            client.append(error)
    if client:
        first = client[0]
        more = f" (+{len(client) - 1} more errors)" if len(client) > 1 else ""
        log_client_error(str((first.extensions or {})["code"]), first.message + more)
