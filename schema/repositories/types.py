"""GraphQL types for repositories."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from apps.repositories.models import Repository as RepositoryModel
from schema.ids import node_database_ids
from schema.info import Info
from schema.repositories.dataloaders import RepositoryByIdLoader


@strawberry.enum(description="Whether a repository still receives pushes.")
class RepositoryActiveStatus(Enum):
    ACTIVE = "active"
    ONHOLD = "onhold"


@strawberry.type(description="A group of repositories (development, try, release-stabilization, ...).")
class RepositoryGroup:
    name: str
    description: str


@strawberry.type(description="A source repository whose pushes Treeherder shows.")
class Repository(relay.Node):
    pk: relay.NodeID[int]
    database_id: int = strawberry.field(
        description="The numeric id Treeherder URLs carry (1 = mozilla-central, 4 = try, 77 = autoland)."
    )
    name: str
    dvcs_type: str = strawberry.field(description='"hg" or "git".')
    url: str
    codebase: str
    description: str
    active_status: RepositoryActiveStatus
    life_cycle_order: int | None
    performance_alerts_enabled: bool
    expire_performance_data: bool
    is_try_repo: bool
    tc_root_url: str = strawberry.field(description="The Taskcluster root URL its tasks run on.")
    accepts_pull_requests: bool
    repository_group: RepositoryGroup

    @classmethod
    def from_model(cls, repo: RepositoryModel) -> Repository:
        return cls(
            pk=repo.id,
            database_id=repo.id,
            name=repo.name,
            dvcs_type=repo.dvcs_type,
            url=repo.url,
            codebase=repo.codebase,
            description=repo.description,
            active_status=RepositoryActiveStatus(repo.active_status),
            life_cycle_order=repo.life_cycle_order,
            performance_alerts_enabled=repo.performance_alerts_enabled,
            expire_performance_data=repo.expire_performance_data,
            is_try_repo=repo.is_try_repo,
            tc_root_url=repo.tc_root_url,
            accepts_pull_requests=repo.accepts_pull_requests,
            repository_group=RepositoryGroup(
                name=repo.repository_group.name, description=repo.repository_group.description
            ),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False, **kwargs: Any
    ) -> list[Repository | None]:
        repos = await RepositoryByIdLoader.of(info).load_many(node_database_ids(node_ids, "Repository"))
        return [cls.from_model(r) if r else None for r in repos]
