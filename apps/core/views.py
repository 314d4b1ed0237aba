"""HTTP endpoints that are not GraphQL."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from apps.core.health import health_report


async def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the state of each service when all answer, 503 when one does not."""
    report = await health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)
