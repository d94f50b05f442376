"""Renaming snapshots, and deleting snapshots and traces after a page that lists what depends on them.

Deletes are POST-only (CSRF-protected); a GET shows the confirmation. Owners and members may do this; read-only
members get 403 (common.require_write), outsiders 404.
What goes with a deleted row follows the model's on_delete: a snapshot takes its objects, its traces and their
share links with it (CASCADE); copies derived from it (Snapshot.derived_from) and re-traces whose before-trace
goes (Trace.before) stay, only losing that link (SET_NULL).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tracer.models import Scenario, ShareLink, Snapshot, Trace
from tracer.names import NameField

from .common import AuthedRequest, base_context, get_snapshot_for_user, get_trace_for_user, require_write

LISTED = 20  # dependants listed by name on a confirmation page; the rest are counted


class RenameForm(forms.Form):
    name = NameField(
        max_length=200, widget=forms.TextInput(attrs={"data-testid": "rename-name", "autofocus": True})
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the snapshot a name.")
        return name


class TraceNameForm(forms.Form):
    """A trace's name is optional: clearing it shows the trace by its request again."""

    name = NameField(
        max_length=200, required=False,
        widget=forms.TextInput(attrs={"data-testid": "rename-name", "autofocus": True}),
    )


def _drop_unused_scenarios(ids: set[UUID]) -> None:
    """A scenario exists for its traces; once the last one is deleted nothing shows it any more."""
    Scenario.objects.filter(pk__in=ids, traces__isnull=True).delete()


@login_required
@require_http_methods(["GET", "POST"])
def snapshot_rename(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    require_write(request, snapshot.workspace)
    form = RenameForm(request.POST or None, initial={"name": snapshot.name})
    if request.method == "POST" and form.is_valid():
        old = snapshot.name
        Snapshot.objects.filter(pk=snapshot.pk).update(name=form.cleaned_data["name"])
        messages.success(request, f"Snapshot “{old}” renamed to “{form.cleaned_data['name']}”.")
        return redirect(snapshot)
    return render(
        request,
        "tracer/snapshot_rename.html",
        base_context(request, snapshot=snapshot, form=form),
        status=400 if form.errors else 200,
    )


def snapshot_dependants(snapshot: Snapshot) -> dict[str, Any]:
    traces = Trace.objects.filter(snapshot=snapshot).select_related("scenario")
    return {
        "traces": traces[:LISTED],
        "trace_count": traces.count(),
        "link_count": ShareLink.objects.filter(trace__snapshot=snapshot, revoked_at__isnull=True).count(),
        "copies": list(snapshot.derived.all()[:LISTED]),
        "copy_count": snapshot.derived.count(),
        # Re-traces on other snapshots (after a fix) whose "before" is one of this snapshot's traces.
        "after_count": Trace.objects.filter(before__snapshot=snapshot).exclude(snapshot=snapshot).count(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def snapshot_delete(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    require_write(request, snapshot.workspace)
    if request.method == "POST":
        with transaction.atomic():
            scenarios = set(Trace.objects.filter(snapshot=snapshot).values_list("scenario_id", flat=True))
            snapshot.delete()
            _drop_unused_scenarios(scenarios)
        messages.success(request, f"Snapshot “{snapshot.name}” deleted, with its traces and their share links.")
        return redirect("tracer-snapshots")
    ctx = base_context(request, snapshot=snapshot, **snapshot_dependants(snapshot))
    return render(request, "tracer/snapshot_delete.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def trace_delete(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    trace = get_trace_for_user(request, trace_id)
    require_write(request, trace.workspace)
    if request.method == "POST":
        with transaction.atomic():
            trace.delete()
            _drop_unused_scenarios({trace.scenario_id})
        messages.success(request, f"Trace “{trace.scenario.label}” deleted, with its share links.")
        return redirect("tracer-traces")
    ctx = base_context(
        request,
        trace=trace,
        links=list(trace.share_links.filter(revoked_at__isnull=True)),
        afters=list(trace.after.select_related("snapshot", "scenario")[:LISTED]),
        after_count=trace.after.count(),
    )
    return render(request, "tracer/trace_delete.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def trace_rename(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    trace = get_trace_for_user(request, trace_id)
    require_write(request, trace.workspace)
    form = TraceNameForm(request.POST or None, initial={"name": trace.name})
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"].strip()
        Trace.objects.filter(pk=trace.pk).update(name=name)
        messages.success(request, f"Trace named “{name}”." if name else "The trace is shown by its request again.")
        return redirect(trace)
    return render(request, "tracer/trace_rename.html", base_context(request, trace=trace, form=form),
                  status=400 if form.errors else 200)
