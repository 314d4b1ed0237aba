"""Batched loads of failure data, one query per batch. Rows are model instances."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.failures import selectors
from apps.failures.models import Bugscache, FailureLine, TextLogError
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
