"""Label selectors written as text, as Traefik's ``labelSelector`` options take them (``app=traefik,env!=dev``).

The syntax is Kubernetes' (k8s.io/apimachinery ``labels.Parse``): comma-separated requirements ``k=v``, ``k==v``,
``k!=v``, ``k``, ``!k``, ``k in (a,b)``, ``k notin (a,b)``; every requirement must hold. Traefik filters the
Ingresses (v1.7, traefik#T35) or the objects (v2/v3, traefik#T1) it reads by their own labels with it.
"""

from __future__ import annotations

import re

_SET = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _requirements(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def selector_matches_text(text: str, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy the selector; an empty selector selects everything, a malformed one nothing."""
    for req in _requirements(text):
        m = _SET.match(req)
        if m is not None:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            ok = key in labels and labels[key] in values if op == "in" else labels.get(key) not in values
        elif "!=" in req:
            key, _, value = req.partition("!=")
            ok = labels.get(key.strip()) != value.strip()
        elif "=" in req:
            key, _, value = req.replace("==", "=").partition("=")
            ok = labels.get(key.strip()) == value.strip()
        elif req.startswith("!"):
            ok = req[1:].strip() not in labels
        elif re.fullmatch(r"[A-Za-z0-9_./-]+", req):
            ok = req in labels
        else:
            return False
        if not ok:
            return False
    return True


__all__ = ["selector_matches_text"]
