"""HTTP endpoints that are not GraphQL."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from redis.exceptions import RedisError

from apps.core.health import health_report
from apps.core.metrics import metrics_prometheus_text, metrics_snapshot

logger = logging.getLogger(__name__)


async def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the state of each service when all answer, 503 when one does not."""
    report = await health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """Ingestion counters (messages, stored jobs and pushes, rejections by reason, dead letters),
    summed over every process: Prometheus text format, or JSON with `?format=json`. 503 while Redis,
    where the counters are, does not answer."""
    as_json = request.GET.get("format") == "json"
    try:
        if as_json:
            return JsonResponse(metrics_snapshot())
        return HttpResponse(metrics_prometheus_text(), content_type="text/plain; version=0.0.4")
    except RedisError as exc:
        logger.warning("/metrics: Redis unavailable (%s: %s)", type(exc).__name__, exc)
        message = "metrics unavailable: Redis, which holds the counters, is not answering"
        if as_json:
            return JsonResponse({"error": message}, status=503)
        return HttpResponse(f"{message}\n", status=503, content_type="text/plain; charset=utf-8")
