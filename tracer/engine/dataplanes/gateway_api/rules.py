"""Compiling an HTTPRoute's rules (k8s-routing#G-4, G-5, G-18..G-22, G-24..G-26, G-34..G-41, G-43).

Defaults are filled in as the API server would (a rule without matches matches ``PathPrefix /``); what the
CRD's validation refuses makes the whole route rejected: such an object never exists in a cluster.
"""

from __future__ import annotations

import re
from typing import Any

from ...k8s import as_int
from ...regexes import compile_pcre
from ...snapshot import K8sObject, Snapshot
from .hostnames import normalise
from .model import Match, Mirror, Pattern, RouteInfo, Rule
from .refs import Grants, backend_choice, check_backend

PATH_TYPES = {"Exact": 0, "PathPrefix": 1, "RegularExpression": 2}  # the first precedence criterion (G-24)
VALUE_TYPES = ("Exact", "RegularExpression")
FILTER_TYPES = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "RequestMirror",
                "CORS", "ExtensionRef")
ONCE = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "CORS")
REDIRECT_CODES = (301, 302, 303, 307, 308)
BAD_PATH_PARTS = ("//", "/./", "/../", "%2f", "%2F", "#")
DURATION = re.compile(r"(?:(\d{1,5})(h|ms|m|s)){1,4}")
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}


class Rejected(Exception):
    """The API server's validation refuses the route (G-5)."""


def duration_ms(value: str) -> int | None:
    """Gateway API Duration (``1h30m``, ``500ms``) in milliseconds; None when malformed."""
    if not DURATION.fullmatch(value):
        return None
    return sum(int(n) * _UNIT_MS[u] for n, u in re.findall(r"(\d{1,5})(h|ms|m|s)", value))


def _regex(value: str) -> Pattern:
    return compile_pcre(value, ignore_case=False)


def _path(raw: Any, where: str) -> tuple[str, str, Pattern]:
    path = raw if isinstance(raw, dict) else {}
    kind = str(path.get("type") or "PathPrefix")
    value = str(path.get("value") if path.get("value") is not None else "/")
    if kind not in PATH_TYPES:
        raise Rejected(f"{where}.path.type {kind} is not one of {', '.join(PATH_TYPES)}")
    if kind == "RegularExpression":
        return kind, value, _regex(value)
    if not value.startswith("/"):
        raise Rejected(f"{where}.path.value {value} must start with /")
    bad = next((b for b in BAD_PATH_PARTS if b in value), None)
    if bad is not None or value.endswith(("/..", "/.")):
        raise Rejected(f"{where}.path.value {value} must not contain {bad or 'a trailing /. or /..'}")
    return kind, value, None


def _pairs(raw: Any, where: str, *, fold: bool) -> list[tuple[str, str, str, Pattern]]:
    """Header or query matches; a repeated name counts once, the first entry (G-20, G-21)."""
    out: dict[str, tuple[str, str, str, Pattern]] = {}
    for j, item in enumerate(raw or []):
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type") or "Exact")
        if kind not in VALUE_TYPES:
            raise Rejected(f"{where}[{j}].type {kind} is not one of {', '.join(VALUE_TYPES)}")
        name = str(item.get("name") or "")
        value = str(item.get("value") or "")
        key = name.lower() if fold else name
        out.setdefault(key, (key, kind, value, _regex(value) if kind == "RegularExpression" else None))
    return list(out.values())


def _match(rule: Rule, j: int, raw: dict[str, Any]) -> Match:
    where = f"rules[{rule.index}].matches[{j}]"
    kind, value, pattern = _path(raw.get("path"), where)
    m = Match(rule, j, kind, value, pattern,
              _pairs(raw.get("headers"), f"{where}.headers", fold=True),
              _pairs(raw.get("queryParams"), f"{where}.queryParams", fold=False),
              str(raw["method"]).upper() if raw.get("method") else None)
    length = -len(value) if kind == "PathPrefix" else 0  # regex precedence is implementation-specific (G-19)
    m.key = (PATH_TYPES[kind], length, 0 if m.method else 1, -len(m.headers), -len(m.query), *rule.route.order,
             rule.index, j)
    return m


