"""Fixtures for ingestion tests (a pytest plugin, listed in tests/conftest.py).

`sample_services` is the project's local HTTP server (devtools.sample_services) on a free port;
`ingest_settings` points the Taskcluster, hg and GitHub roots at it, so every fetch is real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from apps.core.http import reset_pool
from apps.core.metrics import metrics_reset
from apps.jobs.services.definitions import definitions_cache_clear
from apps.jobs.services.ingest import ingest_caches_clear
from apps.jobs.services.refdata import refdata_cache_clear
from apps.repositories.models import Repository, RepositoryBranch
from devtools.sample_services import SampleServer, serve


@pytest.fixture(scope="session")
def sample_services() -> Iterator[SampleServer]:
    server = serve("127.0.0.1", 0)
    yield server
    server.shutdown()


def clear_ingest_caches() -> None:
    refdata_cache_clear()
    definitions_cache_clear()
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
    yield settings
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
