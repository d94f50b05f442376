"""Iterating on a trace: edit its scenario and trace again, follow its redirect, and trace a saved scenario on
two snapshots to compare them (from a snapshot diff). Each new trace records the one it came from
(``Trace.before``), so its page links back and the compare page knows the pair."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tracer.compare import latest_trace
from tracer.forms import ScenarioForm
from tracer.models import Scenario, Snapshot, Trace
from tracer.queue import submit_trace
from tracer.request_spec import SpecError
from tracer.scenario_prefill import asks_the_same, extras_of, follow_redirect, scenario_form, with_extras

from .common import AuthedRequest, base_context, get_snapshot_for_user, get_trace_for_user, require_write


def _targets(trace: Trace) -> QuerySet[Snapshot]:
    """Snapshots a scenario of this workspace can be traced on (an imported trace's snapshot holds no objects)."""
    return Snapshot.objects.filter(workspace=trace.workspace).exclude(source=Snapshot.Source.IMPORT)


def _chosen(trace: Trace, value: str | None) -> Snapshot | None:
    """The snapshot picked in the form (404 for one of another workspace); by default the trace's own."""
    if not value:
        return _targets(trace).filter(pk=trace.snapshot_id).first() or _targets(trace).first()
    try:
        target = _targets(trace).filter(pk=UUID(value)).first()
    except ValueError:
        target = None
    if target is None:
        raise Http404("no such snapshot in this workspace")
    return target


def _submit_after(original: Trace, snapshot: Snapshot, request: dict[str, Any], options: dict[str, Any],
                  user: Any, scenario: Scenario | None = None) -> Trace:
    new, _ = submit_trace(snapshot=snapshot, request=request, options=options, user=user, scenario=scenario)
    Trace.objects.filter(pk=new.pk).update(before=original)
    new.before = original
    return new


@login_required
@require_http_methods(["GET", "POST"])
def trace_edit(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    """The scenario form filled with the trace's request; submitting traces the edited scenario (on the same
    snapshot, or another one chosen in the form) as a new trace that links back to this one."""
    trace = get_trace_for_user(request, trace_id)
    require_write(request, trace.workspace)
    extras = extras_of(trace.scenario)
    if request.method == "GET":
        form = scenario_form(trace.scenario)
        target = _chosen(trace, None)
        return _edit_page(request, trace, form, target, keep_extras=True)
    form = ScenarioForm(request.POST)
    target = _chosen(trace, request.POST.get("snapshot"))
    keep = bool(request.POST.get("keep_extras"))
    if target is None:
        form.is_valid()
        form.add_error(None, "Upload a snapshot to trace on first: this workspace has none with objects.")
    elif form.is_valid():
        req, opts = form.request_spec(), form.options()
        try:
            if keep and extras.names:
                req, opts = with_extras(req, opts, extras)
        except SpecError as exc:
            form.add_error(None, f"a field kept from the original is refused: {exc.message}")
        else:
            same = asks_the_same(req, opts, trace.scenario)
            new = _submit_after(trace, target, req, opts, request.user, trace.scenario if same else None)
            return redirect(new)
    return _edit_page(request, trace, form, target, keep_extras=keep, status=400)


def _edit_page(request: AuthedRequest, trace: Trace, form: ScenarioForm, target: Snapshot | None, *,
               keep_extras: bool, status: int = 200) -> HttpResponse:
    ctx = base_context(
        request, trace=trace, form=form, target=target, targets=_targets(trace)[:100],
        extras=extras_of(trace.scenario).names, keep_extras=keep_extras,
    )
    return render(request, "tracer/trace_edit.html", ctx, status=status)


@login_required
@require_POST
def trace_follow(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    """Trace the request a client sends after this trace's redirect, on the same snapshot."""
    trace = get_trace_for_user(request, trace_id)
    require_write(request, trace.workspace)
    nxt = None if trace.snapshot.source == Snapshot.Source.IMPORT else follow_redirect(trace)
    if nxt is None or not nxt.request:
        why = f": {nxt.stop}" if nxt is not None and nxt.stop else ""
        messages.error(request, f"This trace ends in no redirect to follow{why}.")
        return redirect(trace)
    new = _submit_after(trace, trace.snapshot, nxt.request, dict(trace.scenario.options), request.user)
    return redirect(new)


@login_required
@require_POST
def diff_compare(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    """A saved scenario on two snapshots side by side: the latest trace of it on each, traced where missing."""
    snapshot = get_snapshot_for_user(request, snapshot_id)
    require_write(request, snapshot.workspace)
    try:
        other = Snapshot.objects.filter(workspace=snapshot.workspace, pk=UUID(request.POST.get("other", ""))).first()
        scenario = Scenario.objects.filter(workspace=snapshot.workspace, pk=UUID(request.POST.get("scenario", ""))).first()
    except ValueError:
        other = scenario = None
    if other is None or scenario is None:
        raise Http404("no such snapshot or scenario in this workspace")
    left = latest_trace(scenario, snapshot)
    if left is None:
        left, _ = submit_trace(snapshot=snapshot, request=scenario.request, options=scenario.options,
                               user=request.user, scenario=scenario)
    right = latest_trace(scenario, other) or _submit_after(left, other, scenario.request, scenario.options,
                                                           request.user, scenario)
    return redirect(f"{reverse('tracer-trace-compare', args=[right.id])}?with={left.id}")
