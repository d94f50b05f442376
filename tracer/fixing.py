"""Apply fix and re-trace: a derived snapshot with a diagnosis's patches, and the same scenario traced on it.

The original snapshot and trace stay as they are; the derived snapshot links to its original
(``derived_from``, with what was applied in ``derivation``) and the new trace to the one it re-runs
(``before``), so the trace page can show before and after side by side.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

from tracer.engine import TracerError
from tracer.engine.fixes import Patch, apply_patches, patches_of

from .models import Scenario, Snapshot, Trace
from .queue import submit_trace

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class FixError(Exception):
    """The fix cannot be applied (no such diagnosis, no patches, or a patch whose object is gone)."""


@dataclass(frozen=True, slots=True)
class AppliedFix:
    trace: Trace  # the new trace, queued
    published: bool | None


def fix_of(trace: Trace, r: int, d: int) -> dict[str, Any]:
    """Diagnosis ``d`` of request ``r`` of a finished trace, when it carries patches."""
    try:
        diagnosis = (trace.result or {})["requests"][r]["diagnoses"][d]
    except (KeyError, IndexError, TypeError) as exc:
        raise FixError("this trace has no such diagnosis") from exc
    if not isinstance(diagnosis, dict) or not diagnosis.get("patches"):
        raise FixError("this diagnosis has no manifest patch to apply")
    return diagnosis


def _moved_journey(request: dict[str, Any], patches: list[Patch], original: Any) -> dict[str, Any]:
    """The scenario's journey, with its start moved when a patch moves the start of the Journey it replays."""
    spec = request.get("journey")
    if not isinstance(spec, dict):
        return request
    for p in patches:
        new_start = ((p.body.get("spec") or {}) if p.kind == "Journey" else {}).get("start")
        doc = original.get("Journey", p.namespace, p.name) if new_start else None
        if doc is not None and str((doc.spec or {}).get("start") or "") == spec.get("start"):
            return {"journey": {**copy.deepcopy(spec), "start": new_start}}
    return request


def apply_fix(trace: Trace, r: int, d: int, user: User | None) -> AppliedFix:
    """Derive the snapshot with the fix of diagnosis ``d`` on request ``r`` and queue the scenario on it
    (one transaction: the task is published only once the derived snapshot and the trace are stored)."""
    with transaction.atomic():
        return _apply_fix(trace, r, d, user)


def _apply_fix(trace: Trace, r: int, d: int, user: User | None) -> AppliedFix:
    if trace.snapshot.source == Snapshot.Source.IMPORT:
        raise FixError("this trace was imported from a file without its manifests; re-run it on a snapshot first")
    diagnosis = fix_of(trace, r, d)
    try:
        patches = patches_of(diagnosis)
        original = trace.snapshot.to_engine()
        derived = apply_patches(original, patches)
    except TracerError as exc:
        raise FixError(str(exc)) from exc
    source = trace.snapshot
    snapshot = Snapshot.create_from_engine(
        derived,
        workspace=source.workspace,
        name=f"{source.name} + fix {diagnosis.get('code')}",
        source=source.source,
        created_by=user,
        files=sorted({o.source.file for o in derived.objects}),
    )
    snapshot.derived_from = source
    snapshot.derivation = {
        "code": diagnosis.get("code"), "fix": diagnosis.get("fix"), "patches": diagnosis.get("patches"),
        "trace": str(trace.pk), "request": r,
    }
    snapshot.save(update_fields=["derived_from", "derivation"])
    request = _moved_journey(dict(trace.scenario.request), patches, original)
    scenario = None if request != trace.scenario.request else trace.scenario
    if scenario is None:
        scenario = Scenario.objects.create(workspace=source.workspace, request=request,
                                           options=dict(trace.scenario.options), created_by=user)
    new, published = submit_trace(snapshot=snapshot, request=request, options=scenario.options, user=user,
                                  scenario=scenario)
    Trace.objects.filter(pk=new.pk).update(before=trace)
    new.before = trace
    return AppliedFix(new, published)
