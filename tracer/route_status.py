"""The snapshot page's route status: what each non-Ingress controller reports of its own objects.

Gateway API: each Gateway's listeners (attached routes, conditions) and each HTTPRoute's conditions per
parent (Accepted, ResolvedRefs and their reasons), as a controller would write them to `status`; Istio,
Traefik: the warnings their tables raise (analyze-style: unreachable rules, missing Gateways). Built from the
cached Engine once per snapshot version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from tracer.engine.dataplanes.gateway_api.listener_status import NEGATIVE
from tracer.engine.errors import TracerError
from tracer.families import family_title
from tracer.runner import get_engine

if TYPE_CHECKING:
    from tracer.models import Snapshot

FAMILIES = ("gateway-api", "istio", "traefik", "traefik-v1")
_lock = threading.Lock()
_cache: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
CACHE_SIZE = 32


def _conditions(raw: Any) -> list[dict[str, Any]]:
    out = []
    for c in raw or []:
        if isinstance(c, dict):
            ok = str(c.get("status")) == ("False" if c.get("type") in NEGATIVE else "True")
            out.append({"type": c.get("type", ""), "ok": ok, "reason": c.get("reason", ""),
                        "message": c.get("message", ""), "text": f"{c.get('type')}: {c.get('reason') or c.get('status')}"})
    return out


def _parent(ref: Any) -> str:
    ref = ref if isinstance(ref, dict) else {}
    where = f"{ref.get('namespace') + '/' if ref.get('namespace') else ''}{ref.get('name', '')}"
    section = f" (listener {ref['sectionName']})" if ref.get("sectionName") else ""
    return f"{ref.get('kind', 'Gateway')} {where}{section}"


def _gateway_api(d: dict[str, Any]) -> dict[str, Any]:
    gateways = [{
        "name": f"{g.get('namespace')}/{g.get('name')}",
        "implementation": g.get("implementation") or g.get("controller") or "",
        "addresses": ", ".join(str(a) for a in g.get("addresses") or []),
        "listeners": [{
            "name": listener.get("name", ""), "port": listener.get("port"), "protocol": listener.get("protocol", ""),
            "hostname": listener.get("hostname") or "any host", "attached": listener.get("attachedRoutes", 0),
            "conditions": _conditions(listener.get("conditions")),
        } for listener in g.get("listeners") or []],
    } for g in d.get("gateways") or []]
    routes = []
    for r in d.get("routes") or []:
        parents: list[dict[str, Any]] = [
            {"parent": _parent(p.get("parentRef")), "conditions": _conditions(p.get("conditions"))}
            for p in r.get("parents") or []
        ]
        problems = any(not c["ok"] for p in parents for c in p["conditions"]) or bool(r.get("rejected"))
        routes.append({"name": f"{r.get('namespace')}/{r.get('name')}", "hostnames": ", ".join(r.get("hostnames") or [])
                       or "the listeners' hostnames", "parents": parents, "rejected": r.get("rejected") or "",
                       "problems": problems})
    return {"gateways": gateways, "routes": routes}


def _build(snapshot: Snapshot) -> list[dict[str, Any]]:
    try:
        described = get_engine(snapshot, {}).describe()
    except TracerError as exc:
        return [{"title": "Route status", "error": str(exc)}]
    sections = []
    for d in described:
        family = d.get("family")
        if family not in FAMILIES or not d.get("simulated"):
            continue
        section: dict[str, Any] = {"title": f"{family_title(family)}: {d['installation']}", "family": family,
                                   "warnings": [str(w) for w in d.get("warnings") or []]}
        if family == "gateway-api":
            section.update(_gateway_api(d))
        sections.append(section)
    return sections


def route_status(snapshot: Snapshot) -> list[dict[str, Any]]:
    """The sections to show (empty for a snapshot served by ingress-nginx or the portable model only)."""
    key = f"{snapshot.pk}:{snapshot.content_hash}"
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    built = _build(snapshot)
    with _lock:
        _cache[key] = built
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return built
