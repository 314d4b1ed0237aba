"""Health over real HTTP from a real Daphne: liveness answers whatever is down, readiness follows
what a web process needs (the database), the status page lists every dependency and the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from django.core.cache import cache

from apps.core.health import LAST_RUN_KEY, _broker_ping, _broker_pool
from apps.live.models import Event
from tests.support.processes import free_port, run_daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SERVICES = ("database", "channel_layer", "cache", "broker")


def test_all_services_up(tmp_path: Path) -> None:
    Event.objects.create(type="job", repository_id=1, payload={})  # committed, not relayed (no relay runs)
    cache.set(LAST_RUN_KEY.format(name="maintenance.cycle_data"), {"finished": 1.0, "outcome": "ok"}, timeout=60)

    with run_daphne(tmp_path) as server:
        live = requests.get(f"{server.url}/healthz/live", timeout=10)
        ready = requests.get(f"{server.url}/healthz/ready", timeout=10)
        legacy = requests.get(f"{server.url}/healthz", timeout=10)
        status = requests.get(f"{server.url}/healthz/status", timeout=10)

    assert (live.status_code, live.json()) == (200, {"ok": True})
    assert ready.status_code == legacy.status_code == 200
    assert ready.json()["database"]["ok"] is True
    assert set(ready.json()) == {"database", "ok", "embedded"}  # readiness checks the database only
    body = status.json()
    assert status.status_code == 200
    assert {name: body[name]["ok"] for name in SERVICES} == dict.fromkeys(SERVICES, True)
    assert body["database"]["detail"] == "mysql"
    assert body["channel_layer"]["detail"] == "RedisChannelLayer"
    assert body["pipeline"]["relay"]["unrelayed_events"] == 1
    assert body["pipeline"]["relay"]["oldest_unrelayed_age_seconds"] >= 0
    assert set(body["pipeline"]["ingestion"]) == {"newest_job_change_age_seconds", "newest_push_change_age_seconds"}
    jobs = body["scheduler"]["jobs"]
    assert set(jobs) == {
        "maintenance.fetch_push_logs", "maintenance.update_bugscache", "maintenance.cycle_data",
        "maintenance.intermittents_commenter", "maintenance.prune_live_events", "maintenance.sample_queue_depths",
    }  # fmt: skip
    assert jobs["maintenance.cycle_data"]["last_run"]["outcome"] == "ok"
    assert jobs["maintenance.fetch_push_logs"]["last_run"] is None


@pytest.mark.parametrize(
    ("service", "env_var", "url_template", "ready"),
    [
        ("database", "DATABASE_URL", "mysql://root@127.0.0.1:{port}/treeherder", False),
        ("channel_layer", "REDIS_URL", "redis://127.0.0.1:{port}/0", True),
        ("broker", "CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:{port}//", True),
    ],
)
def test_one_service_down(tmp_path: Path, service: str, env_var: str, url_template: str, ready: bool) -> None:
    """Only the database takes a web process out of rotation; the status page names what is down."""
    dead = url_template.format(port=free_port())  # nothing listens there

    with run_daphne(tmp_path, env={env_var: dead}) as server:
        live = requests.get(f"{server.url}/healthz/live", timeout=15)
        readiness = requests.get(f"{server.url}/healthz/ready", timeout=15)
        status = requests.get(f"{server.url}/healthz/status", timeout=15)

    assert live.status_code == 200
    assert readiness.status_code == (200 if ready else 503)
    assert readiness.json()["ok"] is ready
    assert status.status_code == (200 if ready else 503)
    body = status.json()
    down = [name for name in SERVICES if not body[name]["ok"]]
    # Redis carries both the channel layer and the cache.
    assert down == (["channel_layer", "cache"] if service == "channel_layer" else [service])
    assert body[service]["detail"]


def test_broker_probes_reuse_one_pooled_connection(settings: object) -> None:
    _broker_ping()
    with _broker_pool().acquire(block=True) as conn:
        first = conn.connection
    _broker_ping()
    with _broker_pool().acquire(block=True) as conn:
        second = conn.connection

    assert first is not None and first is second


def test_healthz_stays_200_while_a_subscription_holds_the_layer(tmp_path: Path, reference_data: None) -> None:
    """A Daphne whose hub is blocked in the layer's receive() still reports a healthy layer.

    channels-redis serves one receive() per process at a time; a health check that waited on one
    timed out on every process that had served a subscription (issue 15, defect 1).
    """
    import asyncio
    import contextlib

    from tests.support.ws import GraphQLWS

    async def scenario(url: str) -> requests.Response:
        client = await GraphQLWS.connect(url)
        try:
            await client.subscribe("1", 'subscription { jobChanged(repository: "mozilla-central") { cursor } }')
            with contextlib.suppress(TimeoutError):  # no event is expected: the subscription stays open
                message = await client.receive(timeout=0.5)
                raise AssertionError(f"unexpected message {message}")
            return await asyncio.to_thread(requests.get, f"{url}/healthz/status", timeout=10)
        finally:
            await client.ws.close()

    with run_daphne(tmp_path) as server:
        responses = [asyncio.run(scenario(server.url)) for _ in range(2)]

    for response in responses:
        assert response.status_code == 200, response.text
        assert response.json()["channel_layer"]["ok"] is True
        assert response.elapsed.total_seconds() < 10
