"""The faults, as data: what each does, how long it lasts in the bench, what readiness must show."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from tests.support.faults.scenario import Readiness, Scenario, outage
from tests.support.faults.stack import wait

_RECEIVED = re.compile(r"Task \S+\[([0-9a-f-]+)\] received")
_ENDED = re.compile(r"Task \S+\[([0-9a-f-]+)\] (?:succeeded|retry|failed|raised)")


def _unfinished_batches(log: str) -> int:
    """Batches (Celery tasks) a worker's log shows received and not finished: held, unacked."""
    return len(set(_RECEIVED.findall(log)) - set(_ENDED.findall(log)))


def _worker_sigkill(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    victim = s.stack.processes["worker"][1]
    with contextlib.suppress(AssertionError):  # a stream too small to catch it so: kill it anyway
        wait(lambda: _unfinished_batches(victim.log()) > 0, timeout=20, what="the worker to hold a batch")
    s.fault()
    s.stack.kill("worker")  # its unacked batches go back to the queue, to worker-2
    s.notes.append(f"the killed worker held {_unfinished_batches(victim.log())} unfinished batches")
    s.recovered()  # the survivor carries on; a supervisor restarts the dead one meanwhile
    if seconds:
        time.sleep(seconds)
        s.stack.start("worker")


def _listeners_sigkill(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    s.fault()
    s.stack.kill("listener_tasks")  # with a batch in hand, enqueued or not: never acked
    s.stack.kill("listener_pushes")
    time.sleep(seconds)  # what is published meanwhile waits in the durable Pulse queues
    s.stack.start("listener_tasks")
    s.stack.start("listener_pushes")
    s.recovered()


def _database_cut(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    with outage(s.stack.database.proxy, s, seconds):
        pass  # web, relay and worker all lose the database; Pulse goes on publishing


# The live group's member set in channels-redis (prefix from config/settings/channels.py).
LIVE_GROUP_KEY = "th-layer:group:live.events"


def _redis_killed(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    client = redis.Redis.from_url(s.stack.redis.real)
    with outage(s.stack.redis.proxy, s, seconds):
        # Killed, not only unreachable: it comes back empty (channel-layer groups, the relay's
        # doorbell, the cache). Only the stack's own Redis database (REDIS_URL's) is flushed.
        client.flushdb()
    # Without its group membership the hub gets nothing on the layer and serves from the table
    # (its tail check): correct, but a second behind. Whether and when it joined again:
    with contextlib.suppress(AssertionError):
        joined = wait(lambda: bool(client.zcard(LIVE_GROUP_KEY)), timeout=15, what="the hub to rejoin")
        s.notes.append(f"the hub rejoined the live group {joined - s.fault_ended:.1f} s after Redis came back")
    if not client.zcard(LIVE_GROUP_KEY):
        s.notes.append("the hub had not rejoined the live group 15 s after Redis came back")


def _daphne_restarted(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    s.fault()
    took = s.stack.stop("web")  # SIGTERM, as a deploy does; the subscriber reconnects with its cursor
    s.notes.append("Daphne did not exit within 15 s of SIGTERM (killed)" if took is None
                   else f"Daphne exited {took:.1f} s after SIGTERM")  # fmt: skip
    time.sleep(seconds)
    s.stack.start("web")
    s.recovered()
    wait(lambda: bool(s.subscriber.subscribed[1:]), timeout=120, what="the subscriber to resume", logs=s.stack.logs)


def _broker_cut(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    with outage(s.stack.broker.proxy, s, seconds):
        pass  # listeners and worker lose RabbitMQ; Pulse (the publisher) keeps publishing


def _two_relays(s: Scenario, seconds: float) -> None:
    s.fault()
    s.stack.start("relay-2", "relay")  # both number the same outbox for the whole stream
    s.wait_for_jobs(s.plan.pushes * s.plan.tasks, timeout=300)
    s.stack.stop("relay-2")
    s.recovered()


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[Scenario, float], None]
    readiness: Readiness
    seconds: float  # how long it lasts in bench/reliability (the figures); tests go shorter


WORKER_SIGKILL = Fault("worker SIGKILL", _worker_sigkill, Readiness(), 5.0)
LISTENERS_SIGKILL = Fault("listeners SIGKILL", _listeners_sigkill, Readiness(), 5.0)
DATABASE_CUT = Fault("MariaDB cut", _database_cut, Readiness(ready_drops=True), 30.0)
# Readiness stays up by design when Redis is gone (the hub reads from the table); the status page
# says so.
REDIS_KILLED = Fault("Redis killed", _redis_killed, Readiness(status_down=("channel_layer", "cache")), 30.0)
DAPHNE_RESTARTED = Fault("Daphne restarted", _daphne_restarted, Readiness(ready_drops=True), 5.0)
BROKER_CUT = Fault("RabbitMQ cut", _broker_cut, Readiness(status_down=("broker",)), 20.0)
TWO_RELAYS = Fault("two relays", _two_relays, Readiness(), 0.0)
FAULTS = (WORKER_SIGKILL, LISTENERS_SIGKILL, DATABASE_CUT, REDIS_KILLED, DAPHNE_RESTARTED, BROKER_CUT, TWO_RELAYS)
