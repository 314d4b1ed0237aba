"""Loading the fixed failure classifications."""

from __future__ import annotations

from pathlib import Path

from apps.core.fixtures import LoadResult, read_fixture, upsert_rows_by_pk
from apps.jobs.models import FailureClassification

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


def failure_classifications_load_fixture(*, fixtures_dir: Path = FIXTURES_DIR) -> LoadResult:
    """Load the eight failure classifications with their fixed ids 1-8. Idempotent."""
    return upsert_rows_by_pk(FailureClassification, read_fixture(fixtures_dir / "failure_classification.json"))
