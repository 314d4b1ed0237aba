"""The HTTP GraphQL endpoint."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from strawberry.django.views import AsyncGraphQLView

from schema.context import Context


class GraphQLView(AsyncGraphQLView[Context, None]):
    async def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:
        return Context(request=request, response=response)

    async def get_root_value(self, request: Any) -> None:
        return None
