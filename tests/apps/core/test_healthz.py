"""/healthz over real HTTP from a real Daphne: 200 when every service answers, 503 when one does not."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.support.processes import free_port, run_daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_all_services_up(tmp_path: Path) -> None:
    with run_daphne(tmp_path) as server:
        response = requests.get(f"{server.url}/healthz", timeout=10)

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["embedded"] is False
    assert {name: body[name]["ok"] for name in ("database", "channel_layer", "broker")} == {
        "database": True,
        "channel_layer": True,
        "broker": True,
    }
    assert body["database"]["detail"] == "mysql"
    assert body["channel_layer"]["detail"] == "RedisChannelLayer"


@pytest.mark.parametrize(
    ("service", "env_var", "url_template"),
    [
        ("database", "DATABASE_URL", "mysql://root@127.0.0.1:{port}/treeherder"),
        ("channel_layer", "REDIS_URL", "redis://127.0.0.1:{port}/0"),
        ("broker", "CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:{port}//"),
    ],
)
def test_one_service_down_answers_503(tmp_path: Path, service: str, env_var: str, url_template: str) -> None:
    dead = url_template.format(port=free_port())  # nothing listens there

    with run_daphne(tmp_path, env={env_var: dead}) as server:
        response = requests.get(f"{server.url}/healthz", timeout=15)

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body[service]["ok"] is False
    assert body[service]["detail"]
    assert [name for name in ("database", "channel_layer", "broker") if not body[name]["ok"]] == [service]


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
            return await asyncio.to_thread(requests.get, f"{url}/healthz", timeout=10)
        finally:
            await client.ws.close()

    with run_daphne(tmp_path) as server:
        responses = [asyncio.run(scenario(server.url)) for _ in range(2)]

    for response in responses:
        assert response.status_code == 200, response.text
        assert response.json()["channel_layer"]["ok"] is True
        assert response.elapsed.total_seconds() < 10
