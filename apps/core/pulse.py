"""What travels through ingestion: the envelope of one Pulse message, and the rejection of one.

The listeners wrap each Pulse message in a `PulseEnvelope`; the Celery tasks carry lists of them,
the ingestion services read them, dead letters keep them, and the replay builds them. It is a
TypedDict (a plain dict at run time) because it crosses the broker as JSON.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class PulseEnvelope(TypedDict):
    body: Any  # the decoded Pulse payload, not yet validated
    exchange: str
    routing_key: str
    root_url: str  # the Taskcluster root the message came from
    # Set by the listener, for the ingest-lag histogram: the AMQP publish timestamp when the message
    # has one, and when the listener received it (epoch seconds).
    published_at: NotRequired[float | None]
    received_at: NotRequired[float]


# A rejection's detail often quotes a message field; a field can be a megabyte long, and the detail
# goes into a log line (found by tests/reliability/test_pulse_fuzz.py).
DETAIL_MAX_CHARS = 500


def clipped(text: str, limit: int = DETAIL_MAX_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class Rejected(Exception):
    """A message that is not (or not validly) what ingestion takes: logged once with its reason,
    counted under it, acked, never retried."""

    def __init__(self, reason: str, detail: str) -> None:
        detail = clipped(detail)
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
