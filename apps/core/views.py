"""HTTP endpoints that are not GraphQL."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.health import health_report
from apps.core.metrics import metrics_prometheus_text, metrics_snapshot


async def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the state of each service when all answer, 503 when one does not."""
    report = await health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """Ingestion counters (messages, stored jobs and pushes, rejections by reason, dead letters),
    summed over every process: Prometheus text format, or JSON with `?format=json`."""
    if request.GET.get("format") == "json":
        return JsonResponse(metrics_snapshot())
    return HttpResponse(metrics_prometheus_text(), content_type="text/plain; version=0.0.4")
