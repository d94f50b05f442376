"""Gateway API hostname semantics (docs/rules/k8s-routing.md G-7, G-13, G-17, G-23).

Pure functions over lower-case names. A wildcard ``*.example.com`` covers one *or more* labels in
front of ``example.com`` (unlike the Ingress wildcard, which covers exactly one) and never the apex.
"""

from __future__ import annotations

ANY = ""  # "any host": a listener without hostname, or a route without hostnames on such a listener


def normalise(name: object) -> str:
    return str(name or "").strip().rstrip(".").lower()


def matches(pattern: str, host: str) -> bool:
    """Whether a listener or route hostname covers a request host (G-13): equal, or a wildcard suffix."""
    if not pattern:
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


def intersect(listener: str | None, route: list[str]) -> list[str]:
    """The route's effective hostnames on a listener (G-13); ``[ANY]`` when both leave the host open,
    ``[]`` when they share no name."""
    if not listener:
        return list(route) if route else [ANY]
    if not route:
        return [listener]
    out: list[str] = []
    for name in route:
        if matches(listener, name):
            out.append(name)  # the listener covers it: kept as written
        elif name.startswith("*.") and matches(name, listener):
            out.append(listener)  # a wider route wildcard narrows to the listener's own name
    return list(dict.fromkeys(out))


def specificity(name: str) -> tuple[int, int]:
    """Sort key, larger is more specific (G-7, G-23): characters of a non-wildcard name, then all characters.
    "Any" ranks below every name."""
    if not name:
        return (-1, -1)
    if name.startswith("*."):
        return (0, len(name))
    return (len(name), len(name))


def wildcard_suffixes(host: str) -> list[str]:
    """The wildcard patterns that cover ``host``, most specific first: ``a.b.c`` -> ``*.b.c``, ``*.c``."""
    out = []
    rest = host
    while "." in rest:
        rest = rest.split(".", 1)[1]
        if rest:
            out.append("*." + rest)
    return out


def best_listener_name(names: list[str | None], host: str) -> int | None:
    """Index of the most specific listener hostname covering ``host`` (exact, then the longest wildcard, then none)."""
    best: tuple[tuple[int, int], int] | None = None
    for i, name in enumerate(names):
        if matches(name or "", host):
            key = specificity(name or "")
            if best is None or key > best[0]:
                best = (key, i)
    return best[1] if best else None
