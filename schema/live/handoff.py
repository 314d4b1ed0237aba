"""The hand-off of a resumed subscription into the shared execution of the same request.

A subscription that resumes from a cursor runs alone (its replay is its own); once it has caught up
the WebSocket server moves its subscribers to the shared execution of the same request without the
cursor (`server.ws.sharing`). Three parties take part, and this object is all they share:

* the subscription's generator (`schema.live.subscriptions`) attaches the hub stream it reads, and
  says while it holds events back (pushChanged's coalescing window: a move then would lose them);
* the stream (`apps.live.stream`) calls back each time it has delivered everything dispatched to it
  and starts waiting for the next event;
* the server asks to be told then (`when_caught_up`, on the resumed execution), and asks the shared
  execution whether it can take subscribers right now (`ready`).

The move is made only when both executions have consumed every event dispatched so far and neither
holds one back, so it loses and repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.live.stream import Stream


class HandOff:
    def __init__(self) -> None:
        self._stream: Stream | None = None
        self._holding = False
        self._on_caught_up: Callable[[], None] | None = None

    # -- the subscription's side -----------------------------------------------------------------

    def attach(self, stream: Stream) -> None:
        """The stream this execution reads: it reports here each time it has caught up."""
        self._stream = stream
        stream.on_caught_up = self._caught_up

    def hold(self, holding: bool) -> None:
        """True while the subscription holds events back that a move would lose."""
        self._holding = holding

    # -- the server's side -------------------------------------------------------------------------

    def when_caught_up(self, callback: Callable[[], None] | None) -> None:
        """Call `callback` (synchronously, from the stream) whenever this execution has caught up and
        holds nothing back; None stops it."""
        self._on_caught_up = callback

    def ready(self) -> bool:
        """This execution has consumed everything dispatched so far, waits, and holds nothing back."""
        return self._stream is not None and self._stream.caught_up() and not self._holding

    def _caught_up(self) -> None:
        if self._on_caught_up is not None and not self._holding:
            self._on_caught_up()
