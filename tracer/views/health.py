"""Probes and metrics for operators (docs/operations.md): unauthenticated, cheap, no session or template.

``/healthz`` says the process serves requests (it touches nothing else); ``/readyz`` says it can do its work:
the database and the broker both answer, else 503 naming the one that failed. ``/metrics`` is the Prometheus
exposition (tracer/metrics.py), open only with the metrics token or when made public by setting.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from tracer import metrics


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    problems = {"database": metrics.database_error(), "broker": metrics.broker_error()}
    failed = sorted(name for name, problem in problems.items() if problem)
    body: dict[str, object] = {
        "status": "ok" if not failed else "unavailable",
        "checks": {name: ("ok" if problem is None else f"unreachable: {problem}") for name, problem in problems.items()},
    }
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)


def metrics_allowed(request: HttpRequest) -> bool:
    if settings.TRACER_METRICS_PUBLIC:
        return True
    token = settings.TRACER_METRICS_TOKEN
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(credential.strip(), token)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        message = (
            "send the metrics token: 'Authorization: Bearer <TRACER_METRICS_TOKEN>'"
            if settings.TRACER_METRICS_TOKEN
            else "metrics are off: set TRACER_METRICS_TOKEN (scrapers send it as a bearer token) or TRACER_METRICS_PUBLIC=1"
        )
        resp = HttpResponse(message + "\n", status=401 if settings.TRACER_METRICS_TOKEN else 403,
                            content_type="text/plain; charset=utf-8")
        if settings.TRACER_METRICS_TOKEN:
            resp["WWW-Authenticate"] = 'Bearer realm="tracer-metrics"'
        return resp
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
