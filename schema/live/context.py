"""The context a live operation runs with: the request context plus what the transport knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.context import Context, Loaders


@dataclass
class LiveContext(Context):
    # connection_init's payload, after the authentication hook accepted it.
    connection_params: dict[str, Any] = field(default_factory=dict)
    user: Any = None
    # The cursor of the event being executed; the transport reads it to know what a client saw.
    cursor: str | None = None

    def fresh_loaders(self) -> None:
        """Each event is executed with new loaders, so no event sees rows cached by an earlier one."""
        self.loaders = Loaders()
