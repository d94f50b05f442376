"""Translate to Gateway API from the snapshot page, and the page of a translation: what could not be expressed,
which requests change on the move and why (each difference classed), and the objects as YAML."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from tracer.translating import TranslateError, translate_snapshot

from .common import AuthedRequest, base_context, get_snapshot_for_user, require_write

# What each class of difference means, as the page explains it (docs/translate.md).
CLASS_WORDS = {
    "ingress-nginx-only": "behaviour only ingress-nginx has",
    "translation-gap": "an annotation the translation could not express",
    "target-implementation-gap": "a feature the chosen implementation does not support",
    "spec-gap": "Gateway API has no field for it or leaves it to the implementation",
    "unclassified": "not explained by the notes or the hops",
}


@login_required
@require_POST
def snapshot_translate(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    require_write(request, snapshot.workspace)
    try:
        derived = translate_snapshot(snapshot, request.POST.get("implementation") or None, request.user)
    except TranslateError as exc:
        messages.error(request, f"Cannot translate {snapshot.name}: {exc}.")
        return redirect(snapshot)
    return redirect(reverse("tracer-snapshot-translation", args=[derived.id]))


@login_required
@require_GET
def snapshot_translation(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    translation = (snapshot.derivation or {}).get("translation")
    if not isinstance(translation, dict):
        raise Http404("this snapshot is not a translation")
    if request.GET.get("download"):
        response = HttpResponse(translation.get("yaml", ""), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="gateway-api-{snapshot.id}.yaml"'
        return response
    rows = translation.get("requests") or []
    changed = [r for r in rows if r.get("changed")]
    ctx = base_context(
        request, snapshot=snapshot, translation=translation, changed=changed,
        same=[r for r in rows if not r.get("changed")], class_words=CLASS_WORDS,
        by_class=[(c, n, CLASS_WORDS.get(c, c)) for c, n in (translation.get("summary") or {}).get("by_class", {}).items()],
    )
    return render(request, "tracer/snapshot_translation.html", ctx)
