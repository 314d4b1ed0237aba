"""Reads for repositories."""

from __future__ import annotations

from collections.abc import Iterable

from apps.repositories.models import Repository


def repository_list(*, include_inactive: bool = False) -> list[Repository]:
    qs = Repository.objects.select_related("repository_group").order_by("repository_group_id", "name")
    if not include_inactive:
        qs = qs.filter(active_status=Repository.ActiveStatus.ACTIVE)
    return list(qs)


def repository_get(*, name: str) -> Repository | None:
    return Repository.objects.select_related("repository_group").filter(name=name).first()


def repositories_by_ids(ids: Iterable[int]) -> dict[int, Repository]:
    return Repository.objects.select_related("repository_group").in_bulk(list(ids))


def repository_ids_by_names(names: Iterable[str]) -> dict[str, int]:
    """The ids of the repositories named (unknown names are left out)."""
    return dict(Repository.objects.filter(name__in=list(names)).values_list("name", "id"))
