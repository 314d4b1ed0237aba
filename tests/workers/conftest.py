from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from devtools.sample_services import SampleServer
from tests.support.ingest import make_golden_repositories
from tests.support.workers import delete_queue, purge_queues


@pytest.fixture
def pipeline_env(
    transactional_db: None, ingest_settings: Any, sample_services: SampleServer
) -> Iterator[dict[str, str]]:
    """Environment for ingestion processes: the sample server as Taskcluster/hg/GitHub, fast
    retries, a Pulse queue of this test's own; reference data committed for them to see."""
    make_golden_repositories()
    broker = os.environ["CELERY_BROKER_URL"]
    purge_queues(broker)
    owner = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        "TASKCLUSTER_ROOT_URL": sample_services.url,
        "HG_URL": sample_services.url,
        "GITHUB_API_URL": sample_services.url,
        "INGEST_RETRY_BASE_SECONDS": "0.25",
        "INGEST_MAX_RETRIES": "8",
        "INGEST_BATCH_WAIT": "0.05",
        "INGEST_REPOSITORY_CACHE_SECONDS": "0",
        "PULSE_QUEUE_USER": owner,
    }
    yield env
    purge_queues(broker)
    for name in ("tasks", "resultsets"):
        with contextlib.suppress(Exception):  # a listener that never started declared nothing
            delete_queue(os.environ.get("PULSE_URL", broker), f"queue/{owner}/{name}")
