"""The snapshot page's route table on its own, for the htmx filter and "show more" (tracer.snapshot_routes)."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from tracer.snapshot_routes import routes_view

from .common import AuthedRequest, base_context, get_snapshot_for_user


@login_required
@require_GET
@vary_on_headers("HX-Request")
def snapshot_routes(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    """htmx: the filtered table (or, with ``rfrom``, only the rows past the ones shown), and the address bar set to
    the snapshot page with the same filters, so a reload or a shared link shows the same rows. Without htmx (a
    link opened on its own) the snapshot page itself, filtered."""
    snapshot = get_snapshot_for_user(request, snapshot_id)
    routes = routes_view(snapshot, request.GET)
    query = routes.filter.query()
    page_url = f"{routes.snapshot_url}?{query}#routes" if query else f"{routes.snapshot_url}#routes"
    if not request.htmx:
        return redirect(page_url)
    partial = "rows" if "rfrom" in request.GET else "table"
    response = render(request, f"tracer/_snapshot_routes.html#{partial}", base_context(request, snapshot=snapshot, routes=routes))
    return push_url(response, page_url)
