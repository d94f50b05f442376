"""Two data planes of one snapshot: the page comparing the saved requests on both, and the actions that trace one
request on another family and open the side-by-side compare page."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tracer.dataplane_compare import compare_dataplanes, default_pair, family_choices
from tracer.engine.dataplanes import FAMILIES
from tracer.models import Scenario, Snapshot, Trace
from tracer.queue import submit_trace

from .common import AuthedRequest, base_context, get_snapshot_for_user, get_trace_for_user, require_write


def _family(value: str | None) -> str:
    if not value or value not in FAMILIES:
        raise Http404(f"unknown controller family; choose one of {', '.join(sorted(FAMILIES))}")
    return value


@login_required
@require_GET
@vary_on_headers("HX-Request")
def snapshot_dataplanes(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    """The form (two families) and, once chosen, every saved request of the snapshot run on both; htmx loads the
    results section on its own, since running them takes up to a few seconds."""
    snapshot = get_snapshot_for_user(request, snapshot_id)
    a, b = default_pair(snapshot)
    chosen = "a" in request.GET or "b" in request.GET
    if chosen:
        a, b = _family(request.GET.get("a")), _family(request.GET.get("b"))
    ctx = base_context(request, snapshot=snapshot, choices=family_choices(snapshot), a=a, b=b, chosen=chosen,
                       same=a == b, comparison=None)
    if chosen and a != b and request.GET.get("run"):
        ctx["comparison"] = compare_dataplanes(snapshot, a, b)
        if request.htmx:
            return render(request, "tracer/snapshot_dataplanes.html#results", ctx)
    return render(request, "tracer/snapshot_dataplanes.html", ctx)


def _on_family(snapshot: Snapshot, scenario: Scenario, family: str, request: AuthedRequest,
               before: Trace | None = None) -> Trace:
    options = {**scenario.options, "controller": family}
    options.pop("controller_class", None)  # a class of the other family would not resolve
    new, _ = submit_trace(snapshot=snapshot, request=dict(scenario.request), options=options, user=request.user)
    if before is not None:
        Trace.objects.filter(pk=new.pk).update(before=before)
    return new


@login_required
@require_POST
def trace_on_dataplane(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    """Trace this trace's request again on another family of the same snapshot, then compare the two."""
    trace = get_trace_for_user(request, trace_id)
    require_write(request, trace.workspace)
    if trace.snapshot.source == Snapshot.Source.IMPORT:
        raise Http404("an imported trace's snapshot holds no objects to trace on")
    new = _on_family(trace.snapshot, trace.scenario, _family(request.POST.get("controller")), request, trace)
    return redirect(f"{reverse('tracer-trace-compare', args=[new.id])}?with={trace.id}")


@login_required
@require_POST
def dataplanes_trace(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    """From the data planes page: trace one saved scenario on both families and open them side by side."""
    snapshot = get_snapshot_for_user(request, snapshot_id)
    require_write(request, snapshot.workspace)
    a, b = _family(request.POST.get("a")), _family(request.POST.get("b"))
    try:
        scenario = Scenario.objects.filter(workspace=snapshot.workspace, pk=UUID(request.POST.get("scenario", ""))).first()
    except ValueError:
        scenario = None
    if scenario is None:
        raise Http404("no such scenario in this workspace")
    left = _on_family(snapshot, scenario, a, request)
    right = _on_family(snapshot, scenario, b, request, left)
    return redirect(f"{reverse('tracer-trace-compare', args=[right.id])}?with={left.id}")
