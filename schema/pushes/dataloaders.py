"""Batched loads of pushes, their commits and status counts: one query per batch.

Rows are what the selectors return (model instances, count dicts); fields wrap them in types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.pushes import models, selectors
from schema.loading import ListLoader, SelectorLoader


class PushByIdLoader(SelectorLoader[int, models.Push | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.pushes_by_ids(keys)


class CommitsByPushIdLoader(ListLoader[int, models.Commit]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.commits_by_push_ids(keys)


class PushStatusByPushIdLoader(SelectorLoader[int, dict[str, int] | None]):
    """Status counts per push (`apps.pushes.selectors.push_status_counts`): every key gets a dict."""

    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.push_status_counts(push_ids=keys)
