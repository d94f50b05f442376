"""Apply fix and re-trace, and the side-by-side comparison of two traces (before and after a fix, or any pair)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from tracer.compare import compare_traces
from tracer.fixing import FixError, apply_fix
from tracer.models import Trace

from .common import AuthedRequest, base_context, get_trace_for_user, require_write


@login_required
@require_POST
def trace_fix(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    trace = get_trace_for_user(request, trace_id)
    require_write(request, trace.workspace)
    try:
        r, d = int(request.POST.get("r", "")), int(request.POST.get("d", ""))
    except ValueError:
        messages.error(request, "Choose a diagnosis whose fix to apply.")
        return redirect(trace)
    try:
        applied = apply_fix(trace, r, d, request.user)
    except FixError as exc:
        messages.error(request, f"The fix cannot be applied: {exc}")
        return redirect(trace)
    return redirect(reverse("tracer-trace-compare", args=[applied.trace.id]))


def _other_trace(request: AuthedRequest, trace: Trace) -> Trace | None:
    """The trace to compare with: ?with=<id> (of the same workspace, else 404), or the one this trace came from."""
    other_id = request.GET.get("with")
    if not other_id:
        return trace.before
    try:
        other = Trace.objects.select_related("scenario", "snapshot").filter(
            workspace=trace.workspace, pk=UUID(other_id)).first()
    except ValueError:
        other = None
    if other is None:
        raise Http404("no such trace in this workspace")
    return other


def _context(request: AuthedRequest, left: Trace, right: Trace) -> dict[str, object]:
    comparison = compare_traces(left, right)
    fix = comparison["relation"] == "fix"
    return base_context(
        request, trace=right, before=left, derived=right.snapshot,
        derivation=(right.snapshot.derivation or {}) if fix else {}, fix=fix, comparison=comparison,
        with_id=request.GET.get("with", ""), finished=left.is_finished and right.is_finished,
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def trace_compare(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    """Two traces of a workspace side by side: ?with=<id> on the left (by default the trace this one came
    from: the trace a fix was applied to, the original of a re-run, edit or followed redirect), this one on
    the right."""
    right = get_trace_for_user(request, trace_id)
    left = _other_trace(request, right)
    if left is None:
        messages.info(request, "This trace was not made from another one, so there is nothing to compare it with.")
        return redirect(right)
    ctx = _context(request, left, right)
    if request.htmx:
        html = render(request, "tracer/trace_compare.html#comparison", ctx)
        return HttpResponseStopPolling(html.content) if ctx["finished"] else html
    return render(request, "tracer/trace_compare.html", ctx)
