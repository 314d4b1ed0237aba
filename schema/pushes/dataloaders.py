"""Batched loads of pushes, their commits and status counts: one query per batch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.pushes import models, selectors
from schema.loading import ListLoader, SelectorLoader
from schema.pushes.types import Commit, Push, PushStatus


class PushByIdLoader(SelectorLoader[int, Push | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.pushes_by_ids(keys)

    def build(self, row: models.Push) -> Push:
        return Push.from_model(row)


class CommitsByPushIdLoader(ListLoader[int, Commit]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.commits_by_push_ids(keys)

    def build_item(self, row: models.Commit) -> Commit:
        return Commit.from_model(row)


class PushStatusByPushIdLoader(SelectorLoader[int, PushStatus]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.push_status_counts(push_ids=keys)

    def build(self, row: dict[str, int]) -> PushStatus:
        return PushStatus.from_counts(row)
