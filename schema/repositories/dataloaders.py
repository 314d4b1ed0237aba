"""Batched loads of repositories, one SQL query per batch."""

from __future__ import annotations

from collections.abc import Sequence

from asgiref.sync import sync_to_async
from strawberry.dataloader import DataLoader

from apps.repositories.models import Repository
from apps.repositories.selectors import repositories_by_ids


class RepositoryByIdLoader(DataLoader[int, Repository | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(ids: Sequence[int]) -> list[Repository | None]:
        found = await sync_to_async(repositories_by_ids)(ids)
        return [found.get(i) for i in ids]
