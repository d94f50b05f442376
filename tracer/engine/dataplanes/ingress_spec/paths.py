"""Ingress path and host semantics (docs/rules/k8s-routing.md I-6, I-7, I-10..I-17).

Pure functions over strings, shared by the compiled index and the property tests.
"""

from __future__ import annotations

import ipaddress

PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")


def prefix_key(path: str) -> str:
    """The Prefix path with a trailing ``/`` ignored; ``/`` stays ``/`` (I-15)."""
    stripped = path.rstrip("/")
    return stripped or "/"


def prefix_matches(rule_path: str, request_path: str) -> bool:
    """Element-wise prefix match (I-15): ``/foo`` matches ``/foo`` and ``/foo/bar``, not ``/foobar``."""
    p = prefix_key(rule_path)
    return p == "/" or request_path == p or request_path.startswith(p + "/")


def exact_matches(rule_path: str, request_path: str) -> bool:
    """Exact match, case-sensitive, trailing slash significant (I-14)."""
    return rule_path == request_path


def request_prefix_keys(request_path: str) -> list[str]:
    """Every prefix_key that matches ``request_path`` element-wise: ``/``, ``/a``, ``/a/b``..."""
    keys = ["/"]
    for i in range(1, len(request_path)):
        if request_path[i] == "/" and request_path[i - 1] != "/":
            keys.append(request_path[:i])
    if len(request_path) > 1 and not request_path.endswith("/"):
        keys.append(request_path)
    return keys


def path_priority(path: str, path_type: str) -> tuple[int, int]:
    """Sort key (smaller wins): longest path as written, then Exact before Prefix (I-17)."""
    return (-len(path), 0 if path_type == "Exact" else 1)


def host_matches(rule_host: str | None, host: str) -> bool:
    """Ingress host semantics: exact, or ``*.foo.com`` covering exactly one extra label (I-10..I-12)."""
    if not rule_host:
        return True
    if rule_host.startswith("*."):
        head, dot, parent = host.partition(".")
        return bool(head) and bool(dot) and parent == rule_host[2:]
    return rule_host == host


def invalid_path(path: str) -> str | None:
    """Why an Exact or Prefix path fails API validation (I-6), or None when it is valid."""
    if not path.startswith("/"):
        return "must start with /"
    for bad in ("//", "/./", "/../", "%2f", "%2F"):
        if bad in path:
            return f"must not contain {bad}"
    if path.endswith("/..") or path.endswith("/."):
        return "must not end in /.. or /."
    return None


def invalid_host(host: str) -> str | None:
    """Why a rule host fails API validation (I-7): a DNS name, not an IP; a wildcard only as the whole
    first label. None when it is valid."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return "must be a DNS name, not an IP address"
    if host == "*":
        return "* alone is not allowed"
    if "*" in host and (not host.startswith("*.") or "*" in host[2:]):
        return "a wildcard is allowed only as the whole first label (*.example.com)"
    return None
