"""Shared reads of the rows live events name: each event's job (or push) row is read once per
process, not once per execution of every subscription that delivers it.

Before an event is executed its row is read (`_prepare_readable` in schema/live/subscriptions.py:
an event whose row cannot be read is held). With many distinct subscription documents that was one
query per execution per event (the soak's mix: 132 documents, about 2.2 executions per event), each
for the same row. Here every execution asks `SharedRows.get(loader, key, seq)`, and:

* requests made in one turn of the event loop are read together, one query per loader class;
* a request for a row already being read joins that read if the read is fresh enough for it;
* a row that has been read is served from a small cache to later requests it is fresh enough for;
* when the hub dispatches events some stream of the process wants (`expect`), their job ids are
  read ahead with the next read, so a relay batch of N events costs one query, not N.

**Freshness.** The contract: never deliver a row older than the event. Every event anyone asks
about is numbered, and the relay numbers only committed events, in increasing order: once seq S is
known, every event with a cursor up to S has committed. So a read that starts after the process has
seen S sees every change of every event up to S, and its rows are good for those events
(`fresh_for = S`), never for a later one. Newer than the event is allowed, as before (a read per
execution also ran after the event).

**Failures.** A read that fails fails every request waiting on it, and caches nothing: each waiter
holds its event and asks again (`_prepare_readable`), which starts a new read.

**Memory.** At most `CACHE_ROWS` rows are kept (least recently used out first), and at most
`READ_AHEAD_KEYS` keys wait to be read ahead. Only the event's own row is shared: executions prime
their own fresh per-event loaders with it, so every other field is loaded anew for each event, as
schema/loading.py says.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from apps.core.metrics import LIVE_ROW_READS
from apps.live.events import NumberedEvent
from apps.live.hub import Hub
from apps.live.reads import run_live
from schema.jobs.dataloaders import JobByIdLoader
from schema.loading import SelectorLoader

type Loader = type[SelectorLoader[Any, Any]]

# A few relay batches' worth of rows: enough for every execution of recent events to find its row,
# small enough not to matter (a job row is a few KB).
CACHE_ROWS = 1_000
# Job ids of dispatched events still to be read ahead; more than this are read when asked for.
READ_AHEAD_KEYS = 500
# The most keys one query names.
READ_MAX_KEYS = 500

JOB_CHANGED = "job.changed"


class _Read:
    """One query in flight: the keys it reads, and the cursor its rows are fresh for."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fresh_for: int) -> None:
        self.fresh_for = fresh_for
        self.done: asyncio.Future[dict[Hashable, Any]] = loop.create_future()
        # Nobody may be waiting any more (every waiter cancelled): do not log the failure as unseen.
        self.done.add_done_callback(lambda future: future.cancelled() or future.exception())


