"""Batched loads of failure data, one query per batch. Rows are model instances or selector values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.failures import selectors
from apps.failures.health import HealthFailure, HealthSummary, health_failures, health_summaries
from apps.failures.models import Bugscache, FailureLine, TextLogError
from apps.failures.suggestions import LineSuggestions, bug_suggestions_for_lines
from schema.loading import ListLoader, SelectorLoader


class TextLogErrorsByJobIdLoader(ListLoader[int, TextLogError]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.text_log_errors_by_job_ids(keys)


class FailureLinesByJobGuidLoader(ListLoader[str, FailureLine]):
    def fetch(self, keys: list[str]) -> Mapping[str, Any]:
        return selectors.failure_lines_by_job_guids(keys)


class BugByIdLoader(SelectorLoader[int, Bugscache | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.bugs_by_ids(keys)


class BugSuggestionsByLineLoader(SelectorLoader[str, LineSuggestions]):
    """Every error line of the request in one batch: a constant number of queries (see suggestions.py)."""

    def fetch(self, keys: list[str]) -> Mapping[str, Any]:
        return bug_suggestions_for_lines(keys)


class HealthSummaryByPushIdLoader(SelectorLoader[int, HealthSummary]):
    """Every push of the request in one aggregate query."""

    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return health_summaries(keys)


class HealthFailuresByPushIdLoader(ListLoader[int, HealthFailure]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return health_failures(keys)
