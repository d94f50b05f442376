"""Shared view helpers: the typed request, the current workspace, and access checks.

Outsiders get 404 (never 403: they must not learn that an object exists). Read-only members may see
everything of their workspace, so a write they may not do answers 403 (``require_write``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
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


def require_write(request: HttpRequest, workspace: Workspace) -> None:
    """Owners and members change things; a read-only member (or anyone else) gets 403."""
    if not workspace.can_write(request.user):  # type: ignore[arg-type]
        raise PermissionDenied(
            f"You have read-only access to {workspace.name}: you can open everything in it but not change "
            "anything. An owner of the workspace can make you a member."
        )


def shown_workspace(request: AuthedRequest, extra: dict[str, Any]) -> Workspace:
    """The workspace a page is about: that of the trace or snapshot it shows (a teammate may open one of another
    of their workspaces through a link), else the session's current one."""
    for key in ("trace", "snapshot"):
        obj = extra.get(key)
        if isinstance(obj, (Trace, Snapshot)):
            return obj.workspace
    return current_workspace(request)


def base_context(request: AuthedRequest, **extra: Any) -> dict[str, Any]:
    """``workspace`` (shown in the header) and ``can_write`` (templates hide write buttons without it)."""
    workspace = extra.pop("workspace", None) or shown_workspace(request, extra)
    return {"workspace": workspace, "can_write": workspace.can_write(request.user), **extra}
