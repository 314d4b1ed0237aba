"""The scheduler: every periodic job in one place, each on a queue a Procfile worker consumes and
runnable by hand; and exactly one active scheduler when two are started (celery-redbeat's lock)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
import redis
from celery.schedules import crontab
from django.conf import settings
from django.core.management import get_commands

from config.celery import app
from tests.support.processes import ROOT
from tests.support.workers import VENV_BIN, purge_queues, run_process, wait_for

# Each scheduled job and the management command that runs it by hand.
COMMANDS = {
    "maintenance.fetch_push_logs": "fetch_push_logs",
    "maintenance.update_bugscache": "update_bugscache",
    "maintenance.cycle_data": "cycle_data",
    "maintenance.intermittents_commenter": "run_intermittents_commenter",
    "maintenance.prune_live_events": "prune_live_events",
    "maintenance.sample_queue_depths": "run_scheduled",
}


def _procfile_queues() -> dict[str, set[str]]:
    """Procfile process type -> the Celery queues its worker consumes."""
    queues = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.match(r"^([a-z_]+): .*celery -A config worker .*-Q (\S+)", line)
        if match:
            queues[match.group(1)] = set(match.group(2).split(","))
    return queues


def test_every_entry_is_scheduled_routed_consumed_and_runnable_by_hand() -> None:
    import workers.maintenance  # noqa: F401 - registers the tasks, as the worker does (CELERY_IMPORTS)

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["fetch-push-logs"]["schedule"] == 300.0
    hourly = schedule["update-bugscache"]["schedule"]
    assert isinstance(hourly, crontab) and hourly.hour == set(range(24)) and len(hourly.minute) == 1
    for daily in ("cycle-data", "intermittents-commenter"):
        entry = schedule[daily]["schedule"]
        assert isinstance(entry, crontab) and len(entry.hour) == 1 and len(entry.minute) == 1
        assert entry.day_of_week == set(range(7))
    assert schedule["prune-live-events"]["schedule"] <= 3600

    consumed = set().union(*_procfile_queues().values())
    tasks = {entry["task"] for entry in schedule.values()}
    assert tasks == set(COMMANDS)
    commands = get_commands()
    for task in tasks:
        assert task in app.tasks
        queue = app.amqp.router.route({}, task)["queue"].name
        assert queue in {"pushlog", "maintenance"} and queue in consumed, (task, queue)
        if COMMANDS[task] != "update_bugscache":  # the bug cache's own command (failure analysis)
            assert COMMANDS[task] in commands, task
    assert app.amqp.router.route({}, "maintenance.fetch_push_logs")["queue"].name == "pushlog"
    assert "celery_scheduler" in (ROOT / "Procfile").read_text()


@pytest.mark.slow
def test_two_schedulers_one_sends_and_the_other_takes_over(transactional_db: None, tmp_path: Path) -> None:
    prefix = f"test-redbeat-{uuid.uuid4().hex[:8]}"
    env = {"DJANGO_SETTINGS_MODULE": "tests.support.scheduler_settings", "TEST_REDBEAT_PREFIX": prefix}
    beat = [str(VENV_BIN / "celery"), "-A", "config", "beat", "-S", "redbeat.RedBeatScheduler", "--loglevel", "DEBUG"]
    broker = os.environ["CELERY_BROKER_URL"]
    sent = "Sending due task tick"
    try:
        with run_process(beat, tmp_path, "beat-a", env) as first:
            wait_for(lambda: "beat: Acquired lock" in first.log(), timeout=60, what="the first lock", logs=first.log)
            with run_process(beat, tmp_path, "beat-b", env) as second:
                wait_for(lambda: "beat: Acquiring lock" in second.log(), timeout=60, what="B", logs=second.log)
                # While the first holds the lock it keeps sending and extending it; the second waits.
                wait_for(lambda: first.log().count(sent) >= 3, timeout=60, what="sends", logs=first.log)
                wait_for(lambda: first.log().count("Extending lock") >= 3, timeout=60, what="ext", logs=first.log)
                assert "beat: Acquired lock" not in second.log()
                assert sent not in second.log()
                first.kill()  # a crash: the lock is not released, it expires (4 s here)
                wait_for(lambda: "beat: Acquired lock" in second.log(), timeout=60, what="takeover", logs=second.log)
                wait_for(lambda: sent in second.log(), timeout=60, what="B sends", logs=second.log)
    finally:
        purge_queues(broker, ("maintenance",))
        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
