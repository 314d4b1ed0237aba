"""The GraphQL context: the request (if any) and the request's DataLoaders.

`Context()` works outside an HTTP request (request is None): a subscription builds a new Context
(or new `Loaders`) for every event, so no loader serves a row cached before that event. Loaders are
made on first use by the registry (`schema.loading.Loaders`); this module names none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.loading import Loaders


@dataclass
class Context:
    request: Any = None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)


__all__ = ["Context", "Loaders"]
