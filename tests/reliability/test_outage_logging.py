"""During a database outage the web process logs one line when the database becomes unreachable
and one when it is back, not a traceback per failed request (issue 15); every error is still
counted (`treeherder_dependency_errors_total`). The relay does the same for a Redis outage: one line
when the channel layer becomes unreachable and one when it is back, not one per batch it could
not send.

Daphne reaches MariaDB through a proxy the test cuts for a few seconds, while HTTP GraphQL queries,
readiness probes, a query over WebSocket and an open subscription (whose hub checks the outbox every
second) keep failing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families

from apps.core.metrics import metrics_snapshot
from tests import factories as f
from tests.support.graphql import graphql_post
from tests.support.live import publish_jobs, settled_cursor
from tests.support.processes import RunningServer, run_daphne, run_manage
from tests.support.processes import test_database_url as database_url
from tests.support.workers import TcpProxy, proxied, wait_for
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow]

LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}
QUERY = "{ repositories { name } }"
SUBSCRIPTION = 'subscription { jobChanged(repository: "autoland") { cursor } }'
DOWN = "database unavailable"
BACK = "database available again"


@pytest.fixture
def stack(transactional_db: None, tmp_path: Path) -> Iterator[tuple[RunningServer, TcpProxy]]:
    call_command("load_reference_data", verbosity=0)
    with (
        proxied(database_url(), 3306) as (proxy, url),
        run_daphne(tmp_path, env={**LIVE_SETTINGS, "DATABASE_URL": url}) as daphne,
    ):
        yield daphne, proxy


def _counter(base_url: str, name: str, **labels: str) -> float:
    text = requests.get(f"{base_url}/metrics", timeout=30).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def _query_ok(base_url: str) -> bool:
    body = graphql_post(base_url, QUERY).json()
    return "errors" not in body and bool(body["data"]["repositories"])


def test_a_database_outage_logs_one_line_when_it_starts_and_one_when_it_ends(
    stack: tuple[RunningServer, TcpProxy],
) -> None:
    daphne, proxy = stack
    assert _query_ok(daphne.url)
    errors_before = _counter(daphne.url, "treeherder_dependency_errors_total", dependency="database")
    outages_before = _counter(daphne.url, "treeherder_dependency_outages_total", dependency="database")
    log_before = len(daphne.log())

    async def scenario() -> tuple[int, list[dict[str, object]]]:
        client = await GraphQLWS.connect(daphne.url)
        await client.subscribe("live", SUBSCRIPTION)
        inbox = client.collect_in_background()
        await asyncio.sleep(1.0)
        proxy.cut()
        failed = 0
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:
            body = await asyncio.to_thread(lambda: graphql_post(daphne.url, QUERY).json())
            assert body["errors"][0]["message"] == "Unexpected error.", body
            failed += 1
            ready = await asyncio.to_thread(requests.get, f"{daphne.url}/healthz/ready", timeout=30)
            assert ready.status_code == 503, ready.text
            await client.subscribe(f"q{failed}", QUERY)
        proxy.restore()
        await asyncio.to_thread(
            wait_for, lambda: _query_ok(daphne.url), timeout=60, what="queries to work again", logs=daphne.log
        )
        for _ in range(3):
            assert await asyncio.to_thread(_query_ok, daphne.url)
        await client.close()
        return failed, inbox

    failed, inbox = asyncio.run(scenario())

    log = daphne.log()[log_before:]
    assert failed >= 2
    assert log.count(DOWN) == 1, log[-6000:]
    assert log.count(BACK) == 1, log[-6000:]
    assert "Traceback" not in log, log[-6000:]
    # Every failed request was still counted; the outage once.
    errors = _counter(daphne.url, "treeherder_dependency_errors_total", dependency="database") - errors_before
    assert errors >= failed * 2  # each HTTP query and each readiness probe, at least
    assert _counter(daphne.url, "treeherder_dependency_outages_total", dependency="database") - outages_before == 1
    # The queries over the socket failed with the masked error too, the socket stayed open.
    assert all(m["type"] in ("next", "complete", "error") for m in inbox), inbox


LAYER_DOWN = "channel_layer unavailable"
LAYER_BACK = "channel_layer available again"
LAYER_ERRORS = 'dependency_errors{dependency="channel_layer"}'
BATCHES_DURING_OUTAGE = 5


@pytest.fixture
def relay_behind_proxy(transactional_db: None, tmp_path: Path) -> Iterator[tuple[RunningServer, TcpProxy]]:
    """The relay reaches Redis through a proxy the test cuts; the test publishes directly."""
    call_command("load_reference_data", verbosity=0)
    redis_url = str(settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"])
    with (
        proxied(redis_url, 6379) as (proxy, url),
        run_manage(tmp_path, "live_relay", env={**LIVE_SETTINGS, "REDIS_URL": url}) as relay,
    ):
        yield relay, proxy


def test_a_redis_outage_logs_one_relay_line_when_it_starts_and_one_when_it_ends(
    relay_behind_proxy: tuple[RunningServer, TcpProxy],
) -> None:
    relay, proxy = relay_behind_proxy
    job = f.JobFactory(push=f.PushFactory(repository=f.RepositoryFactory()), state="pending")
    publish_jobs([job])
    settled_cursor(timeout=60)  # numbered (and sent) while Redis answers
    wait_for(lambda: "live relay started" in relay.log(), timeout=30, what="the relay", logs=relay.log)
    log_before = len(relay.log())
    errors_before = metrics_snapshot().get(LAYER_ERRORS, 0)

    proxy.cut()
    for _ in range(BATCHES_DURING_OUTAGE):
        # One batch each: the relay numbers it (the outbox needs no Redis) and fails to send it.
        publish_jobs([job])
        settled_cursor(timeout=60)
    proxy.restore()
    publish_jobs([job])
    settled_cursor(timeout=60)
    wait_for(lambda: LAYER_BACK in relay.log()[log_before:], timeout=60, what="the relay's recovery line",
             logs=relay.log)  # fmt: skip

    log = relay.log()[log_before:]
    assert log.count(LAYER_DOWN) == 1, log[-4000:]
    assert log.count(LAYER_BACK) == 1, log[-4000:]
    assert "group_send failed" not in log, log[-4000:]
    assert "Traceback" not in log, log[-4000:]
    # Every failed send was still counted.
    assert metrics_snapshot().get(LAYER_ERRORS, 0) - errors_before >= BATCHES_DURING_OUTAGE
