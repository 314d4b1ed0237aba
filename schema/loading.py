"""The base of every DataLoader here: one selector call per batch, in the database thread."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from schema.db import db

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SelectorLoader(DataLoader[K, V]):
    """Subclasses implement `fetch` (sync: keys -> rows found, by key) and `build` (row -> value).

    A key nothing was found for resolves to `missing` (None, or [] for list loaders).
    """

    missing: Any = None

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    def fetch(self, keys: list[K]) -> Mapping[K, Any]:
        raise NotImplementedError

    def build(self, row: Any) -> V:
        return row

    async def _load(self, keys: Sequence[K]) -> list[V]:
        found = await db(self.fetch)(list(keys))
        return [self.build(found[key]) if key in found else self._missing() for key in keys]

    def _missing(self) -> Any:
        return list(self.missing) if isinstance(self.missing, list) else self.missing


class ListLoader(SelectorLoader[K, list[V]]):
    """A loader whose rows are lists (e.g. every log of a job): builds each item."""

    missing: Any = []

    def build_item(self, row: Any) -> V:
        return row

    def build(self, row: Any) -> list[V]:
        return [self.build_item(item) for item in row]
