"""The snapshot page's route table: the engine's route rows for a stored snapshot (``Engine.routes()``),
computed once per snapshot and process, filtered by the query string and shown a page at a time.

Filter parameters carry an ``r`` prefix so they live beside the object list's (``kind``, ``q``, ``page``) on the
same snapshot URL: ``rq`` (text in host, path, backend or Ingress), ``rproblems=1`` (only rows with problems),
``rcontroller`` (an installation name, or ``none`` for Ingresses no installation serves) and ``rshow`` (how
many rows to show).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse

from tracer.engine.errors import TracerError
from tracer.engine.printable import printable_tree
from tracer.runner import get_engine

if TYPE_CHECKING:
    from tracer.models import Snapshot

ROWS_SHOWN = 200  # rows per step of "show more"
MAX_SHOWN = 100_000
MAX_SUGGESTIONS = 500  # URL suggestions in the scenario form's datalist
NO_CONTROLLER = "none"
ANY_HOST = "any host"
# What the certificate a host serves lacks (the TLS statuses of the data planes), in words.
TLS_PROBLEMS = {
    "missing-secret": "the Secret is not in the snapshot: the default certificate is served",
    "no-secret-name": "no secretName: the default certificate is served",
    "not-valid-for-host": "the certificate does not cover this host: the default certificate is served",
    "expired": "the certificate is not valid now",
}


@dataclass(slots=True)
class RouteList:
    """The rows of one snapshot and what the filters need, built once."""

    rows: list[dict[str, Any]]
    text: list[str]  # per row: host, path, backend and Ingress, lower-cased, for the text filter
    controllers: list[tuple[str, str]]  # (value, label) for the controller select
    suggestions: list[str]  # http(s)://host/ of every host with a rule
    error: str = ""


_lock = threading.Lock()
_lists: OrderedDict[str, RouteList] = OrderedDict()


def _build(snapshot: Snapshot) -> RouteList:
    try:
        rows = printable_tree(get_engine(snapshot, {}).routes())  # control characters shown, not sent to the page
    except TracerError as exc:  # e.g. an AppProfile the engine refuses: the page still shows everything else
        return RouteList([], [], [], [], error=str(exc))
    text = [
        " ".join(
            (r["host"] or ANY_HOST, r["path"], r["backend_text"], f"{r['ingress']['namespace']}/{r['ingress']['name']}")
        ).lower()
        for r in rows
    ]
    names = list(dict.fromkeys(r["installation"] for r in rows if r["installation"]))
    controllers = [(n, n) for n in names]
    if any(r["installation"] is None for r in rows):
        controllers.append((NO_CONTROLLER, "no controller serves it"))
    return RouteList(rows, text, controllers, _suggestions(rows))


def _suggestions(rows: list[dict[str, Any]]) -> list[str]:
    """One http(s)://host/ per host of the rules, https when the host has TLS (the scheme of its sample URL);
    named hosts first, then an example name under each wildcard."""
    found: dict[str, tuple[bool, str]] = {}
    for r in rows:
        if r["host"] is None:
            continue
        parts = urlsplit(r["sample_url"])
        found.setdefault(f"{parts.scheme}://{parts.netloc}/", (r["host"].startswith("*."), r["host"]))
    return sorted(found, key=lambda url: found[url])[:MAX_SUGGESTIONS]


def route_list(snapshot: Snapshot) -> RouteList:
    """The snapshot's routes, from a small per-process LRU keyed like the engine cache (tracer.runner)."""
    key = f"{snapshot.pk}:{snapshot.content_hash}"
    with _lock:
        found = _lists.get(key)
        if found is not None:
            _lists.move_to_end(key)
            return found
    found = _build(snapshot)
    with _lock:
        _lists[key] = found
        while len(_lists) > max(1, settings.TRACER_ENGINE_CACHE_SIZE):
            _lists.popitem(last=False)
    return found


def clear_route_cache() -> None:
    with _lock:
        _lists.clear()


