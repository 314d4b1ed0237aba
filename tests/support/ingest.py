"""Fixtures for ingestion tests (a pytest plugin, listed in tests/conftest.py).

`sample_services` is the project's local HTTP server (devtools.sample_services) on a free port;
`ingest_settings` points the Taskcluster, hg and GitHub roots at it, so every fetch is real HTTP.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from apps.core.http import reset_pool
from apps.core.metrics import metrics_reset
from apps.jobs.services.ingest import ingest_caches_clear
from apps.repositories.models import Repository, RepositoryBranch
from devtools.sample_services import SampleServer, serve
from tests.support.workers import delete_queue, purge_queues


@pytest.fixture(scope="session")
def sample_services() -> Iterator[SampleServer]:
    server = serve("127.0.0.1", 0)
    yield server
    server.shutdown()


def clear_ingest_caches() -> None:
    ingest_caches_clear()
    cache.clear()
    metrics_reset()


@pytest.fixture
def ingest_settings(settings: Any, sample_services: SampleServer) -> Iterator[Any]:
    settings.TASKCLUSTER_ROOT_URL = sample_services.url
    settings.HG_URL = sample_services.url
    settings.GITHUB_API_URL = sample_services.url
    settings.INGEST_REPOSITORY_CACHE_SECONDS = 0
    clear_ingest_caches()
    reset_pool()
    sample_services.failures.clear()
    sample_services.stalls.clear()
    yield settings
    sample_services.stalls.clear()
    clear_ingest_caches()


def make_golden_repositories() -> None:
    """Reference data, with the repositories the samples use active, as in Treeherder's own tests
    (production has mozilla-inbound and android-components on hold)."""
    call_command("load_reference_data", verbosity=0)
    Repository.objects.filter(name__in=["mozilla-inbound", "android-components"]).update(
        active_status=Repository.ActiveStatus.ACTIVE
    )
    android = Repository.objects.get(name="android-components")
    RepositoryBranch.objects.get_or_create(repository=android, branch="master")
    Repository.objects.get_or_create(
        name="test_treeherder",
        defaults={
            "repository_group_id": 1,
            "dvcs_type": "git",
            "url": "https://github.com/mozilla/test_treeherder",
            "codebase": "gecko",
            "tc_root_url": "https://firefox-ci-tc.services.mozilla.com",
            "accepts_pull_requests": True,
        },
    )


@pytest.fixture
def golden_repositories(db: None) -> None:
    make_golden_repositories()


def ingestion_env(services_url: str, queue_user: str, *, retry_base: str = "0.25") -> dict[str, str]:
    """Environment for ingestion processes started by a test or a bench: the sample server as
    Taskcluster/hg/GitHub, fast retries, no repository cache, a Pulse queue user of their own."""
    return {
        "TASKCLUSTER_ROOT_URL": services_url,
        "HG_URL": services_url,
        "GITHUB_API_URL": services_url,
        "INGEST_RETRY_BASE_SECONDS": retry_base,
        "INGEST_MAX_RETRIES": "8",
        "INGEST_REPOSITORY_CACHE_SECONDS": "0",
        "PULSE_QUEUE_USER": queue_user,
    }


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
    env = {**ingestion_env(sample_services.url, owner), "INGEST_BATCH_WAIT": "0.05"}
    yield env
    purge_queues(broker)
    for name in ("tasks", "resultsets"):
        with contextlib.suppress(Exception):  # a listener that never started declared nothing
            delete_queue(os.environ.get("PULSE_URL", broker), f"queue/{owner}/{name}")
