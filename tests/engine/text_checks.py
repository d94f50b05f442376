"""Finds Python literals (``None``, ``True``, ``False``, ``{}``, ``[]``, ``()``) in the text of a trace people read.

A literal there means a value went through ``str()``/``repr()`` instead of being said in words: "--dport None"
where the reader needs "a nodePort the API server assigns". Used by tests/engine/test_people_text.py and the
web tests; it holds no tests itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tracer.engine import Engine, OptionError, RequestError, Snapshot

# Whole words only: "Nonexistent" or "TrueNAS" are fine. An empty container counts when it stands alone; right
# after a name it is a field path ("spec.tls[].hosts", as kubectl explain writes them), not a value.
LITERAL = re.compile(r"(?<![\w.-])(?:None|True|False)(?![\w-])|(?<![\w\]])(?:\{\s*\}|\[\s*\]|\(\s*\))")
HOP_FIELDS = ("summary", "decision")
DIAGNOSIS_FIELDS = ("message", "fix")


def literals_in(text: str) -> list[str]:
    """The Python literals in one piece of text, in order."""
    return [m.group(0) for m in LITERAL.finditer(text)]


def people_text(trace: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (where, text) a person reads in a trace-v1 dict: warnings, hop texts, diagnosis texts."""
    for i, warning in enumerate(trace.get("warnings") or []):
        yield f"warnings[{i}]", str(warning)
    for r, req in enumerate(trace.get("requests") or []):
        for h, hop in enumerate(req.get("hops") or []):
            where = f"requests[{r}].hops[{h}]({hop.get('component')})"
            for name in HOP_FIELDS:
                yield f"{where}.{name}", str(hop.get(name) or "")
            for n, miss in enumerate(hop.get("near_misses") or []):
                yield f"{where}.near_misses[{n}]", str(miss)
        for d, diagnosis in enumerate(req.get("diagnoses") or []):
            where = f"requests[{r}].diagnoses[{d}]({diagnosis.get('code')})"
            for name in DIAGNOSIS_FIELDS:
                yield f"{where}.{name}", str(diagnosis.get(name) or "")


def find_literals(trace: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(where, literal, text) for every literal in the people-facing text of a trace-v1 dict."""
    return [(where, lit, text) for where, text in people_text(trace) for lit in literals_in(text)]


def sample_requests(snapshot: Snapshot) -> list[str]:
    """``GET http(s)://<host><first path>`` for each Ingress rule (a made-up host when a rule has none)."""
    targets: list[tuple[str, str]] = []
    for obj in snapshot:
        if obj.kind != "Ingress":
            continue
        rules = (obj.body.get("spec") or {}).get("rules") or []
        for rule in rules if isinstance(rules, list) else []:
            if not isinstance(rule, dict):
                continue
            host = str(rule.get("host") or "made-up.example.com").replace("*", "any")
            paths = (rule.get("http") or {}).get("paths") or []
            first = paths[0] if isinstance(paths, list) and paths and isinstance(paths[0], dict) else {}
            path = str(first.get("path") or "/")
            targets.append((host, path if path.startswith("/") else "/" + path))
    unique = list(dict.fromkeys(targets)) or [("made-up.example.com", "/")]
    return [f"GET {scheme}://{host}{path}" for host, path in unique for scheme in ("http", "https")]


def scan(snapshot: Snapshot) -> list[tuple[str, str, str, str]]:
    """(case, where, literal, text) over the sample requests, under automatic detection and each simulated
    controller, with and without ``assume_endpoints``. Requests the engine refuses to parse (a placeholder host
    such as ``<your domain>``) and controllers it does not simulate are skipped."""
    found = []
    for controller in (None, "ingress-nginx", "ingress-spec"):
        for assume in (False, True):
            options: dict[str, Any] = {"assume_endpoints": assume}
            if controller:
                options["controller"] = controller
            try:
                engine = Engine(snapshot, **options)
            except OptionError:  # detected a controller family that is not simulated
                continue
            for request in sample_requests(snapshot):
                try:
                    trace = engine.trace(request).to_dict()
                except RequestError:
                    continue
                case = f"{request} controller={controller or 'detected'} assume_endpoints={'on' if assume else 'off'}"
                found += [(case, where, lit, text) for where, lit, text in find_literals(trace)]
    return found
