"""AppProfiles edited or added on the snapshot page; saving stores a derived snapshot."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tracer.profile_edit import ProfileError, profiles_context, save_profile

from .common import AuthedRequest, base_context, get_snapshot_for_user, require_write
from .snapshots import detail_context

MAX_PROFILE_TEXT = 256 * 1024


@login_required
@require_POST
def profile_save(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    require_write(request, snapshot.workspace)
    original = request.POST.get("original", "").strip()
    text = request.POST.get("yaml", "")
    try:
        if len(text.encode("utf-8")) > MAX_PROFILE_TEXT:
            raise ProfileError(f"the profile is larger than {MAX_PROFILE_TEXT // 1024} KiB")
        copy = save_profile(snapshot, original, text, request.user)
    except ProfileError as exc:
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
