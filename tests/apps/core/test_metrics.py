"""/metrics shows the ingestion counters every process wrote to Redis."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.metrics import Counters, metrics_incr, metrics_reset
from tests.support.processes import free_port


def test_metrics_endpoint_sums_counters_from_redis(client: Any) -> None:
    metrics_reset()
    counters = Counters()
    counters.incr("pulse_task_rejected", reason="unknown_repository")
    counters.incr("pulse_task_rejected", 2, reason="unknown_repository")
    counters.flush()
    metrics_incr("jobs_created", 5)

    text = client.get("/metrics")
    data = client.get("/metrics?format=json").json()

    assert text.status_code == 200
    assert text.content.decode().splitlines() == [
        "treeherder_jobs_created 5",
        'treeherder_pulse_task_rejected{reason="unknown_repository"} 3',
    ]
    assert data == {"jobs_created": 5, 'pulse_task_rejected{reason="unknown_repository"}': 3}
    metrics_reset()


@pytest.mark.django_db(transaction=True)  # /healthz pings the database from another thread
def test_metrics_answer_503_while_redis_is_down_and_healthz_is_unaffected(client: Any, settings: Any) -> None:
    settings.METRICS_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    text = client.get("/metrics")
    data = client.get("/metrics?format=json")

    assert text.status_code == 503
    assert text.content.decode() == "metrics unavailable: Redis, which holds the counters, is not answering\n"
    assert data.status_code == 503
    assert data.json() == {"error": "metrics unavailable: Redis, which holds the counters, is not answering"}
    # /healthz reads the channel layer's Redis (REDIS_URL), which is up: it is not affected.
    assert client.get("/healthz").status_code == 200