def _filters(rule: Rule, raw: Any, where: str) -> list[dict[str, Any]]:
    filters = [f for f in raw or [] if isinstance(f, dict)]
    types = [str(f.get("type") or "") for f in filters]
    for t in types:
        if t not in FILTER_TYPES:
            raise Rejected(f"{where} type {t} is not one of {', '.join(FILTER_TYPES)}")
    for t in ONCE:
        if types.count(t) > 1:
            raise Rejected(f"{where}: {t} may appear only once")
    if "RequestRedirect" in types and "URLRewrite" in types:
        raise Rejected(f"{where}: RequestRedirect and URLRewrite cannot be combined")
    for f in filters:
        conf = f.get(_field(str(f["type"]))) if f.get("type") != "ExtensionRef" else f.get("extensionRef")
        path = conf.get("path") if isinstance(conf, dict) else None
        single_prefix = len(rule.matches) == 1 and rule.matches[0].path_type == "PathPrefix"
        if isinstance(path, dict) and path.get("type") == "ReplacePrefixMatch" and not single_prefix:
            raise Rejected(f"{where}: {f['type']} with path.replacePrefixMatch needs exactly one PathPrefix match")
        if f["type"] == "RequestRedirect" and isinstance(conf, dict):
            code = as_int(conf.get("statusCode")) or 302
            if code not in REDIRECT_CODES:
                raise Rejected(f"{where}: RequestRedirect statusCode {code} is not one of 301, 302, 303, 307, 308")
            if conf.get("scheme") not in (None, "http", "https"):
                raise Rejected(f"{where}: RequestRedirect scheme {conf.get('scheme')} is not http or https")
    return filters


def _field(filter_type: str) -> str:
    """The filter's configuration field: RequestHeaderModifier -> requestHeaderModifier, CORS -> cors."""
    return "cors" if filter_type == "CORS" else filter_type[0].lower() + filter_type[1:]


def _features(rule: Rule) -> list[str]:
    out: list[str] = []
    if rule.name:
        out.append("HTTPRouteNamedRouteRule")
    for f in rule.filters:
        kind, conf = str(f["type"]), f.get(_field(str(f["type"]))) or {}
        if kind == "ResponseHeaderModifier":
            out.append("HTTPRouteResponseHeaderModification")
        elif kind == "RequestRedirect":
            out += [feat for key, feat in (("scheme", "HTTPRouteSchemeRedirect"), ("port", "HTTPRoutePortRedirect"),
                                           ("path", "HTTPRoutePathRedirect")) if conf.get(key) is not None]
            code = as_int(conf.get("statusCode")) or 302
            if code in (303, 307, 308):
                out.append(f"HTTPRoute{code}RedirectStatusCode")
        elif kind == "URLRewrite":
            out += [feat for key, feat in (("hostname", "HTTPRouteHostRewrite"), ("path", "HTTPRoutePathRewrite"))
                    if conf.get(key) is not None]
        elif kind == "CORS":
            out.append("HTTPRouteCORS")
    if rule.mirrors:
        out.append("HTTPRouteRequestMirror")
    if len(rule.mirrors) > 1:
        out.append("HTTPRouteRequestMultipleMirrors")
    if any(m.percent < 100 for m in rule.mirrors):
        out.append("HTTPRouteRequestPercentageMirror")
    if "request" in rule.timeouts:
        out.append("HTTPRouteRequestTimeout")
    if "backendRequest" in rule.timeouts:
        out.append("HTTPRouteBackendTimeout")
    if any(f.get("type") == "RequestHeaderModifier" for b in rule.backends for f in b.filters):
        out.append("HTTPRouteBackendRequestHeaderModification")
    return out


