"""The per-request GraphQL context. Loaders are created here, once per request, never ad hoc."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from schema.live.standin import JobByIdLoader, PushByIdLoader
from schema.repositories.dataloaders import RepositoryByIdLoader


@dataclass
class Loaders:
    repository_by_id: RepositoryByIdLoader = field(default_factory=RepositoryByIdLoader)
    job_by_id: JobByIdLoader = field(default_factory=JobByIdLoader)
    push_by_id: PushByIdLoader = field(default_factory=PushByIdLoader)


@dataclass
class Context:
    request: Any = None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)


Info = StrawberryInfo[Context, None]
