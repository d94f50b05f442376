"""The same scenario traced twice (two snapshots, or two data planes of one snapshot), request by request.

For each request: whether its outcome changed (status, error, or the browser's refusal of an asset), and the
first hop that differs (component, name, status, outcome), so a migration check ("will my requests still work
on Gateway API?") says where the paths part. Requests are aligned by position (a journey's step order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import OptionError
from .http_status import status_text
from .printable import printable

Json = dict[str, Any]
HOP_KEYS = ("component", "name", "outcome", "verdict")
_KEYED = re.compile(r"^([a-z][a-z-]*)=(.*)$")


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: ``current`` (the main snapshot with the options as given), ``controller`` (the
    main snapshot through the data plane ``value``) or ``snapshot`` (the snapshot at path ``value``)."""

    kind: str
    value: str = ""


def parse_side(spec: str) -> Side:
    """``controller=NAME``, ``snapshot=PATH``, or a bare PATH (the older form: a second snapshot)."""
    m = _KEYED.match(spec)
    if m is None:
        if not spec:
            raise OptionError("--compare: an empty value; give controller=NAME, snapshot=PATH or a path")
        return Side("snapshot", spec)
    key, value = m.groups()
    if key not in ("controller", "snapshot"):
        raise OptionError(f"--compare {spec!r}: {key}= is not known; give controller=NAME, snapshot=PATH or a path")
    if not value:
        raise OptionError(f"--compare {spec!r}: {key}= needs a value")
    return Side(key, value)


def parse_sides(specs: list[str]) -> tuple[Side, Side]:
    """One value: A is the main snapshot as traced without --compare, B the value. Two values: A and B."""
    if not 1 <= len(specs) <= 2:
        raise OptionError(f"--compare takes one or two values (A and B), not {len(specs)}")
    sides = [parse_side(s) for s in specs]
    return (Side("current"), sides[0]) if len(sides) == 1 else (sides[0], sides[1])


def _outcome(r: Json | None) -> tuple[Any, ...] | None:
    return None if r is None else (r.get("status"), r.get("error"), r.get("blocked"))


def _words(r: Json | None) -> str:
    if r is None:
        return "not sent"
    text = status_text(r.get("status"), r.get("error"))
    return f"{text} (blocked: {r['blocked']})" if r.get("blocked") else text


def first_hop_difference(a: Json | None, b: Json | None) -> Json | None:
    """The first hop position where the two requests' hops differ, with both sides (None when identical)."""
    ha, hb = (a or {}).get("hops") or [], (b or {}).get("hops") or []
    for i in range(max(len(ha), len(hb))):
        x = ha[i] if i < len(ha) else None
        y = hb[i] if i < len(hb) else None
        if x is None or y is None or _key(x) != _key(y):
            return {"index": i, "a": _hop(x), "b": _hop(y)}
    return None


# Hops named after the data plane itself: on two families their names differ by definition, so only what they
# do (outcome, verdict, status) tells them apart.
FAMILY_NAMED = frozenset({"load-balancer", "controller"})


def _key(h: Json) -> tuple[Any, ...]:
    # A forwarding hop only passes back the status it got; it differs where the hop that decided differs.
    status = None if h.get("verdict") == "forwarded" else h.get("status")
    keys = (k for k in HOP_KEYS if not (k == "name" and h.get("component") in FAMILY_NAMED))
    return (*(h.get(k) for k in keys), status)


def same_hop(x: Json | None, y: Json | None) -> bool:
    """Whether two hops at one position do the same: component, name, outcome, verdict and deciding status."""
    return x is not None and y is not None and _key(x) == _key(y)


def _hop(h: Json | None) -> Json | None:
    if h is None:
        return None
    return {"component": h.get("component"), "name": h.get("name"), "status": h.get("status"),
            "outcome": h.get("outcome"), "summary": h.get("summary")}


def compare_traces(a: Json, b: Json) -> list[Json]:
    """One row per request position: both requests, their outcomes in words, changed, the first differing hop."""
    ra, rb = a.get("requests") or [], b.get("requests") or []
    rows = []
    for i in range(max(len(ra), len(rb))):
        x = ra[i] if i < len(ra) else None
        y = rb[i] if i < len(rb) else None
        request = (x or y or {}).get("request") or {}
        rows.append({
            "index": i + 1,
            "request": f"{request.get('method', 'GET')} {request.get('url', '')}",
            "a": _words(x), "b": _words(y),
            "changed": _outcome(x) != _outcome(y),
            "first_hop_difference": first_hop_difference(x, y),
        })
    return rows


def render_comparison(rows: list[Json], label_a: str, label_b: str) -> str:
    """Plain text: one line per request, then where the first changed request's paths part."""
    changed = [r for r in rows if r["changed"]]
    lines = [f"A: {label_a}", f"B: {label_b}", ""]
    for r in rows:
        mark = "CHANGED" if r["changed"] else "same   "
        lines.append(f"{r['index']:>3}  {mark}  {r['request']}  A: {r['a']}  B: {r['b']}")
        diff = r["first_hop_difference"]
        if diff is not None and (r["changed"] or diff):
            x, y = diff["a"], diff["b"]
            side_a = f"{x['component']} {x['name']} ({_hop_words(x)})" if x else "no hop"
            side_b = f"{y['component']} {y['name']} ({_hop_words(y)})" if y else "no hop"
            lines.append(f"       first different hop #{diff['index'] + 1}: A {side_a}; B {side_b}")
    lines += ["", f"{len(changed)} of {len(rows)} request(s) change outcome." if changed else
              f"No request changes outcome ({len(rows)} compared)."]
    return printable("\n".join(lines)) + "\n"  # hop names and URLs come from manifests


def _hop_words(h: Json) -> str:
    status = h.get("status")
    return f"{status} {h.get('outcome')}" if status is not None else str(h.get("outcome"))
