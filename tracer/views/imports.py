"""Import a trace-v1 JSON file as a trace of the workspace (viewed and shared like one made here)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tracer.trace_import import MAX_IMPORT_BYTES, TraceImportError, import_trace

from .api import ApiRequest, api_view, error
from .common import AuthedRequest, base_context, current_workspace, require_write


@login_required
@require_http_methods(["GET", "POST"])
def trace_import(request: AuthedRequest) -> HttpResponse:
    workspace = current_workspace(request)
    require_write(request, workspace)
    ctx = base_context(request, error=None, max_mb=MAX_IMPORT_BYTES // (1024 * 1024))
    if request.method == "GET":
        return render(request, "tracer/trace_import.html", ctx)
    upload = request.FILES.get("file")
    if upload is None:
        ctx["error"] = "Choose a trace-v1 JSON file (the output of manage.py trace -o json, or a trace's JSON download)."
        return render(request, "tracer/trace_import.html", ctx, status=400)
    if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
        ctx["error"] = f"{upload.name} is larger than {ctx['max_mb']} MiB."
        return render(request, "tracer/trace_import.html", ctx, status=400)
    try:
        trace = import_trace(workspace, request.user, upload.name or "trace.json", upload.read(MAX_IMPORT_BYTES + 1))
    except TraceImportError as exc:
        ctx["error"] = f"{upload.name} was not imported: {exc}"
        return render(request, "tracer/trace_import.html", ctx, status=400)
    messages.success(request, f"Imported {upload.name}. It has no manifests here: re-run it on a snapshot to trace "
                              "it again.")
    return redirect(trace)


@api_view(("POST",))
def api_trace_import(request: ApiRequest) -> HttpResponse:
    """POST /api/v1/traces/import: the body is a trace-v1 document; 201 with the stored trace."""
    workspace = request.api_token.workspace
    user = request.api_token.user  # the token's user (api_view authenticated it)
    if not workspace.can_write(user):
        return error(403, "this token's user may only read this workspace")
    try:
        trace = import_trace(workspace, user, request.GET.get("name") or "api-import.json", request.body)
    except TraceImportError as exc:
        return error(400, exc.message, field=exc.where or None)
    return JsonResponse(trace.to_api(request), status=201)
