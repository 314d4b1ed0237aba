"""The context a live operation runs with: the request context plus what the transport knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.context import Context, Loaders
from schema.live import cursors
from schema.live.handoff import HandOff


@dataclass
class LiveContext(Context):
    # connection_init's payload, after the authentication hook accepted it.
    connection_params: dict[str, Any] = field(default_factory=dict)
    user: Any = None
    # The cursor of the event being executed.
    cursor: str | None = None
    # What the subscription and the WebSocket server share to move a resumed subscription into the
    # shared execution of the same request (see schema.live.handoff).
    handoff: HandOff = field(default_factory=HandOff)

    def begin_event(self, seq: int) -> str:
        """Before an event is executed: new loaders, so no event sees rows cached by an earlier one,
        and the event's cursor (returned)."""
        self.loaders = Loaders()
        self.cursor = cursors.encode(seq)
        return self.cursor
