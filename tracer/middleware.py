"""tracer's own middleware: response headers for privacy, upload limits enforced before the body is read, and
log-in throttling. Their places in settings.MIDDLEWARE matter; each class says where it goes and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from tracer import throttle
from tracer.uploads import MULTIPART_OVERHEAD, too_large_message, upload_refused

Handler = Callable[[HttpRequest], HttpResponse]

# A downloaded diagram (/traces/<id>.svg) is a document of its own whose colours come from its <style> element,
# and a CSP style-src 'self' would blank them when the file is opened from the site. It gets a policy of its own:
# inline style only, nothing else at all (no script, no fetch, no frame). Pages keep style-src 'self'.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class ResponseHeadersMiddleware:
    """Cache-Control and the diagram's CSP. Place it after WhiteNoise (static files keep their long-lived public
    caching) and after ContentSecurityPolicyMiddleware (which leaves a policy already set alone).

    Every page and API answer is per user or per link (workspace data, share pages, CSRF tokens), so none may be
    kept by a shared cache: ``private, no-store`` unless the view chose its own caching, which then gets
    ``private`` added; only a view that says ``public`` is left as it is."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        cache_control = response.get("Cache-Control", "")
        if not cache_control:
            patch_cache_control(response, private=True, no_store=True)
        elif "public" not in cache_control:
            patch_cache_control(response, private=True)
        if response.get("Content-Type", "").startswith("image/svg+xml") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = SVG_POLICY
        return response


def _too_large(request: HttpRequest) -> HttpResponse:
    message = too_large_message()
    limit = settings.TRACER_MAX_UPLOAD_BYTES
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message, "limit_bytes": limit}, status=413)
    return render(request, "413.html", {"message": message}, status=413)


class UploadLimitMiddleware:
    """TRACER_MAX_UPLOAD_MB holds while a body streams in. Place it before anything that reads request.POST
    (CsrfViewMiddleware does).

    A declared Content-Length over the limit (plus multipart framing) is refused before one byte of the body is
    read. A multipart body is parsed here, before the CSRF check and the view, with the counting upload handler
    (tracer.uploads.LimitedUploadHandler) first in FILE_UPLOAD_HANDLERS: once the files pass the limit it stops
    reading, and the request is refused here, so no view ever sees a partial upload."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        # Here rather than in __call__: the session is loaded (the 413 page knows who is logged in), and still no
        # middleware or view has touched the body.
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads no body at all then
        multipart = request.content_type == "multipart/form-data"
        if declared > settings.TRACER_MAX_UPLOAD_BYTES + (MULTIPART_OVERHEAD if multipart else 0):
            return _too_large(request)
        if request.method == "POST" and multipart:
            request.FILES  # noqa: B018 -- parse now, through the counting handler
            if upload_refused(request):
                return _too_large(request)
        return None


class LoginThrottleMiddleware:
    """Refuses a log-in POST (tracer's page and the admin's, both named ``login``) while its username or the
    client's address has too many recent failures (tracer.throttle counts them). Place it after
    AuthenticationMiddleware."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.url_name != "login":
            return None
        wait = throttle.wait_seconds(
            throttle.login_checks(str(request.POST.get("username", "")), throttle.client_ip(request))
        )
        return throttle.login_refusal(request, wait) if wait else None


class PageGenerationMiddleware:
    """After a write request (any method but GET, HEAD, OPTIONS), every whole page in the page cache is stale:
    share links, later traces, snapshots, roles and names all change through one (tracer/page_cache.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            from tracer import page_cache

            page_cache.bump_generation()
        return response
