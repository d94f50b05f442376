"""Translate to Gateway API from the snapshot page: a derived snapshot holding the translated objects (the
original stays as it is), with the verification (docs/translate.md) stored beside it so its page shows which
requests change on the move and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from tracer.engine import TracerError
from tracer.engine.dataplanes.gateway_api.conformance import IMPLEMENTATIONS
from tracer.engine.translate import translate, verify

from .models import Snapshot, Trace

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Saved single requests of the snapshot traced on both sides besides the probes (newest first).
SAVED_REQUESTS = 50


class TranslateError(Exception):
    """The snapshot cannot be translated (no ingress-nginx Ingresses, or an unknown implementation)."""


def implementations() -> list[dict[str, str]]:
    """The implementations of the support matrix, as the form offers them."""
    return sorted(({"key": i.key, "title": i.label()} for i in IMPLEMENTATIONS.values()), key=lambda i: i["title"])


def _saved_requests(snapshot: Snapshot) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    rows = Trace.objects.filter(snapshot=snapshot).order_by("-queued_at").values_list("scenario__request", flat=True)
    for request in rows[: SAVED_REQUESTS * 4]:
        if isinstance(request, dict) and "journey" not in request and request.get("url"):
            seen.setdefault(f"{request.get('method', 'GET')} {request['url']}", request)
        if len(seen) >= SAVED_REQUESTS:
            break
    return list(seen.values())


def translate_snapshot(snapshot: Snapshot, implementation: str | None, user: User | None) -> Snapshot:
    """The derived snapshot with the Gateway API objects in place of the ingress-nginx Ingresses."""
    if snapshot.source == Snapshot.Source.IMPORT:
        raise TranslateError("an imported trace's snapshot holds no manifests to translate")
    original = snapshot.to_engine()
    try:
        translation = translate(original, implementation=implementation or None)
        result = verify(original, translation, requests=_saved_requests(snapshot)).to_dict()
    except TracerError as exc:
        raise TranslateError(str(exc)) from exc
    if not translation.translated or translation.snapshot is None:
        raise TranslateError("this snapshot has no Ingress served by ingress-nginx, so there is nothing to translate")
    with transaction.atomic():
        derived = Snapshot.create_from_engine(
            translation.snapshot, workspace=snapshot.workspace, name=f"{snapshot.name} → Gateway API",
            source=snapshot.source, created_by=user,
            files=sorted({o.source.file for o in translation.snapshot.objects}),
        )
        derived.derived_from = snapshot
        derived.derivation = {"translation": {
            "to": "gateway-api", "implementation": implementation or "", "translated": translation.translated,
            "notes": result["notes"], "requests": result["requests"], "summary": result["summary"],
            "yaml": translation.to_yaml(),
        }}
        derived.save(update_fields=["derived_from", "derivation"])
    return derived
