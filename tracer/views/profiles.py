"""AppProfiles edited or added on the snapshot page; saving stores a derived snapshot."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tracer.models import Snapshot
from tracer.profile_edit import ProfileError, profile_documents, save_profile, starter_profile

from .common import AuthedRequest, base_context, get_snapshot_for_user

MAX_PROFILE_TEXT = 256 * 1024


def profiles_context(snapshot: Snapshot) -> dict[str, Any]:
    docs = profile_documents(snapshot)
    covered = {(d["namespace"], (d["selector"] or {}).get("service")) for d in docs}
    service = snapshot.k8s_objects.filter(kind="Service").exclude(namespace="kube-system").order_by(
        "namespace", "name").values_list("namespace", "name")
    first = next(((ns, name) for ns, name in service if (ns, name) not in covered), ("default", "my-app"))
    return {"profiles": docs, "profile_starter": starter_profile(*first), "profile_open": "", "profile_text": ""}


@login_required
@require_POST
def profile_save(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    original = request.POST.get("original", "").strip()
    text = request.POST.get("yaml", "")
    try:
        if len(text.encode("utf-8")) > MAX_PROFILE_TEXT:
            raise ProfileError(f"the profile is larger than {MAX_PROFILE_TEXT // 1024} KiB")
        copy = save_profile(snapshot, original, text, request.user)
    except ProfileError as exc:
        from .snapshots import detail_context  # the page's own context (this module is imported by it)

        ctx = detail_context(request, snapshot) if not request.htmx else base_context(
            request, snapshot=snapshot, **profiles_context(snapshot))
        ctx.update(profile_error=f"The profile was not saved: {exc}", profile_open=original or "new", profile_text=text)
        if request.htmx:  # 422: the htmx config swaps it in (templates/tracer/base.html)
            return render(request, "tracer/snapshot_detail.html#profiles", ctx, status=422)
        return render(request, "tracer/snapshot_detail.html", ctx, status=400)
    messages.success(request, f"Saved as a new snapshot, {copy.name}; traces on {snapshot.name} stay as they were.")
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = copy.get_absolute_url()
        return response
    return redirect(copy)
