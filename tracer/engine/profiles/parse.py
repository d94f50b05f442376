"""Validating AppProfile documents into :class:`AppProfile` records.

Every problem is a LoadError naming the file, the document, its line and the field (``spec.routes[2].path``),
as the manifest loader reports. Unknown fields are refused rather than ignored: a misspelt ``methods`` would
otherwise widen a route silently.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import LoadError
from ..snapshot import K8sObject
from .model import API_VERSION, KIND, AppProfile, Html, PathMatch, Respond, Route

_SPEC_FIELDS = {"selector", "ports", "tls", "routes", "default"}
_ROUTE_FIELDS = {"path", "methods", "query", "headers", "cookies", "websocket", "respond"}
_RESPOND_FIELDS = {"status", "headers", "setCookies", "contentType", "html", "latencyMs"}
_HTML_FIELDS = {"assets", "websockets", "base"}


class _Doc:
    """Where the document came from, to name it in errors."""

    def __init__(self, obj: K8sObject) -> None:
        self.file = obj.source.file
        self.document = obj.source.document
        self.line = obj.source.line

    def error(self, field: str, message: str) -> LoadError:
        return LoadError(message, file=self.file, document=self.document, line=self.line, field=field)


def parse_profile(obj: K8sObject) -> AppProfile:
    """The AppProfile an object holds; LoadError when it is not a valid one."""
    doc = _Doc(obj)
    body = obj.body
    if body.get("apiVersion") != API_VERSION:
        raise doc.error("apiVersion", f"an AppProfile has apiVersion {API_VERSION}, not {body.get('apiVersion')!r}")
    if body.get("kind") != KIND:
        raise doc.error("kind", f"expected kind {KIND}, not {body.get('kind')!r}")
    meta = body.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise doc.error("metadata.name", "an AppProfile needs a name")
    spec = body.get("spec")
    if not isinstance(spec, dict):
        raise doc.error("spec", "an AppProfile needs a spec mapping")
    _no_unknown(doc, spec, _SPEC_FIELDS, "spec")
    service, labels = _selector(doc, spec.get("selector"))
    routes = spec.get("routes", [])
    if not isinstance(routes, list):
        raise doc.error("spec.routes", "routes must be a list")
    default = spec.get("default")
    return AppProfile(
        namespace=obj.namespace or "default",
        name=obj.name,
        service=service,
        match_labels=labels,
        ports=_ports(doc, spec.get("ports")),
        tls=_bool(doc, spec.get("tls", False), "spec.tls"),
        routes=tuple(_route(doc, r, i) for i, r in enumerate(routes)),
        default=None if default is None else _respond(doc, default, "spec.default"),
        ref=obj.ref(),
    )


def _no_unknown(doc: _Doc, value: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise doc.error(f"{where}.{unknown[0]}", f"unknown field {unknown[0]} (known: {', '.join(sorted(known))})")


def _selector(doc: _Doc, raw: Any) -> tuple[str | None, dict[str, str] | None]:
    if not isinstance(raw, dict) or len(raw) != 1 or not ({"service", "matchLabels"} & set(raw)):
        raise doc.error("spec.selector", "selector needs exactly one of service (a Service name) or matchLabels")
    if "service" in raw:
        if not isinstance(raw["service"], str) or not raw["service"]:
            raise doc.error("spec.selector.service", "service must be the name of a Service in the namespace")
        return raw["service"], None
    labels = raw["matchLabels"]
    if not isinstance(labels, dict) or not labels:
        raise doc.error("spec.selector.matchLabels", "matchLabels must be a non-empty mapping of labels")
    for k, v in labels.items():
        if not isinstance(v, str | int) or isinstance(v, bool):
            raise doc.error(f"spec.selector.matchLabels.{k}", "a label value must be a string")
    return None, {str(k): str(v) for k, v in labels.items()}


def _ports(doc: _Doc, raw: Any) -> frozenset[int] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise doc.error("spec.ports", "ports must be a list of container port numbers")
    for i, p in enumerate(raw):
        if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 65535:
            raise doc.error(f"spec.ports[{i}]", f"{p!r} is not a port number (1-65535)")
    return frozenset(raw)


def _bool(doc: _Doc, raw: Any, field: str) -> bool:
    if not isinstance(raw, bool):
        raise doc.error(field, f"{field.rsplit('.', 1)[-1]} must be true or false")
    return raw


def _text(doc: _Doc, raw: Any, field: str) -> str:
    """A string field; YAML numbers are taken as their text (``X-Version: 2``)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise doc.error(field, "must be a string")
    return str(raw)


