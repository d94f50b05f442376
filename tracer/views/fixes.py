"""Apply fix and re-trace, and the before/after comparison page."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from tracer.compare import compare
from tracer.fixing import FixError, apply_fix
from tracer.models import Trace

from .common import AuthedRequest, base_context, get_trace_for_user


@login_required
@require_POST
def trace_fix(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    trace = get_trace_for_user(request, trace_id)
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


def _context(request: AuthedRequest, after: Trace) -> dict[str, object]:
    before = after.before
    return base_context(
        request, trace=after, before=before, derived=after.snapshot,
        derivation=after.snapshot.derivation or {},
        comparison=compare(before.result if before else None, after.result if after.is_finished else None),
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def trace_compare(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    """Before (the trace the fix was applied to) and after (this trace), side by side."""
    after = get_trace_for_user(request, trace_id)
    if after.before is None:
        messages.info(request, "This trace is not a re-trace after a fix, so there is nothing to compare it with.")
        return redirect(after)
    ctx = _context(request, after)
    if request.htmx:
        html = render(request, "tracer/trace_compare.html#comparison", ctx)
        return HttpResponseStopPolling(html.content) if after.is_finished else html
    return render(request, "tracer/trace_compare.html", ctx)
