"""JSON API v1 (docs/api.md). Token authentication only: `Authorization: Token <token>`.

Requests are CSRF-exempt because no cookie is ever accepted here; a session alone gets 401.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from tracer import throttle
from tracer.models import ApiToken, Snapshot, Trace
from tracer.queue import submit_trace
from tracer.request_schema import InputErrors, check, check_size, load_json
from tracer.request_spec import SpecError, clean_journey, clean_options, clean_request
from tracer.uploads import store_upload

from .common import require_write

View = Callable[..., HttpResponse]


class ApiRequest(HttpRequest):
    api_token: ApiToken


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    resp = JsonResponse({"error": message, **extra}, status=status)
    if status == 401:
        resp["WWW-Authenticate"] = 'Token realm="tracer"'
    return resp


def api_view(methods: tuple[str, ...]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
            ip = throttle.client_ip(request)
            if wait := throttle.wait_seconds([(throttle.TOKEN_IP, ip)]):
                return throttle.token_refusal(wait)  # too many wrong tokens from this address: 429
            token = ApiToken.authenticate(credential.strip()) if scheme.lower() in ("token", "bearer") else None
            if token is None:
                if credential.strip():  # a wrong or revoked token was sent (not merely none)
                    throttle.record_failure(throttle.TOKEN_IP, ip)
                return error(401, "send a valid API token: 'Authorization: Token <token>'")
            if request.method not in methods:
                resp = error(405, f"use {' or '.join(methods)}")
                resp["Allow"] = ", ".join(methods)
                return resp
            request.api_token = token  # type: ignore[attr-defined]
            request.user = token.user
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:  # a read-only member's write (common.require_write)
                return error(403, str(exc))

        return wrapper

    return decorator


def _snapshot_for(request: ApiRequest, snapshot_id: Any) -> Snapshot | None:
    try:
        pk = UUID(str(snapshot_id))
    except ValueError:
        return None
    return Snapshot.objects.filter(pk=pk, workspace__memberships__user=request.api_token.user).first()


def _raw_body_file(request: HttpRequest) -> SimpleUploadedFile:
    ctype = request.content_type or ""
    name = request.GET.get("filename") or ("body.json" if "json" in ctype else "body.yaml")
    return SimpleUploadedFile(name, request.body, content_type=ctype)


@api_view(("GET", "POST"))
def snapshots(request: ApiRequest) -> HttpResponse:
    if request.method == "GET":
        rows = Snapshot.objects.filter(workspace=request.api_token.workspace)[:200]
        return JsonResponse({"snapshots": [s.to_api(request) for s in rows]})
    if request.content_type == "multipart/form-data" or request.FILES:
        files = request.FILES.getlist("files")
        name = request.POST.get("name", "")
        pasted = request.POST.get("yaml", "")
    else:
        files = [_raw_body_file(request)] if request.body else []
        name = request.GET.get("name", "")
        pasted = ""
    require_write(request, request.api_token.workspace)
    outcome = store_upload(
        workspace=request.api_token.workspace,
        user=request.api_token.user,
        files=files,
        pasted=pasted,
        name=name,
        source=Snapshot.Source.API,
    )
    if outcome.snapshot is None:
        return JsonResponse({"errors": outcome.errors}, status=400)
    return JsonResponse(outcome.snapshot.to_api(request), status=201)


@api_view(("GET",))
def snapshot_detail(request: ApiRequest, snapshot_id: UUID) -> HttpResponse:
    snap = _snapshot_for(request, snapshot_id)
    if snap is None:
        return error(404, "no such snapshot")
    return JsonResponse(snap.to_api(request))


@api_view(("POST",))
def traces(request: ApiRequest) -> HttpResponse:
    try:
        # Strict JSON (no Infinity/NaN, bounded depth) and the schema's types and sizes, every problem named.
        length = request.META.get("CONTENT_LENGTH") or "0"
        check_size(int(length) if length.isdigit() else 0)  # before the body is read
        data = load_json(request.body)
        check(data)
    except InputErrors as exc:
        return JsonResponse(exc.to_dict(), status=400)
    snap = _snapshot_for(request, data.get("snapshot"))
    if snap is None:
        return error(404, "no such snapshot", field="snapshot")
    require_write(request, snap.workspace)
    if "journey" in data and "request" in data:
        return error(400, "give either request or journey, not both", field="journey")
    try:
        spec = clean_journey(data["journey"]) if "journey" in data else clean_request(data.get("request") or {})
        options = clean_options(data.get("options") or {})
    except SpecError as exc:
        return error(400, exc.message, **({"field": exc.field} if exc.field else {}))
    user = request.api_token.user
    trace, published = submit_trace(snapshot=snap, request=spec, options=options, user=user)
    # The workspace-only link is made here, on the write, so that reading the trace never has to.
    link = trace.share_link(user)
    body = {
        "id": str(trace.id),
        "url": request.build_absolute_uri(trace.get_absolute_url()),
        "state": trace.state,
        "share_url": request.build_absolute_uri(link.get_absolute_url()),
    }
    if published is False:
        body["note"] = "queued; the worker will run it when the broker is back"
    return JsonResponse(body, status=202)


@api_view(("GET",))
def trace_detail(request: ApiRequest, trace_id: UUID) -> HttpResponse:
    """Read-only: reports the existing workspace share link, never creates one."""
    trace = (
        Trace.objects.select_related("scenario", "snapshot")
        .filter(pk=trace_id, workspace__memberships__user=request.api_token.user)
        .first()
    )
    if trace is None:
        return error(404, "no such trace")
    body = trace.to_api(request)
    link = trace.workspace_share_link()
    body["share_url"] = request.build_absolute_uri(link.get_absolute_url()) if link is not None else None
    return JsonResponse(body)
