"""Shared view helpers: the typed request, the current workspace, and access checks (404, never 403)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from tracer.models import Snapshot, Trace, Workspace, default_workspace

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthedRequest(HtmxHttpRequest):
    user: User


SESSION_WORKSPACE = "tracer_workspace"


def current_workspace(request: AuthedRequest) -> Workspace:
    """The workspace chosen on the workspace page (session), else the user's own."""
    chosen = request.session.get(SESSION_WORKSPACE)
    if chosen:
        workspace = Workspace.for_user(request.user).filter(pk=chosen).first()
        if workspace is not None:
            return workspace
    return default_workspace(request.user)


def get_snapshot_for_user(request: AuthedRequest, snapshot_id: UUID) -> Snapshot:
    return get_object_or_404(
        Snapshot.objects.select_related("workspace"), pk=snapshot_id, workspace__memberships__user=request.user
    )


def get_trace_for_user(request: AuthedRequest, trace_id: UUID) -> Trace:
    return get_object_or_404(
        Trace.objects.select_related("scenario", "snapshot", "workspace"),
        pk=trace_id,
        workspace__memberships__user=request.user,
    )


def base_context(request: AuthedRequest, **extra: Any) -> dict[str, Any]:
    return {"workspace": current_workspace(request), **extra}
