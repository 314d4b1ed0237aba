"""The context a live operation runs with: the request context plus what the transport knows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schema.context import Context, Loaders

if TYPE_CHECKING:
    from apps.live.hub import Stream


@dataclass
class LiveContext(Context):
    # connection_init's payload, after the authentication hook accepted it.
    connection_params: dict[str, Any] = field(default_factory=dict)
    user: Any = None
    # The cursor of the event being executed.
    cursor: str | None = None
    # The hub stream the subscription reads, and what to call when it has caught up (the transport
    # uses both to move a resumed subscription into the shared execution of the same request).
    stream: Stream | None = None
    on_caught_up: Callable[[], None] | None = None
    # True while the subscription holds events back (pushChanged's coalescing window).
    holding: bool = False

    def notify_caught_up(self) -> None:
        if self.on_caught_up is not None and not self.holding:
            self.on_caught_up()

    def fresh_loaders(self) -> None:
        """Each event is executed with new loaders, so no event sees rows cached by an earlier one."""
        self.loaders = Loaders()
