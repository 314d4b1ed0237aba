"""Fuzzing ingestion: thousands of adversarial Pulse messages (tests/support/pulse_fuzz.py), drawn by
hypothesis and published to the real exchanges on RabbitMQ, with the sample stream's valid messages
among them, through the real listeners (manage.py pulse_listener_tasks / pulse_listener_pushes) and
a real Celery worker into MariaDB.

Every bad message must end exactly as built: counted once under its reason and logged once (one
line in the log of the process that refused it), nothing dead-lettered, no error logged, no process
crashed or reconnected; every valid message stored.

PULSE_FUZZ_MESSAGES sets how many (bin/test: 500; `bin/bench pulse_fuzz`: 10,000 and more);
PULSE_FUZZ_SEED replays a run (each run prints its seed).
"""

from __future__ import annotations

import collections
import json
import os
import random
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from amqp import Message as AmqpMessage
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from kombu import Connection

from apps.core.metrics import metrics_snapshot
from apps.dead_letters.models import DeadLetter
from apps.jobs.models import Job
from apps.pushes.models import Push
from devtools.replay import PulsePublisher, sample_push_messages
from tests.support.pulse_fuzz import (
    FUZZ_BINDINGS,
    UNBOUND_EXCHANGE,
    Fuzzed,
    Outcome,
    bad_message,
    dumps,
    heavy_message,
    oversized_multibyte,
    sample_tasks,
)
from tests.support.samples import sample
from tests.support.workers import Process, celery_worker_args, manage, queue_has_consumer, run_process, wait_for

pytestmark = [pytest.mark.slow]

MESSAGES = int(os.environ.get("PULSE_FUZZ_MESSAGES", "500"))
DRAW = 20  # messages drawn per hypothesis example
HEAVY_EVERY = 5  # one heavy message (huge strings, over the size limit) per this many examples
REJECTION_FAMILIES = ("pulse_malformed_messages", "pulse_task_rejected", "pulse_push_rejected")


class FuzzPublisher:
    """Publishes raw bodies with exactly the properties given (py-amqp: kombu would serialise a
    body without a content type). No publisher confirms, for speed: the counts prove delivery."""

    def __init__(self, url: str) -> None:
        self.connection = Connection(url)
        self.channel: Any = self.connection.channel()
        self.published: collections.Counter[Outcome] = collections.Counter()
        self.categories: collections.Counter[str] = collections.Counter()
        self.bytes = 0

    def declare(self) -> None:
        for name in (*(source for source, _ in FUZZ_BINDINGS), UNBOUND_EXCHANGE):
            self.channel.exchange_declare(name, "topic", durable=False, auto_delete=False)
        for source, destination in FUZZ_BINDINGS:
            self.channel.exchange_bind(destination=destination, source=source, routing_key="#")

    def delete(self) -> None:
        for name in (*(source for source, _ in FUZZ_BINDINGS), UNBOUND_EXCHANGE):
            self.channel.exchange_delete(name)

    def raw(self, exchange: str, routing_key: str, body: bytes, content_type: str | None, encoding: str | None) -> None:
        properties = {"delivery_mode": 2}
        if content_type is not None:
            properties["content_type"] = content_type  # type: ignore[assignment]
        if encoding is not None:
            properties["content_encoding"] = encoding  # type: ignore[assignment]
        self.channel.basic_publish(AmqpMessage(body, **properties), exchange=exchange, routing_key=routing_key)
        self.bytes += len(body)

    def fuzzed(self, message: Fuzzed) -> None:
        self.raw(message.exchange, message.routing_key, message.body, message.content_type, message.content_encoding)
        self.published[message.outcome] += 1
        self.categories[message.category] += 1

    def valid(self, message: dict[str, Any], routing_key: str | None = None) -> None:
        key = message["routing_key"] if routing_key is None else routing_key
        self.raw(message["exchange"], key, dumps(message["body"]), "application/json", "utf-8")

    def check(self) -> None:
        """A round trip on the channel: without confirms, a channel the broker closed would take
        every later message silently; this raises its reason instead."""
        self.channel.exchange_declare(UNBOUND_EXCHANGE, "topic", passive=True)

    def close(self) -> None:
        self.connection.release()


