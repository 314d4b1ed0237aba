"""The typed `Info` every resolver takes (live operations use `schema.live.types.LiveInfo`)."""

from __future__ import annotations

import strawberry

from schema.context import Context

Info = strawberry.Info[Context, None]
