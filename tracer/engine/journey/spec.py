"""Journey documents: what a browser is asked to do, validated into a :class:`JourneySpec`.

A journey is given as a ``Journey`` document (in the snapshot or as the request) or as the mapping
``{"journey": {...spec...}}``. Every problem names the field (``spec.idleSeconds``); a document from the
snapshot also names its file, document and line, as the manifest loader does. Unknown fields are refused:
a misspelt ``followRedirect`` would otherwise change the journey silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import LoadError, RequestError, TracerError
from ..request import HTTP_VERSIONS, METHODS, _is_ip
from ..snapshot import K8sObject
from .urls import HTTP_SCHEMES, UrlError, parse

API_VERSION = "tracer.dev/v1alpha1"
KIND = "Journey"
_SPEC_FIELDS = {
    "start", "method", "headers", "cookies", "clientIP", "httpVersion", "followRedirects", "loadAssets",
    "openWebSockets", "idleSeconds", "via", "strictTLS", "favicon",
}


@dataclass(frozen=True, slots=True)
class JourneySpec:
    """One browser journey: the start request and what the browser does after it."""

    start: str
    name: str = ""
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    client_ip: str | None = None
    http_version: str = "1.1"
    follow_redirects: bool = True
    load_assets: bool = True
    open_websockets: bool = True
    idle_seconds: float = 0.0
    via: dict[str, Any] | str | None = field(default=None, compare=False)
    strict_tls: bool = False
    favicon: bool = False


def _fail(where: K8sObject | None, path: str, message: str) -> TracerError:
    if where is None:
        return RequestError(f"journey field {path}: {message}")
    src = where.source
    return LoadError(message, file=src.file, document=src.document, line=src.line, field=path)


def _bool(raw: Any, path: str, where: K8sObject | None, default: bool) -> bool:
    if raw is None:
        return default
    if not isinstance(raw, bool):
        raise _fail(where, path, f"expected true or false, not {raw!r}")
    return raw


def _pairs(raw: Any, path: str, where: K8sObject | None) -> tuple[tuple[str, str], ...]:
    """A name -> value mapping (headers may also be 'Name: value' strings)."""
    if raw is None:
        return ()
    if isinstance(raw, list):
        out = []
        for i, entry in enumerate(raw):
            if not isinstance(entry, str) or ":" not in entry:
                raise _fail(where, f"{path}[{i}]", "expected 'Name: value'")
            name, _, value = entry.partition(":")
            out.append((name.strip(), value.strip()))
        return tuple(out)
    if not isinstance(raw, dict):
        raise _fail(where, path, "expected a mapping of name to value")
    for name, value in raw.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _fail(where, f"{path}.{name}", f"expected a string value, not {value!r}")
    return tuple((str(k), str(v)) for k, v in raw.items())


def parse_spec(spec: Any, *, name: str = "", where: K8sObject | None = None, prefix: str = "spec") -> JourneySpec:
    """Validate a journey spec mapping; ``where`` is the snapshot document it came from, if any."""
    if not isinstance(spec, dict):
        raise _fail(where, prefix, "a journey needs a spec mapping with at least start")
    unknown = sorted(str(k) for k in spec if k not in _SPEC_FIELDS)
    if unknown:
        raise _fail(where, f"{prefix}.{unknown[0]}", f"unknown field {unknown[0]} (known: {', '.join(sorted(_SPEC_FIELDS))})")
    start = spec.get("start")
    if not isinstance(start, str) or not start.strip():
        raise _fail(where, f"{prefix}.start", "a journey needs a start URL")
    start = start.strip()
    if "://" not in start:
        start = "http://" + start
    try:
        scheme = parse(start).protocol.rstrip(":")
    except UrlError as exc:
        raise _fail(where, f"{prefix}.start", str(exc)) from exc
    if scheme not in HTTP_SCHEMES:
        raise _fail(where, f"{prefix}.start", f"a journey starts at an http or https URL, not {scheme}")
    method = str(spec.get("method") or "GET").upper()
    if method not in METHODS:
        raise _fail(where, f"{prefix}.method", f"unknown HTTP method {method}")
    version = str(spec.get("httpVersion") or "1.1")
    if version not in HTTP_VERSIONS:
        raise _fail(where, f"{prefix}.httpVersion", f"{version} is not one of 1.0, 1.1, 2, 3")
    client_ip = spec.get("clientIP")
    if client_ip is not None and not (isinstance(client_ip, str) and _is_ip(client_ip)):
        raise _fail(where, f"{prefix}.clientIP", f"{client_ip!r} is not an IP address")
    idle = spec.get("idleSeconds", 0)
    if isinstance(idle, bool) or not isinstance(idle, int | float) or idle < 0 or idle != idle or idle > 10**9:
        raise _fail(where, f"{prefix}.idleSeconds", f"expected a number of seconds, 0 or more, not {idle!r}")
    via = spec.get("via")
    if via is not None and not isinstance(via, str | dict):
        raise _fail(where, f"{prefix}.via", "expected an IP address or {kind: Service, namespace, name}")
    return JourneySpec(
        start=start,
        name=name,
        method=method,
        headers=_pairs(spec.get("headers"), f"{prefix}.headers", where),
        cookies=_pairs(spec.get("cookies"), f"{prefix}.cookies", where),
        client_ip=client_ip,
        http_version=version,
        follow_redirects=_bool(spec.get("followRedirects"), f"{prefix}.followRedirects", where, True),
        load_assets=_bool(spec.get("loadAssets"), f"{prefix}.loadAssets", where, True),
        open_websockets=_bool(spec.get("openWebSockets"), f"{prefix}.openWebSockets", where, True),
        idle_seconds=float(idle),
        via=via,
        strict_tls=_bool(spec.get("strictTLS"), f"{prefix}.strictTLS", where, False),
        favicon=_bool(spec.get("favicon"), f"{prefix}.favicon", where, False),
    )


def parse_document(obj: K8sObject) -> JourneySpec:
    """The journey a ``Journey`` object of the snapshot holds; LoadError naming file, document and field."""
    body = obj.body
    if body.get("apiVersion") != API_VERSION:
        raise _fail(obj, "apiVersion", f"a Journey has apiVersion {API_VERSION}, not {body.get('apiVersion')!r}")
    return parse_spec(body.get("spec"), name=obj.name, where=obj)


def is_journey(request: Any) -> bool:
    """Whether a request given to the engine is a journey (``{"journey": ...}`` or a Journey document)."""
    return isinstance(request, JourneySpec) or (
        isinstance(request, dict) and ("journey" in request or request.get("kind") == KIND)
    )


def journey_from_request(request: Any) -> JourneySpec:
    """A journey given as the request: a JourneySpec, ``{"journey": {...}}`` or a Journey document."""
    if isinstance(request, JourneySpec):
        return request
    if "journey" in request:
        extra = sorted(str(k) for k in request if k != "journey")
        if extra:
            raise RequestError(f"a journey request has only the field journey, not {', '.join(extra)}")
        return parse_spec(request["journey"], prefix="journey")
    if request.get("apiVersion") != API_VERSION:
        raise RequestError(f"journey field apiVersion: a Journey has apiVersion {API_VERSION}")
    meta = request.get("metadata") if isinstance(request.get("metadata"), dict) else {}
    return parse_spec(request.get("spec"), name=str(meta.get("name") or ""))
