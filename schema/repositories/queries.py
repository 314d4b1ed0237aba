"""Queries for repositories."""

from __future__ import annotations

import strawberry

from apps.repositories import selectors
from schema.db import db
from schema.limits import bounded
from schema.repositories.types import Repository

# Treeherder's fixture has 147; the query cost counts this many.
MAX_REPOSITORIES = 200


@strawberry.type
class RepositoryQueries:
    @strawberry.field(
        description="Repositories, active ones only unless includeInactive is true.",
        metadata=bounded(MAX_REPOSITORIES),
    )
    async def repositories(self, include_inactive: bool = False) -> list[Repository]:
        repos = await db(selectors.repository_list)(include_inactive=include_inactive)
        return [Repository.from_model(r) for r in repos]

    @strawberry.field(description="One repository by name, e.g. autoland.")
    async def repository(self, name: str) -> Repository | None:
        repo = await db(selectors.repository_get)(name=name)
        return Repository.from_model(repo) if repo else None
