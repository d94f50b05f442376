"""Canary Ingresses as weighted backendRefs and header-matched rules.

Facts (ingress-nginx#7.1-7.3): a canary Ingress makes no location of its own; its Service becomes the alternative
of the primary Service of every location with the same host, path and pathType, and because it is attached to the
primary's upstream, every location of that Service is canaried (the first canary only). Per request: the header
(value ``always``/``never``, or an exact value, or a pattern), then the cookie (``always``/``never``), then the
weight out of canary-weight-total (100 unless larger). Gateway API (k8s-routing#G-20, G-24, G-32): weighted
backendRefs, header matches (more header matches win over the plain rule), RegularExpression header matches are
implementation-specific.
"""

from __future__ import annotations

from typing import Any

from ..dataplanes.ingress_nginx.annotations import Canary
from ..dataplanes.ingress_nginx.model import ingress_backend
from ..snapshot import K8sObject
from .drafts import Draft
from .model import Notification
from .source import NginxSource, ingress_key, paths_of

PortOf = Any  # callable (namespace, service, port) -> int | None


def _canary_backend(ing: K8sObject, entry: dict[str, Any], port_of: PortOf) -> tuple[str, str, int] | None:
    ref = ingress_backend(ing, entry.get("backend"))
    if ref is None:
        return None
    port = port_of(ref.namespace, ref.service, ref.port)
    return (ref.namespace, ref.service, port) if port is not None else None


def _ref(upstream: tuple[str, str, int], weight: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": upstream[1], "port": upstream[2]}
    if weight is not None:
        out["weight"] = weight
    return out


def _header_rules(draft: Draft, c: Canary, canary: tuple[str, str, int], obj: str, prefix: str,
                  notes: list[Notification]) -> list[Draft]:
    primary = draft.upstream
    assert primary is not None
    out = []
    where = f"canary {obj}"
    if c.by_header:
        if c.by_header_value is not None:
            out.append(draft.variant([{"name": c.by_header, "value": c.by_header_value}], [_ref(canary)], where))
        elif c.by_header_pattern is not None:
            out.append(draft.variant([{"type": "RegularExpression", "name": c.by_header, "value": c.by_header_pattern}],
                                     [_ref(canary)], where))
            notes.append(Notification("info", obj, f"{prefix}canary-by-header-pattern", "translated as a "
                                      "RegularExpression header match: ingress-nginx searched the value with PCRE, "
                                      "Gateway API leaves the dialect to the implementation", "spec",
                                      ("ingress-nginx#7.3",)))
        else:
            out.append(draft.variant([{"name": c.by_header, "value": "always"}], [_ref(canary)], where))
            if c.weight > 0:
                out.append(draft.variant([{"name": c.by_header, "value": "never"}], [_ref(primary)], where))
    if c.by_cookie:
        cookie = f"(.*;\\s*)?{c.by_cookie}=%s(;.*)?"
        out.append(draft.variant([{"type": "RegularExpression", "name": "Cookie", "value": cookie % "always"}],
                                 [_ref(canary)], where))
        if c.weight > 0:
            out.append(draft.variant([{"type": "RegularExpression", "name": "Cookie", "value": cookie % "never"}],
                                     [_ref(primary)], where))
        notes.append(Notification("info", obj, f"{prefix}canary-by-cookie", "translated as a RegularExpression match on "
                                  "the Cookie header, which Gateway API leaves to the implementation", "spec",
                                  ("ingress-nginx#7.3",)))
    return out


def apply_canaries(src: NginxSource, drafts: list[Draft], port_of: PortOf, notes: list[Notification]) -> list[Draft]:
    """The drafts with every canary applied: weights on the primary rules, header/cookie rules added after them."""
    taken: dict[tuple[str, str, int], tuple[K8sObject, Canary, tuple[str, str, int]]] = {}
    for ing in src.canaries:
        c = src.annotations(ing).canary
        assert c is not None
        obj = f"Ingress {ingress_key(ing)}"
        attached = False
        for _i, _j, host, entry in paths_of(ing):
            path = str(entry.get("path") or "/")
            kind = "Exact" if entry.get("pathType") == "Exact" else "Prefix"
            canary = _canary_backend(ing, entry, port_of)
            primaries = [d for d in drafts if d.host == host and d.path == path and d.path_type == kind
                         and d.upstream is not None and d.redirect is None and d.where.startswith("spec.")]
            for d in primaries:
                assert d.upstream is not None
                if canary is not None and canary != d.upstream and d.upstream not in taken:
                    taken[d.upstream] = (ing, c, canary)
                    attached = True
        if not attached:
            notes.append(Notification("info", obj, f"{src.annotations(ing).prefix}canary", "no primary Ingress has the "
                                      "same host, path and pathType (or its Service is already canaried): "
                                      "ingress-nginx drops this canary, and so does the translation", "translation",
                                      ("ingress-nginx#7.1",)))
    out: list[Draft] = []
    extra: list[Draft] = []
    for d in drafts:
        found = taken.get(d.upstream) if d.upstream is not None and d.redirect is None else None
        if found is None:
            out.append(d)
            continue
        ing, c, canary = found
        obj = f"Ingress {ingress_key(ing)}"
        total = c.weight_total
        weight = max(0, min(c.weight, total))
        assert d.upstream is not None
        if weight > 0:
            d.backends = [_ref(d.upstream, total - weight), _ref(canary, weight)] if weight < total else [_ref(canary)]
        out.append(d)
        extra += _header_rules(d, c, canary, obj, src.annotations(ing).prefix, notes)
        if d.ingress != ingress_key(ing) and (d.host, d.path) not in {(h, str(e.get("path") or "/"))
                                                                     for _i, _j, h, e in paths_of(ing)}:
            notes.append(Notification("info", obj, None, f"also canaries Ingress {d.ingress} path {d.path} (host "
                                      f"{d.host or 'any'}): ingress-nginx attaches a canary to the primary Service, "
                                      "so every path of that Service is split", "ingress-nginx-only",
                                      ("ingress-nginx#7.2",), d.host, d.path))
    return out + extra
