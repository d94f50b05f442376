"""Verification of a translation: the same requests traced on the original snapshot through ingress-nginx (A) and on
the translated snapshot through Gateway API (B), compared request by request (tracer.engine.comparison) and each
difference classed (classify.py). The requests: the snapshot's Journey documents, the caller's requests, and
probes generated from the routes (probes.py). The result is the ``tracer/translation-v1`` JSON."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..api import Engine
from ..comparison import compare_traces, render_comparison
from ..errors import RequestError
from ..request import parse_request
from .classify import CLASSES, classify
from .model import Translation
from .probes import Probe, probes_from_routes

SCHEMA = "tracer/translation-v1"
Json = dict[str, Any]


@dataclass(slots=True)
class Verification:
    translation: Translation
    rows: list[Json] = field(default_factory=list)

    def summary(self) -> Json:
        changed = [r for r in self.rows if r["changed"]]
        classes = Counter(str(r["class"]) for r in changed)
        at_risk = sum(1 for r in self.rows if not r["changed"] and r["class"] is not None)
        return {"requests": len(self.rows), "changed": len(changed),
                "by_class": {c: classes[c] for c in CLASSES if classes[c]},
                "unchanged_with_unsupported_features": at_risk,
                "notes": {"warning": sum(1 for n in self.translation.notes if n.level == "warning"),
                          "info": sum(1 for n in self.translation.notes if n.level == "info")}}

    def to_dict(self) -> Json:
        t = self.translation
        return {"schema": SCHEMA, "implementation": t.implementation, "objects": t.objects,
                "notes": [n.to_dict() for n in t.notes], "origins": [o.to_dict() for o in t.origins],
                "requests": self.rows, "summary": self.summary()}

    def render(self) -> str:
        """Plain text: one line per request (tracer.engine.comparison), then why each changed request changed."""
        t = self.translation
        target = t.implementation or "the Gateway API specification (no implementation named)"
        text = render_comparison(self.rows, "ingress-nginx (the snapshot as it is)", f"Gateway API translation on {target}")
        lines = [text.rstrip("\n"), ""]
        classed = [r for r in self.rows if r["class"] is not None]
        if classed:
            lines.append("Why:")
            for r in classed:
                state = "changed" if r["changed"] else "same outcome"
                lines.append(f"{r['index']:>3}  {r['class']} ({state}): {r['reason']}")
        s = self.summary()
        by_class = ", ".join(f"{n} {c}" for c, n in s["by_class"].items()) or "none"
        lines += ["", f"{s['changed']} of {s['requests']} request(s) change outcome; by class: {by_class}."]
        return "\n".join(lines) + "\n"


def _b_options(t: Translation, engine_count: int) -> dict[str, Any]:
    options: dict[str, Any] = {"controller": "gateway-api"}
    if engine_count > 1 and t.gateway_controllers:
        options["controller_class"] = t.gateway_controllers[0]
    return options


def verify(manifests: Any, t: Translation, *, requests: list[Any] | None = None, probes: bool = True) -> Verification:
    """Trace both sides and compare; ``manifests`` is used only when the translation has no original snapshot."""
    original = t.original if t.original is not None else manifests
    assert t.snapshot is not None
    a_engine = Engine(original, controller="ingress-nginx")
    b_engine = Engine(t.snapshot, controller="gateway-api")
    if len(b_engine.installations) > 1:
        b_engine = Engine(t.snapshot, **_b_options(t, len(b_engine.installations)))
    asked = [parse_request(r) for r in requests or []]
    found: list[Probe] = probes_from_routes(a_engine.routes()) if probes else []
    labels = ["request"] * len(asked) + [p.label for p in found]
    wanted = [*asked, *(parse_request(p.request()) for p in found)]
    a_side = [a_engine.route(r).to_dict() for r in wanted]
    b_side = [b_engine.route(r).to_dict() for r in wanted]
    rows: list[Json] = []
    if a_engine.snapshot.of_kind("Journey"):
        try:
            a_j = a_engine.journeys().to_dict()["requests"]
            b_j = b_engine.journeys().to_dict()["requests"]
        except RequestError:
            a_j = b_j = []
        rows += _rows(_compare(a_j, b_j), a_j, b_j, t, "journey step")
    rows += _rows(_compare(a_side, b_side), a_side, b_side, t, labels)
    for i, row in enumerate(rows):
        row["index"] = i + 1
    return Verification(t, rows)


def _from_controller(r: Json) -> Json:
    """The request with its hops from the controller on: the entry in front (DNS, load balancer, kube-proxy) differs
    by construction, since the Gateway's own Service does not exist before the move; its address is kept."""
    hops = r.get("hops") or []
    first = next((i for i, h in enumerate(hops) if h.get("component") == "controller"), 0)
    return {**r, "hops": hops[first:]}


def _compare(a: list[Json], b: list[Json]) -> list[Json]:
    return compare_traces({"requests": [_from_controller(r) for r in a]}, {"requests": [_from_controller(r) for r in b]})


def _rows(compared: list[Json], a: list[Json], b: list[Json], t: Translation, labels: list[str] | str) -> list[Json]:
    out = []
    for k, row in enumerate(compared):
        x = a[k] if k < len(a) else None
        y = b[k] if k < len(b) else None
        kind, reason = classify(row, x, y, t)
        out.append({**row, "probe": labels if isinstance(labels, str) else labels[k], "class": kind, "reason": reason,
                    "a_route": (x or {}).get("route"), "b_route": (y or {}).get("route")})
    return out