def _records(process: Process) -> list[dict[str, Any]]:
    """The process's JSON log records (LOG_FORMAT=json; other lines, e.g. Celery's banner, skipped)."""
    records = []
    for line in process.log().splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def _rejection_lines(records: list[dict[str, Any]]) -> collections.Counter[str]:
    """Log lines of refused messages, by their prefix, e.g. `task message rejected (invalid_message)`."""
    counts: collections.Counter[str] = collections.Counter()
    for record in records:
        message = str(record.get("message", ""))
        for marker in ("Pulse message rejected (", "task message rejected (", "push message rejected ("):
            if message.startswith(marker):
                counts[message[: message.index(")") + 1]] += 1
    return counts


def _rejections() -> dict[str, int]:
    return {k: v for k, v in metrics_snapshot().items() if k.split("{")[0] in REJECTION_FAMILIES}


@pytest.mark.timeout(300 + MESSAGES // 10)  # generating takes hypothesis about 3 ms a message, more under load
def test_adversarial_pulse_messages_are_each_refused_once_and_valid_ones_stored(
    pipeline_env: dict[str, str], tmp_path: Path, settings: Any
) -> None:
    env = {**pipeline_env, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
    pulse_url = os.environ["PULSE_URL"]
    owner = pipeline_env["PULSE_QUEUE_USER"]
    PulsePublisher(pulse_url, declare_listener_queues=False).close()  # the exchanges, before the listeners bind
    publisher = FuzzPublisher(pulse_url)
    publisher.declare()
    run_seed = int(os.environ.get("PULSE_FUZZ_SEED") or random.randrange(2**32))
    print(f"pulse fuzz: {MESSAGES} messages, PULSE_FUZZ_SEED={run_seed} replays this run")
    try:
        with (
            run_process(celery_worker_args("fuzz"), tmp_path, "worker", env) as worker,
            run_process(manage("pulse_listener_tasks"), tmp_path, "tasks", env) as tasks,
            run_process(manage("pulse_listener_pushes"), tmp_path, "pushes", env) as pushes,
        ):
            processes = {"worker": worker, "tasks": tasks, "pushes": pushes}

            def logs() -> str:
                state = f"jobs {Job.objects.count()}, counters {_rejections()}"
                return "\n".join([state] + [f"--- {name}\n{p.log()[-3000:]}" for name, p in processes.items()])

            for name in ("tasks", "resultsets"):
                wait_for(
                    partial(queue_has_consumer, pulse_url, f"queue/{owner}/{name}"), timeout=60, what=name, logs=logs
                )
            # The valid pushes first, stored before the fuzz starts: their tasks then need no retries.
            valid_pushes = sample_push_messages(settings.HG_URL)
            for message in valid_pushes:
                publisher.valid(message)
            wait_for(lambda: Push.objects.count() == 12, timeout=120, what="the 12 sample pushes", logs=logs)
            before = _rejections()
            lines_before = {name: _rejection_lines(_records(p)) for name, p in processes.items()}

            valid_tasks = list(sample_tasks())
            expected_jobs = len(valid_tasks)
            started = time.monotonic()
            examples = [0]

            def publisher_run(run: int) -> Any:
                @seed(run)
                @hypothesis_settings(
                    max_examples=-(-(MESSAGES - sum(publisher.published.values())) // DRAW),
                    database=None,
                    phases=[Phase.generate],
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(st.lists(bad_message(), min_size=DRAW, max_size=DRAW), heavy_message(), st.data())
                def publish(batch: list[Fuzzed], heavy: Fuzzed, data: st.DataObject) -> None:
                    examples[0] += 1
                    if examples[0] % HEAVY_EVERY == 0:
                        batch = [*batch, heavy]
                    for message in batch:
                        publisher.fuzzed(message)
                    # A valid task every MESSAGES / 92 bad ones, under a routing key of the fuzzer's.
                    total = sum(publisher.published.values())
                    while valid_tasks and total >= (expected_jobs - len(valid_tasks) + 1) * MESSAGES / (
                        expected_jobs + 1
                    ):
                        # Drawn before the pop: a draw past hypothesis's budget raises, and the
                        # message must not be lost with it.
                        routing_key = data.draw(st.text(max_size=60), label="routing key")
                        publisher.valid(valid_tasks.pop(0), routing_key)
                    publisher.check()

                return publish

            run = run_seed
            while sum(publisher.published.values()) < MESSAGES:  # hypothesis may skip examples that overran
                publisher_run(run)()
                run += 1
            for message in valid_tasks:  # any left over (hypothesis ran fewer examples)
                publisher.valid(message)
            for fixed in oversized_multibyte():  # drawn too rarely to rely on hypothesis for them
                publisher.fuzzed(fixed)
            published = sum(publisher.published.values())
            generated_in = time.monotonic() - started

            expected = collections.Counter({o.metric: n for o, n in publisher.published.items() if o.kind != "dropped"})
            refused = sum(expected.values())

            transformed = sample("taskcluster_transformed_jobs")
            final_states = {e["job"]["job_guid"]: (e["job"]["state"], e["job"]["result"]) for e in transformed.values()}

            def stored() -> dict[str, tuple[str, str]]:
                return {
                    guid: (state, result) for guid, state, result in Job.objects.values_list("guid", "state", "result")
                }

            def processed() -> bool:
                done = sum(_rejections().values()) - sum(before.values())
                return done >= refused and stored() == final_states

            def progress() -> str:
                counted = {k: v - before.get(k, 0) for k, v in _rejections().items() if v != before.get(k, 0)}
                missing = {g: s for g, s in final_states.items() if stored().get(g) != s}
                return (
                    f"{logs()[-3000:]}\nexpected {dict(expected)}\ncounted {counted}\njobs not as expected: {missing}"
                )

            wait_for(
                processed,
                timeout=240 + MESSAGES / 20,
                what=f"{refused} refusals and {expected_jobs} jobs",
                logs=progress,
            )
            processed_in = time.monotonic() - started
            time.sleep(1.0)  # anything counted twice would show by now
            after = _rejections()

            # Every process is still up, never reconnected, and logged no error.
            for name, process in processes.items():
                assert process.process.poll() is None, f"{name} exited:\n{process.log()[-6000:]}"
            records = {name: _records(p) for name, p in processes.items()}
            errors = [r for rs in records.values() for r in rs if r.get("level") in ("ERROR", "CRITICAL")]
            assert errors == []
            assert not any("lost a connection" in str(r.get("message")) for r in records["tasks"] + records["pushes"])
            lines = {name: _rejection_lines(rs) - lines_before[name] for name, rs in records.items()}
    finally:
        publisher.delete()
        publisher.close()

    print(
        f"pulse fuzz: published {published} adversarial messages ({publisher.bytes / 1e6:.1f} MB) and "
        f"{expected_jobs + len(valid_pushes)} valid ones in {generated_in:.1f} s, all processed after "
        f"{processed_in:.1f} s; by category: {dict(sorted(publisher.categories.items()))}"
    )
    assert published >= MESSAGES
    # Counted exactly once each, under the reason it was built for.
    counted = collections.Counter({k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)})
    assert +counted == expected
    # Logged exactly once each, by the process that refused it.
    expected_lines: dict[str, collections.Counter[str]] = {
        "worker": collections.Counter(),
        "tasks": collections.Counter(),
        "pushes": collections.Counter(),
    }
    for outcome, n in publisher.published.items():
        if outcome.kind == "malformed":
            expected_lines["tasks" if outcome.listener == "tasks" else "pushes"][outcome.log_prefix] += n
        elif outcome.kind != "dropped":
            expected_lines["worker"][outcome.log_prefix] += n
    assert lines == expected_lines
    # The valid messages among them: every job stored, in its final state; nothing dead-lettered.
    assert stored() == final_states
    assert Push.objects.count() == 12
    assert DeadLetter.objects.count() == 0
