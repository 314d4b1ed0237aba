"""Writes for repositories: loading the reference fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.core.fixtures import LoadResult, read_fixture, upsert_rows_by_pk
from apps.repositories.models import Repository, RepositoryBranch, RepositoryGroup

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


def _repository_defaults() -> dict[str, Any]:
    # Fixture rows leave out fields at their model default; spell the defaults out so a re-load
    # compares every column.
    return {
        "description": "",
        "life_cycle_order": None,
        "performance_alerts_enabled": False,
        "expire_performance_data": True,
        "is_try_repo": False,
        "accepts_pull_requests": False,
    }


def repositories_load_fixtures(*, fixtures_dir: Path = FIXTURES_DIR) -> dict[str, LoadResult]:
    """Load repository groups, repositories and branch rules. Idempotent."""
    return {
        "repository_group": upsert_rows_by_pk(
            RepositoryGroup,
            read_fixture(fixtures_dir / "repository_group.json"),
            defaults=lambda: {"description": ""},
        ),
        "repository": upsert_rows_by_pk(
            Repository,
            read_fixture(fixtures_dir / "repository.json"),
            field_map={"repository_group": "repository_group_id"},
            defaults=_repository_defaults,
        ),
        "repository_branch": upsert_rows_by_pk(
            RepositoryBranch,
            read_fixture(fixtures_dir / "repository_branch.json"),
            field_map={"repository": "repository_id"},
        ),
    }
