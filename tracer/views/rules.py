"""The rule catalog pages: /rules/ (families and diagnosis codes) and /rules/<family>/.

Public documentation with no data in it: no login needed, so links from a public share link work.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from tracer.engine.catalog import DIAGNOSES, RULE_FAMILIES, load_rules
from tracer.rule_pages import PAGES, diagnosis_ref, page_url, render_page

from .common import AuthedRequest, base_context


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    if request.user.is_authenticated:
        return base_context(cast(AuthedRequest, request), **extra)  # the navigation of a signed-in user
    return extra


@require_GET
def rules_index(request: HttpRequest) -> HttpResponse:
    families = [
        {"slug": slug, "title": title, "url": page_url(slug), "count": len(load_rules(slug))}
        for slug, title in RULE_FAMILIES.items()
    ]
    codes = [{"kind": kind, "ref": diagnosis_ref(code)} for code, kind in sorted(DIAGNOSES.items())]
    ctx = _context(request, families=families, codes=codes, diagnoses_url=page_url("diagnoses"))
    return render(request, "tracer/rules_index.html", ctx)


@require_GET
def rules_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = render_page(slug)
    if page is None:
        raise Http404("no such rule family")
    others = [{"slug": s, "title": t, "url": page_url(s)} for s, t in PAGES.items() if s != slug]
    # The HTML comes from tracer.rule_pages, which escapes raw HTML and drops unsafe link targets.
    ctx = _context(request, page=page, body=mark_safe(page.html), others=others)
    return render(request, "tracer/rules_page.html", ctx)