def _route(doc: _Doc, raw: Any, i: int) -> Route:
    where = f"spec.routes[{i}]"
    if not isinstance(raw, dict):
        raise doc.error(where, "a route must be a mapping")
    _no_unknown(doc, raw, _ROUTE_FIELDS, where)
    if "respond" not in raw:
        raise doc.error(f"{where}.respond", "a route needs respond (what the app answers)")
    methods = raw.get("methods")
    if methods is not None:
        if not isinstance(methods, list) or not methods:
            raise doc.error(f"{where}.methods", "methods must be a non-empty list such as [GET, POST]")
        methods = frozenset(_text(doc, m, f"{where}.methods[{j}]").upper() for j, m in enumerate(methods))
    return Route(
        index=i,
        respond=_respond(doc, raw["respond"], f"{where}.respond"),
        path=None if raw.get("path") is None else _path(doc, raw["path"], f"{where}.path"),
        methods=methods,
        query=_conditions(doc, raw.get("query"), f"{where}.query", lower=False),
        headers=_conditions(doc, raw.get("headers"), f"{where}.headers", lower=True),
        cookies=_conditions(doc, raw.get("cookies"), f"{where}.cookies", lower=False),
        websocket=_bool(doc, raw.get("websocket", False), f"{where}.websocket"),
    )


def _path(doc: _Doc, raw: Any, where: str) -> PathMatch:
    if not isinstance(raw, dict) or len(raw) != 1 or not ({"exact", "prefix", "regex"} & set(raw)):
        raise doc.error(where, "path needs exactly one of exact, prefix or regex")
    kind, value = next(iter(raw.items()))
    if not isinstance(value, str) or not value:
        raise doc.error(f"{where}.{kind}", f"{kind} must be a non-empty string")
    if kind != "regex":
        return PathMatch(kind, value)
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise doc.error(f"{where}.regex", f"invalid regular expression {value!r}: {exc}") from exc
    return PathMatch(kind, value, pattern)


def _conditions(doc: _Doc, raw: Any, where: str, *, lower: bool) -> tuple[tuple[str, str], ...]:
    """``{name: present|absent|VALUE}``; header names compare case-insensitively, so they are lower-cased."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise doc.error(where, "must be a mapping of name to present, absent or a value")
    out = []
    for name, value in raw.items():
        text = _text(doc, value, f"{where}.{name}")
        out.append((str(name).lower() if lower else str(name), text))
    return tuple(out)


def _respond(doc: _Doc, raw: Any, where: str) -> Respond:
    if not isinstance(raw, dict):
        raise doc.error(where, "respond must be a mapping (status, headers, setCookies, contentType, html, latencyMs)")
    _no_unknown(doc, raw, _RESPOND_FIELDS, where)
    status = raw.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise doc.error(f"{where}.status", f"{status!r} is not an HTTP status (100-599)")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict):
        raise doc.error(f"{where}.headers", "headers must be a mapping of name to value")
    cookies = raw.get("setCookies") or []
    if not isinstance(cookies, list):
        raise doc.error(f"{where}.setCookies", "setCookies must be a list of Set-Cookie values")
    content_type = raw.get("contentType")
    latency = raw.get("latencyMs", 0)
    if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
        raise doc.error(f"{where}.latencyMs", "latencyMs must be a number of milliseconds, 0 or more")
    return Respond(
        status=status,
        headers=tuple((str(k), _text(doc, v, f"{where}.headers.{k}")) for k, v in headers.items()),
        set_cookies=tuple(_text(doc, c, f"{where}.setCookies[{j}]") for j, c in enumerate(cookies)),
        content_type=None if content_type is None else _text(doc, content_type, f"{where}.contentType"),
        html=None if raw.get("html") is None else _html(doc, raw["html"], f"{where}.html"),
        latency_ms=latency,
    )


def _html(doc: _Doc, raw: Any, where: str) -> Html:
    if not isinstance(raw, dict):
        raise doc.error(where, "html must be a mapping (assets, websockets, base)")
    _no_unknown(doc, raw, _HTML_FIELDS, where)
    lists = {}
    for key in ("assets", "websockets"):
        value = raw.get(key) or []
        if not isinstance(value, list):
            raise doc.error(f"{where}.{key}", f"{key} must be a list of URLs")
        lists[key] = tuple(_text(doc, u, f"{where}.{key}[{j}]") for j, u in enumerate(value))
    base = raw.get("base")
    return Html(lists["assets"], lists["websockets"], None if base is None else _text(doc, base, f"{where}.base"))
