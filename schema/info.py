"""The typed `Info` every resolver takes.

Kept apart from `schema.context` so that types can import it without importing the loaders (which
import the types): the context is only named for the type checker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

if TYPE_CHECKING:
    from schema.context import Context

    Info = strawberry.Info[Context, None]
else:
    # At run time Strawberry only needs to recognise the parameter as Info; resolving the
    # context type would import the loaders, which import the types.
    Info = strawberry.Info