class SharedRows:
    """Per hub (per process and event loop): `rows_for(hub)`."""

    def __init__(self, *, cache_rows: int = CACHE_ROWS) -> None:
        self.cache_rows = cache_rows
        self._cache: OrderedDict[tuple[Loader, Hashable], tuple[Any, int]] = OrderedDict()  # -> (row, fresh_for)
        self._reading: dict[tuple[Loader, Hashable], _Read] = {}
        self._wanted: dict[Loader, set[Hashable]] = {}  # asked for in this turn of the loop
        self._ahead: dict[Hashable, None] = {}  # job ids to read ahead, oldest first
        self._seen = 0  # the newest cursor known: every event up to it has committed
        self._next: _Read | None = None  # the read being gathered in this turn
        self._fetchers: dict[Loader, SelectorLoader[Any, Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.reads = 0

    def expect(self, event: NumberedEvent) -> None:
        """The hub dispatched `event` and a stream of this process wants it: read its job ahead."""
        self._seen = max(self._seen, event.seq)
        if event.type == JOB_CHANGED and event.job_id is not None:
            self._ahead.pop(event.job_id, None)
            self._ahead[event.job_id] = None
            while len(self._ahead) > READ_AHEAD_KEYS:
                del self._ahead[next(iter(self._ahead))]

    async def get(self, loader: Loader, key: Hashable, seq: int) -> Any:
        """The row `loader` would load for `key`, read after event `seq` committed (None: no such
        row). Raises what the read raised (DatabaseError while the database is down)."""
        self._seen = max(self._seen, seq)
        cached = self._cache.get((loader, key))
        if cached is not None and cached[1] >= seq:
            self._cache.move_to_end((loader, key))
            return cached[0]
        read = self._reading.get((loader, key))
        if read is None or read.fresh_for < seq:
            read = self._gather(loader, key)
        found = await asyncio.shield(read.done)
        return found.get((loader, key))

    def _gather(self, loader: Loader, key: Hashable) -> _Read:
        """Add `key` to the read that starts at the end of this turn of the event loop."""
        if self._next is None:
            loop = asyncio.get_running_loop()
            self._next = _Read(loop, fresh_for=0)
            loop.call_soon(self._start)
        self._wanted.setdefault(loader, set()).add(key)
        return self._next

    def _start(self) -> None:
        read, wanted = self._next, self._wanted
        self._next, self._wanted = None, {}
        if read is None:
            return
        # Everything up to _seen has committed by now, and the query starts after this line.
        read.fresh_for = self._seen
        if JobByIdLoader in wanted or self._ahead:
            jobs = wanted.setdefault(JobByIdLoader, set())
            while self._ahead and len(jobs) < READ_MAX_KEYS:
                jobs.add(self._ahead.popitem()[0])  # newest first: the ones executions ask for next
        for loader, keys in wanted.items():
            for key in keys:
                self._reading[(loader, key)] = read
        task = asyncio.get_running_loop().create_task(self._read(read, wanted))
        self._tasks.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._tasks.discard)

    async def _read(self, read: _Read, wanted: dict[Loader, set[Hashable]]) -> None:
        found: dict[Hashable, Any] = {}
        try:
            for loader, keys in wanted.items():
                rows = await run_live(self._fetcher(loader).fetch, list(keys))
                self.reads += 1
                LIVE_ROW_READS.labels(loader=loader.__name__).inc()
                for key in keys:
                    row = rows.get(key)
                    found[(loader, key)] = row
                    self._remember(loader, key, row, read.fresh_for)
        except asyncio.CancelledError:  # the loop is closing: nobody will be served
            read.done.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - every waiter hears of it, and holds its event
            read.done.set_exception(exc)
        else:
            read.done.set_result(found)
        finally:
            for loader, keys in wanted.items():
                for key in keys:
                    if self._reading.get((loader, key)) is read:
                        del self._reading[(loader, key)]

    def _remember(self, loader: Loader, key: Hashable, row: Any, fresh_for: int) -> None:
        cached = self._cache.get((loader, key))
        if cached is not None and cached[1] > fresh_for:
            return  # a read that started later finished first: keep its row
        self._cache[(loader, key)] = (row, fresh_for)
        self._cache.move_to_end((loader, key))
        while len(self._cache) > self.cache_rows:
            self._cache.popitem(last=False)

    def _fetcher(self, loader: Loader) -> SelectorLoader[Any, Any]:
        fetcher = self._fetchers.get(loader)
        if fetcher is None:
            fetcher = self._fetchers[loader] = loader()
        return fetcher


_by_hub: weakref.WeakKeyDictionary[Hub, SharedRows] = weakref.WeakKeyDictionary()


def rows_for(hub: Hub) -> SharedRows:
    """The shared rows of `hub`'s process and loop, watching what it dispatches."""
    rows = _by_hub.get(hub)
    if rows is None:
        rows = _by_hub[hub] = SharedRows()
        hub.watch(rows.expect)
    return rows


__all__ = ["SharedRows", "rows_for"]
