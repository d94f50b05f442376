"""Rendered parts of finished trace pages, kept in Django's cache (issue 11: a finished trace never changes).

What is cached is the heavy, shared part only: the result partial (diagrams, hop list, diagnoses, the Markdown)
and the hop panel partials. The page shell (header with the user name and workspace, share links, re-run and
share forms, the iterate section, which lists later traces) renders on every request, after the permission
check, which the views do before they ask this module for anything.

Inside the cached result a few things are per request, and none of them is stored as such:

- the CSRF token of the "apply fix" forms is rendered as a slot and replaced by the requesting user's own token;
- the absolute URL in the Markdown is rendered with a slot for the origin, filled from the request;
- write controls differ between people who may write and read-only members: separate entries (the *variant*);
- a share page links through its token: one entry per link (whose revocation the view checks first).

The slots are HMACs of SECRET_KEY, so a trace's content cannot contain one on purpose. Keys hold the trace's
id, finished_at and attempts (which change together with its result), a hash of its name (a rename gives a new
key) and a salt of the templates and presenter sources plus TRACER_PAGE_CACHE_VERSION, so a deploy that changes
how pages look starts afresh. Only DONE traces are cached; a cache outage renders without it.
https://docs.djangoproject.com/en/6.1/topics/cache/#the-low-level-cache-api
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe

from tracer.models import Trace

log = logging.getLogger(__name__)

RESULT_TEMPLATE = "tracer/_trace_result.html"


def enabled() -> bool:
    return bool(settings.TRACER_PAGE_CACHE)


def _store() -> BaseCache:
    return caches[settings.TRACER_PAGE_CACHE_ALIAS]


@functools.cache
def _slot(purpose: str) -> str:
    """A stable, unguessable placeholder (letters and digits only, so no escaping changes it)."""
    return "slot" + salted_hmac("tracer.page_cache." + purpose, "slot", algorithm="sha256").hexdigest()[:32]


@functools.cache
def _sources_hash() -> str:
    """A hash of what decides how a stored result looks: the templates and the Django app's modules (presenters,
    diagram, template tags). Read once per process: a deploy restarts the processes."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    sources = [*(base / "templates").rglob("*"), *(base / "tracer").glob("*.py"), *(base / "tracer").glob("*/*.py")]
    for path in sorted(p for p in sources if p.is_file() and "engine" not in p.parts and "migrations" not in p.parts):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def code_salt() -> str:
    """The deploy salt: the sources' hash and TRACER_PAGE_CACHE_VERSION (to drop every stored page by hand)."""
    return f"{_sources_hash()}.{settings.TRACER_PAGE_CACHE_VERSION}"


def cacheable(trace: Trace) -> bool:
    return enabled() and trace.state == Trace.State.DONE and trace.finished_at is not None


def _key(kind: str, trace: Trace, variant: str) -> str:
    assert trace.finished_at is not None
    # The name and the variant hashed: a share link's token is a secret and has no business in a key listing.
    name, variant = (hashlib.sha256(v.encode()).hexdigest()[:24] for v in (trace.name, variant))
    return f"{kind}:{code_salt()}:{trace.id}:{trace.finished_at.timestamp():.6f}:{trace.attempts}:{name}:{variant}"


def _get(key: str) -> str | None:
    try:
        value = _store().get(key)
    except Exception:  # a cache outage (Redis down) must not take the trace page with it
        log.warning("page cache unreachable; rendering without it", exc_info=True)
        return None
    return value if isinstance(value, str) else None


def _set(key: str, value: str) -> None:
    if len(value.encode()) > settings.TRACER_PAGE_CACHE_MAX_BYTES:  # a huge trace: not worth a cache slot per variant
        return
    try:
        _store().set(key, value, settings.TRACER_PAGE_CACHE_SECONDS)
    except Exception:
        log.warning("page cache unreachable; not storing a rendered page", exc_info=True)


def origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def result_html(
    request: HttpRequest,
    trace: Trace,
    variant: str,
    page_path: str,
    context: Callable[[str], dict[str, Any]],
    *,
    cache: bool = True,
    keep_csrf_slot: bool = False,
) -> SafeString:
    """The result partial of ``trace`` for ``request``. ``context(title_url)`` builds its template context (the
    trace presenter's work, skipped on a hit); ``page_path`` is the page the Markdown links to; ``variant`` names
    everything else the partial depends on (who may write, the share link); ``cache=False`` renders afresh."""
    if not (cache and cacheable(trace)):
        return mark_safe(render_to_string(RESULT_TEMPLATE, context(request.build_absolute_uri(page_path)), request))
    key = _key("trace-result", trace, variant)
    body = _get(key)
    if body is None:
        ctx = {**context(_slot("origin") + page_path), "csrf_token": _slot("csrf")}
        body = render_to_string(RESULT_TEMPLATE, ctx, request)
        _set(key, body)
    body = body.replace(_slot("origin"), origin(request))
    if _slot("csrf") in body and not keep_csrf_slot:  # kept when the whole page is stored (store_page fills it)
        body = body.replace(_slot("csrf"), get_token(request))
    return mark_safe(body)  # escaped by the template engine; the slots get a CSRF token and a validated host


def hop_html(trace: Trace, variant: str, render: Callable[[], str | None]) -> str | None:
    """A hop panel partial (no forms, nothing per user); ``variant`` names the page and the hop (own:R.I,
    share:R.I). None when the hop does not exist."""
    if not cacheable(trace):
        return render()
    key = _key("trace-hop", trace, variant)
    html = _get(key)
    if html is None:
        html = render()
        if html is not None:
            _set(key, html)
    return html


# -- whole pages -----------------------------------------------------------------------------------------
#
# The trace page's shell lists things that change without the trace changing (share links, later traces, the
# workspace's snapshots, the user's role). They all change through a write request of the web app or a
# snapshot pulled by the worker, and every one of those bumps one generation counter
# (PageGenerationMiddleware, tracer.kube.tasks): a whole page is cached per trace, user and generation, and for
# at most TRACER_PAGE_CACHE_PAGE_SECONDS, since it says how long ago the trace was queued.

GENERATION_KEY = "page-generation"


def generation() -> int | None:
    """The current generation (0 before the first write), or None when the cache cannot be read."""
    try:
        value = _store().get(GENERATION_KEY, 0)
    except Exception:
        log.warning("page cache unreachable; rendering without it", exc_info=True)
        return None
    return int(value) if isinstance(value, int) else 0


def bump_generation() -> None:
    """Something a cached page shows may have changed: every whole page cached so far is stale."""
    try:
        store = _store()
        if not store.add(GENERATION_KEY, 1, None):
            store.incr(GENERATION_KEY)
    except Exception:
        log.warning("page cache unreachable; could not mark cached pages stale", exc_info=True)


def _page_key(request: HttpRequest, trace: Trace, gen: int) -> str:
    user = getattr(request, "user", None)
    return _key("trace-page", trace, f"{getattr(user, 'pk', '')}:{gen}:{origin(request)}")


def whole_pages() -> bool:
    return enabled() and bool(settings.TRACER_PAGE_CACHE_WHOLE)


def _whole_page_wanted(request: HttpRequest, trace: Trace) -> bool:
    """Only the plain page of a finished trace: no query (a selected hop), no htmx swap, no message to show."""
    if not whole_pages() or request.GET or getattr(request, "htmx", False) or not cacheable(trace):
        return False
    storage = getattr(request, "_messages", None)
    return storage is None or len(storage) == 0  # len() reads the messages without marking them shown


def cached_page(request: HttpRequest, trace: Trace) -> str | None:
    """The stored whole page for this request, with its CSRF token, or None (then render and :func:`store_page`)."""
    if not _whole_page_wanted(request, trace):
        return None
    gen = generation()
    if gen is None:
        return None
    html = _get(_page_key(request, trace, gen))
    if html is None:
        return None
    try:
        _remember_for_session(request, trace, gen, html)
    except Exception:
        log.warning("page cache unreachable; not storing a rendered page", exc_info=True)
    return html.replace(_slot("csrf"), get_token(request)) if _slot("csrf") in html else html


def page_context(request: HttpRequest, trace: Trace) -> dict[str, Any]:
    """Context entries that make a page storable: its CSRF token rendered as a slot."""
    return {"csrf_token": _slot("csrf")} if _whole_page_wanted(request, trace) else {}


def store_page(request: HttpRequest, trace: Trace, html: str) -> str:
    """Keep ``html`` (rendered with :func:`page_context`) for later requests; returns it ready to send."""
    if not _whole_page_wanted(request, trace) or (_slot("csrf") not in html and "csrfmiddlewaretoken" in html):
        return html
    gen = generation()
    if gen is not None and len(html.encode()) <= settings.TRACER_PAGE_CACHE_MAX_BYTES:
        try:
            _store().set(_page_key(request, trace, gen), html, settings.TRACER_PAGE_CACHE_PAGE_SECONDS)
            _remember_for_session(request, trace, gen, html)
        except Exception:
            log.warning("page cache unreachable; not storing a rendered page", exc_info=True)
    return html.replace(_slot("csrf"), get_token(request)) if _slot("csrf") in html else html


# -- whole pages by session ----------------------------------------------------------------------------------
#
# A second key for the same whole page: the browser's session and the trace, so a repeat view is answered before
# the session and the user are even loaded. Whatever could make the page wrong for that session (logging out,
# a password change, a role or membership change, a rename, a re-run, a deletion) is a write request, which
# bumps the generation; the session key itself is a secret and only its hash is part of the key.


def _session_key(request: HttpRequest, trace_id: Any, gen: int) -> str | None:
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session:
        return None
    digest = hashlib.sha256(f"{session}:{trace_id}".encode()).hexdigest()[:32]
    return f"trace-session-page:{code_salt()}:{digest}:{gen}:{origin(request)}"


def session_page(request: HttpRequest, trace_id: Any) -> str | None:
    """The whole page this browser session was last given for the trace, if nothing was written since."""
    if (not whole_pages() or request.method != "GET" or request.GET or request.headers.get("HX-Request")
            or request.COOKIES.get("messages")):
        return None
    gen = generation()
    key = _session_key(request, trace_id, gen) if gen is not None else None
    html = _get(key) if key is not None else None
    if html is None:
        return None
    return html.replace(_slot("csrf"), get_token(request)) if _slot("csrf") in html else html


def _remember_for_session(request: HttpRequest, trace: Trace, gen: int, html: str) -> None:
    key = _session_key(request, trace.pk, gen)
    if key is not None:
        _store().set(key, html, settings.TRACER_PAGE_CACHE_PAGE_SECONDS)
