"""/metrics shows the ingestion counters every process wrote to Redis."""

from __future__ import annotations

from typing import Any

from apps.core.metrics import Counters, metrics_incr, metrics_reset


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