def _mirror_percent(conf: dict[str, Any]) -> float:
    if conf.get("percent") is not None:
        return float(as_int(conf.get("percent")) or 0)
    fraction = conf.get("fraction")
    if isinstance(fraction, dict):
        denominator = as_int(fraction.get("denominator")) or 100
        return round(100.0 * (as_int(fraction.get("numerator")) or 0) / denominator, 4)
    return 100.0


def _timeouts(raw: Any, where: str) -> dict[str, str]:
    out = {k: str(v) for k, v in (raw or {}).items() if k in ("request", "backendRequest") and v is not None}
    ms = {k: duration_ms(v) for k, v in out.items()}
    for k, v in ms.items():
        if v is None:
            raise Rejected(f"{where}.{k} {out[k]} is not a duration such as 10s or 1m30s")
    request, backend = ms.get("request"), ms.get("backendRequest")
    if request and backend and backend > request:
        raise Rejected(f"{where}: backendRequest {out['backendRequest']} may not exceed request {out['request']}")
    return out


def _rule(info: RouteInfo, i: int, raw: dict[str, Any], snapshot: Snapshot, grants: Grants) -> Rule:
    obj = info.obj
    rule = Rule(info, i, str(raw["name"]) if raw.get("name") else None)
    matches = [m for m in raw.get("matches") or [] if isinstance(m, dict)] or [{}]
    if len(matches) > 64:
        raise Rejected(f"rules[{i}] has {len(matches)} matches; at most 64 are allowed")
    rule.matches = [_match(rule, j, m) for j, m in enumerate(matches)]
    rule.filters = _filters(rule, raw.get("filters"), f"rules[{i}].filters")
    refs = [r for r in raw.get("backendRefs") or [] if isinstance(r, dict)]
    if refs and any(f["type"] == "RequestRedirect" for f in rule.filters):
        raise Rejected(f"rules[{i}]: a RequestRedirect filter cannot be used together with backendRefs")
    for k, ref in enumerate(refs):
        choice = backend_choice(ref, k, obj)
        if (choice.group, choice.kind) == ("", "Service") and choice.port is None:
            raise Rejected(f"rules[{i}].backendRefs[{k}] names Service {choice.name} without a port")
        _filters(rule, choice.filters, f"rules[{i}].backendRefs[{k}].filters")
        choice.problem = check_backend(choice, obj, snapshot, grants)
        rule.backends.append(choice)
    for f in rule.filters:
        if f["type"] == "RequestMirror" and isinstance(f.get("requestMirror"), dict):
            conf = f["requestMirror"]
            target = backend_choice(conf.get("backendRef") or {}, 0, obj)
            target.problem = check_backend(target, obj, snapshot, grants)
            rule.mirrors.append(Mirror(target, _mirror_percent(conf)))
        elif f["type"] in ("ExtensionRef", "CORS"):
            ext = f.get("extensionRef") or {}
            rule.notes.append(f"{f['type']} filter" + (f" {ext.get('kind')} {ext.get('name')}" if ext else "")
                              + " is implementation-specific and not simulated here")
    rule.timeouts = _timeouts(raw.get("timeouts"), f"rules[{i}].timeouts")
    rule.features = _features(rule)
    return rule


def compile_route(obj: K8sObject, snapshot: Snapshot, grants: Grants) -> RouteInfo:
    hostnames = [normalise(h) for h in obj.spec.get("hostnames") or [] if h]
    info = RouteInfo(obj, [h for h in hostnames if h],
                     (obj.creation_timestamp or "~", obj.namespace or "default", obj.name))
    rules = [r for r in obj.spec.get("rules") or [] if isinstance(r, dict)] or [{}]
    try:
        if len(rules) > 16:
            raise Rejected(f"spec.rules has {len(rules)} rules; at most 16 are allowed")
        if sum(len(r.get("matches") or [None]) for r in rules) > 128:
            raise Rejected("the rules hold more than 128 matches in total")
        info.rules = [_rule(info, i, raw, snapshot, grants) for i, raw in enumerate(rules)]
    except Rejected as exc:
        info.rejected = str(exc)
        info.rules = []
    return info
