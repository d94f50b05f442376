"""HTTPRoute filters as arithmetic on the request and response (k8s-routing#G-36..G-40).

Header names compare case-insensitively; ``set`` replaces, ``add`` appends with a comma, ``remove`` deletes.
A redirect's Location and a rewrite's path follow the API's rules for scheme, hostname, port and
``ReplaceFullPath`` / ``ReplacePrefixMatch``.
"""

from __future__ import annotations

from typing import Any

from ...k8s import as_int

DEFAULT_PORTS = {"http": 80, "https": 443}


def modify_headers(headers: dict[str, str], conf: Any, *, lower: bool = False) -> list[str]:
    """Apply a Request/ResponseHeaderModifier to ``headers`` in place (G-36); what changed, said in words.

    ``lower``: the map keys are lower-case names (response headers); otherwise the first spelling is kept and
    a ``set`` writes the filter's spelling.
    """
    if not isinstance(conf, dict):
        return []
    done: list[str] = []

    def find(name: str) -> str | None:
        lname = name.lower()
        return next((k for k in headers if k.lower() == lname), None)

    for item in conf.get("set") or []:
        if isinstance(item, dict) and item.get("name"):
            name, value = str(item["name"]), str(item.get("value") or "")
            old = find(name)
            if old is not None:
                del headers[old]
            headers[name.lower() if lower else name] = value
            done.append(f"set {name}: {value}")
    for item in conf.get("add") or []:
        if isinstance(item, dict) and item.get("name"):
            name, value = str(item["name"]), str(item.get("value") or "")
            old = find(name)
            if old is not None:
                headers[old] = f"{headers[old]},{value}"
            else:
                headers[name.lower() if lower else name] = value
            done.append(f"add {name}: {value}")
    for raw in conf.get("remove") or []:
        old = find(str(raw))
        if old is not None:
            del headers[old]
            done.append(f"remove {raw}")
    return done


def replace_prefix(path: str, prefix: str, replacement: str) -> str:
    """ReplacePrefixMatch (G-40): the matched prefix (its trailing ``/`` ignored) becomes ``replacement``;
    no ``//`` is created and an empty result is ``/``."""
    stripped = prefix.rstrip("/")
    rest = path[len(stripped):]
    out = replacement.rstrip("/") + rest
    return out or "/"


def new_path(conf: Any, path: str, prefix: str | None) -> tuple[str, str]:
    """The path after a redirect's or rewrite's ``path`` (G-38, G-40), and how it was made."""
    spec = conf.get("path") if isinstance(conf, dict) else None
    if not isinstance(spec, dict):
        return path, ""
    kind = str(spec.get("type") or "")
    if kind == "ReplaceFullPath":
        full = str(spec.get("replaceFullPath") or "/")
        return full, f"ReplaceFullPath {full}"
    if kind == "ReplacePrefixMatch" and prefix is not None:
        repl = str(spec.get("replacePrefixMatch") or "")
        return replace_prefix(path, prefix, repl), f"ReplacePrefixMatch {prefix} -> {repl or 'empty'}"
    return path, ""


def redirect_location(conf: dict[str, Any], *, scheme: str, host: str, listener_port: int, path: str, query: str,
                      prefix: str | None) -> tuple[int, str, list[str]]:
    """(status, Location, steps) of a RequestRedirect (G-37, G-38).

    Port: the filter's; else the well-known port of a scheme the filter sets; else the listener's port; left out
    when it is the scheme's default. The query string is kept, as the proxies these implementations build on do
    (the API does not say).
    """
    code = as_int(conf.get("statusCode")) or 302
    new_scheme = str(conf.get("scheme") or scheme)
    hostname = str(conf.get("hostname") or host)
    if conf.get("port") is not None:
        port, why_port = as_int(conf.get("port")) or 0, "the filter's port"
    elif conf.get("scheme"):
        port, why_port = DEFAULT_PORTS[new_scheme], f"the default port of {new_scheme}"
    else:
        port, why_port = listener_port, "the listener's port"
    target, how = new_path(conf, path, prefix)
    shown_port = "" if DEFAULT_PORTS.get(new_scheme) == port else f":{port}"
    location = f"{new_scheme}://{hostname}{shown_port}{target}" + (f"?{query}" if query else "")
    steps = [f"scheme {new_scheme}", f"host {hostname}", f"port {port} ({why_port}{', omitted as the default' if not shown_port else ''})"]
    if how:
        steps.append(how)
    return code, location, steps
