"""DataLoaders: the per-request registry that makes them, and the base every loader here shares.

Imports in schema/ run one way: queries -> types -> loaders -> apps selectors. A loader returns
what its selector returns (model rows, or plain values such as counts); the field that asked wraps
the row in its GraphQL type. Loaders therefore import no GraphQL type, and a domain adds a loader
by writing its class next to its types: no central module lists every loader.

A field gets the request's instance with `SomeLoader.of(info)`. The registry (`Loaders`, on the
context) creates each loader the first time it is asked for (Saleor's per-request `context_key`
pattern, keyed by the class), so one request shares one cache per loader, and a new `Loaders()`
(a subscription makes one per event) starts with empty caches.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol, Self, TypeVar, cast

from strawberry.dataloader import DataLoader

from schema.db import db

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loaders:
    """The DataLoaders of one request (or one subscription event), each made on first use."""

    def __init__(self) -> None:
        self._made: dict[type[Any], Any] = {}

    def get[L](self, loader_class: type[L]) -> L:
        loader = self._made.get(loader_class)
        if loader is None:
            loader = self._made[loader_class] = loader_class()
        return cast(L, loader)


class _HasLoaders(Protocol):
    loaders: Loaders


class _HasContext(Protocol):
    @property
    def context(self) -> _HasLoaders: ...


class RequestLoader(DataLoader[K, V]):
    """A DataLoader made once per request by the context's registry: `SomeLoader.of(info)`."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @classmethod
    def of(cls, info: _HasContext) -> Self:
        return info.context.loaders.get(cls)

    async def _load(self, keys: Sequence[K]) -> list[V]:
        raise NotImplementedError


class SelectorLoader(RequestLoader[K, V]):
    """Subclasses implement `fetch` (sync: keys -> rows found, by key), a call of one selector.

    A key nothing was found for resolves to `missing` (None, or [] for list loaders).
    """

    missing: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Loaders used to build types (`build`, `build_item`); a loader written that way would now
        # hand raw rows to fields that expect types. Fail at import instead.
        for name in ("build", "build_item"):
            if name in vars(cls):
                raise TypeError(
                    f"{cls.__name__}.{name}: loaders return what their selector returns; wrap the row in the "
                    "field that asked for it (schema/loading.py)"
                )

    def fetch(self, keys: list[K]) -> Mapping[K, Any]:
        raise NotImplementedError

    async def _load(self, keys: Sequence[K]) -> list[V]:
        found = await db(self.fetch)(list(keys))
        return [found[key] if key in found else self._missing() for key in keys]

    def _missing(self) -> Any:
        return list(self.missing) if isinstance(self.missing, list) else self.missing


class ListLoader(SelectorLoader[K, list[V]]):
    """A loader whose rows are lists (e.g. every log of a job); a key without rows gets []."""

    missing: Any = []


def required[R](value: R | None, what: str = "a referenced row") -> R:
    """`value`, which a foreign key guarantees: None means a broken database, not a client error.

    Raises LookupError (masked as "Unexpected error" in production, logged with its stack)."""
    if value is None:
        raise LookupError(f"{what} is missing")
    return value


__all__ = ["ListLoader", "Loaders", "RequestLoader", "SelectorLoader", "required"]
