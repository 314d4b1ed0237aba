"""HTTP endpoints that are not GraphQL: health (liveness, readiness, status) and /metrics."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.health import readiness_report, status_report
from apps.core.metrics import PROMETHEUS_CONTENT_TYPE, metrics_prometheus_text, metrics_snapshot


async def liveness(request: HttpRequest) -> JsonResponse:
    """200 whenever the process answers: nothing else is checked (a restart fixes no outage)."""
    return JsonResponse({"ok": True})


async def readiness(request: HttpRequest) -> JsonResponse:
    """200 when this process can serve (the database answers), else 503: take it out of rotation."""
    report = await readiness_report()
    return _not_logged_as_error(JsonResponse(report, status=200 if report["ok"] else 503))


async def status(request: HttpRequest) -> JsonResponse:
    """Every dependency, the relay's lag, the newest ingested change, the scheduled jobs' last runs.
    200 while the process is ready (a down broker or Redis shows here without failing it)."""
    report = await status_report()
    return _not_logged_as_error(JsonResponse(report, status=200 if report["ready"] else 503))


def _not_logged_as_error(response: JsonResponse) -> JsonResponse:
    """A 503 here is the answer, not a fault: Django would log each one at ERROR ("Service
    Unavailable"), a line per probe for as long as an outage lasts. The request line
    (apps.core.logs) still records it, and the outage its one line (apps.core.outage). Django skips
    responses marked this way (django.utils.log.log_response)."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def metrics(request: HttpRequest) -> HttpResponse:
    """Every figure of every process on this machine, in Prometheus's text format (prometheus-client);
    `?format=json` gives the counters only, as {"name{label=\\"value\\"}": count}."""
    if request.GET.get("format") == "json":
        return JsonResponse(metrics_snapshot())
    return HttpResponse(metrics_prometheus_text(), content_type=PROMETHEUS_CONTENT_TYPE)
