"""Batched loads of repositories, one SQL query per batch. Rows are model instances."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.repositories.models import Repository
from apps.repositories.selectors import repositories_by_ids
from schema.loading import SelectorLoader


class RepositoryByIdLoader(SelectorLoader[int, Repository | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return repositories_by_ids(keys)