@dataclass(frozen=True, slots=True)
class RouteFilter:
    text: str = ""
    problems: bool = False
    controller: str = ""
    show: int = ROWS_SHOWN

    @classmethod
    def from_query(cls, query: QueryDict) -> RouteFilter:
        raw = query.get("rshow", "")
        show = int(raw) if raw.isdigit() else ROWS_SHOWN
        return cls(
            text=query.get("rq", "").strip()[:200],
            problems=query.get("rproblems", "") in ("1", "on", "true"),
            controller=query.get("rcontroller", ""),
            show=min(max(show, ROWS_SHOWN), MAX_SHOWN),
        )

    def query(self, **changes: Any) -> str:
        """The filter as a query string (defaults left out), with ``changes`` applied."""
        f = replace(self, **changes)
        params = {"rq": f.text, "rproblems": "1" if f.problems else "", "rcontroller": f.controller}
        if f.show != ROWS_SHOWN:
            params["rshow"] = str(f.show)
        return urlencode({k: v for k, v in params.items() if v})

    @property
    def active(self) -> bool:
        return bool(self.text or self.problems or self.controller)

    def matching(self, routes: RouteList) -> list[dict[str, Any]]:
        needle = self.text.lower()
        wanted = None if not self.controller else (None if self.controller == NO_CONTROLLER else self.controller)
        out = []
        for row, text in zip(routes.rows, routes.text, strict=True):
            if self.problems and not row["problems"]:
                continue
            if self.controller and row["installation"] != wanted:
                continue
            if needle and needle not in text:
                continue
            out.append(row)
        return out


@dataclass(slots=True)
class RoutesView:
    """What the routes partial renders."""

    snapshot_url: str
    routes_url: str
    filter: RouteFilter
    total: int
    matched: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    start: int = 0  # index of the first row shown (a "show more" response starts past the rows already shown)
    controllers: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""

    @property
    def shown(self) -> int:
        return self.start + len(self.rows)

    @property
    def more(self) -> int:
        return self.matched - self.shown

    @property
    def next_step(self) -> int:
        return min(self.more, ROWS_SHOWN)

    @property
    def more_url(self) -> str:
        """Without JavaScript: the whole page with more rows."""
        return f"{self.snapshot_url}?{self.filter.query(show=self.filter.show + ROWS_SHOWN)}#routes"

    @property
    def more_hx_url(self) -> str:
        """With htmx: only the next rows, appended in place."""
        nxt = self.filter.query(show=self.filter.show + ROWS_SHOWN)
        return f"{self.routes_url}?{nxt}&rfrom={self.shown}"


def _present(row: dict[str, Any], snapshot: Snapshot, snapshot_url: str) -> dict[str, Any]:
    ing = row["ingress"]
    backend = row["backend_text"]
    tls = row["tls"]
    if tls is None:
        tls_text = "none"
    elif tls["secret"]:
        tls_text = tls["secret"]
    else:
        tls_text = "default certificate"
    object_query = urlencode(
        {"group": ing.get("group") or "", "kind": ing["kind"], "namespace": ing["namespace"] or "", "name": ing["name"]}
    )
    return {
        "controller": row["installation"] or "no controller serves it",
        "host": row["host"] or ANY_HOST,
        "any_host": row["host"] is None,
        "path": row["path"],
        "match": row["match"],
        "match_note": row["match_note"],
        "backend": f"default backend: {backend}" if row["default_backend"] else backend,
        "canary": row["canary"] or "",
        "tls": tls_text,
        "tls_problem": TLS_PROBLEMS.get((tls or {}).get("status", ""), ""),
        "ingress": f"{ing['namespace']}/{ing['name']}" if ing["namespace"] else ing["name"],
        "ingress_url": f"{reverse('tracer-snapshot-object', args=[snapshot.pk])}?{object_query}",
        "rule": row["rule"],
        "problems": row["problems"],
        "severity": _worst(row["problems"]),
        "trace_url": f"{snapshot_url}?{urlencode({'url': row['sample_url'], 'method': 'GET'})}#scenario",
        "sample_url": row["sample_url"],
    }


def _worst(problems: list[dict[str, Any]]) -> str:
    severities = {p["severity"] for p in problems}
    return next((s for s in ("error", "warning", "info") if s in severities), "")


def routes_view(snapshot: Snapshot, query: QueryDict) -> RoutesView:
    """The rows to show for the query: the first ``rshow`` matching rows, or with ``rfrom`` only those past it."""
    routes = route_list(snapshot)
    snapshot_url = snapshot.get_absolute_url()
    filt = RouteFilter.from_query(query)
    matching = filt.matching(routes)
    raw_from = query.get("rfrom", "")
    start = min(int(raw_from), filt.show) if raw_from.isdigit() else 0
    shown = matching[start : filt.show]
    return RoutesView(
        snapshot_url=snapshot_url,
        routes_url=reverse("tracer-snapshot-routes", args=[snapshot.pk]),
        filter=filt,
        total=len(routes.rows),
        matched=len(matching),
        rows=[_present(r, snapshot, snapshot_url) for r in shown],
        start=start,
        controllers=routes.controllers,
        error=routes.error,
    )


def url_suggestions(snapshot: Snapshot) -> list[str]:
    return route_list(snapshot).suggestions
