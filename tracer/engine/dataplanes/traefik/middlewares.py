"""Traefik v2/v3 HTTP middlewares, applied in the router's order (traefik#T19..#T28).

Modelled: StripPrefix, StripPrefixRegex, ReplacePath, ReplacePathRegex, AddPrefix (the path the backend gets),
RedirectScheme and RedirectRegex (a redirect instead of forwarding), Headers (custom request and response
headers) and Chain. Any other kind (BasicAuth, ForwardAuth, IPAllowList, RateLimit...) is named on the hop and
assumed to let the request through (traefik#T27). Sources: traefik/traefik ``pkg/middlewares/*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...regexes import RegexProblem
from ...request import Request
from ...snapshot import K8sObject
from .crd import CrdIndex, Problem, Resolved, resolve_reference
from .gotext import GoRegexError, compile_regex, go_clean, go_expand, redirect_status, search
from .settings import Settings

MODELLED = ("stripPrefix", "stripPrefixRegex", "replacePath", "replacePathRegex", "addPrefix", "redirectScheme",
            "redirectRegex", "headers", "chain")
MAX_CHAIN_DEPTH = 5


@dataclass(slots=True)
class Flow:
    """The request as it goes through the middlewares."""

    path: str
    query: str
    set_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    redirect: tuple[int, str] | None = None  # (status, Location)
    refuse: tuple[int, str] | None = None  # (status, why): the middleware answers itself
    applied: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    not_modelled: list[str] = field(default_factory=list)
    problem: Problem | None = None

    @property
    def uri(self) -> str:
        path = self.path or "/"
        return f"{path}?{self.query}" if self.query else path

    @property
    def done(self) -> bool:
        return self.redirect is not None or self.refuse is not None or self.problem is not None


def _strip_checks(settings: Settings) -> bool:
    """StripPrefix(Regex) refuses a path that normalising would change (traefik#T20) from v2.11.47 and v3.6.18."""
    v = settings.version
    return (2, 11, 47) <= v < (3, 0, 0) or v >= (3, 6, 18)


class MiddlewareRunner:
    def __init__(self, settings: Settings, crds: CrdIndex) -> None:
        self.settings = settings
        self.crds = crds

    def run(self, middlewares: list[Resolved], request: Request, flow: Flow, depth: int = 0) -> None:
        for mw in middlewares:
            if flow.done:
                return
            if mw.obj is None:
                flow.not_modelled.append(f"{mw.key} (another provider's middleware, not in the snapshot)")
                flow.rules.append("traefik#T27")
                continue
            self._one(mw.obj, request, flow, depth)

    def _one(self, obj: K8sObject, request: Request, flow: Flow, depth: int) -> None:
        spec = obj.spec
        kinds = [k for k in spec if isinstance(spec.get(k), dict)]
        label = f"Middleware {obj.namespace}/{obj.name}"
        kind = kinds[0] if kinds else ""
        conf: dict[str, Any] = spec.get(kind) or {}
        if kind == "chain":
            self._chain(obj, conf, request, flow, depth)
        elif kind in ("stripPrefix", "stripPrefixRegex"):
            self._strip(kind, conf, flow, label)
        elif kind in ("replacePath", "replacePathRegex", "addPrefix"):
            self._replace(kind, conf, flow, label)
        elif kind in ("redirectScheme", "redirectRegex"):
            self._redirect(kind, conf, request, flow, label)
        elif kind == "headers":
            self._headers(conf, flow, label)
        else:
            flow.not_modelled.append(f"{label} ({kind or 'no kind'})")
            flow.rules.append("traefik#T27")

    def _chain(self, obj: K8sObject, conf: dict[str, Any], request: Request, flow: Flow, depth: int) -> None:
        flow.rules.append("traefik#T28")
        if depth >= MAX_CHAIN_DEPTH:
            flow.problem = Problem("TRAEFIK_ROUTER_SKIPPED", f"chain Middleware {obj.namespace}/{obj.name} nests "
                                   "chains too deep (a cycle?)", "traefik#T28")
            return
        inner: list[Resolved] = []
        for ref in conf.get("middlewares") or []:
            if not isinstance(ref, dict):
                continue
            found = resolve_reference(self.crds, "Middleware", obj.namespace or "default", str(ref.get("namespace") or ""),
                                      str(ref.get("name") or ""), self.settings.crd.allow_cross_namespace)
            if isinstance(found, Problem):
                flow.problem = found
                return
            inner.append(found)
        flow.applied.append(f"chain {obj.namespace}/{obj.name}")
        self.run(inner, request, flow, depth + 1)

    def _strip(self, kind: str, conf: dict[str, Any], flow: Flow, label: str) -> None:
        before = flow.path
        if kind == "stripPrefix":
            flow.rules.append("traefik#T20")
            force = conf.get("forceSlash")
            force_slash = force is not False if self.settings.v2 else force is True
            for prefix in (str(p).strip() for p in conf.get("prefixes") or []):
                if before.startswith(prefix):
                    rest = before[len(prefix):]
                    flow.path = "/" + rest.removeprefix("/") if force_slash else _leading_slash(rest)
                    self._stripped(flow, prefix, before, label)
                    return
            flow.applied.append(f"{label}: no prefix of {before} to strip, path unchanged")
            return
        flow.rules.append("traefik#T21")
        for expr in (str(e) for e in conf.get("regex") or []):
            try:
                found = compile_regex(expr).search(before)
            except GoRegexError as exc:
                flow.problem = Problem("TRAEFIK_ROUTER_SKIPPED", f"{label}: {exc}", "traefik#T21")
                return
            if found and not isinstance(found, RegexProblem) and found.group(0) and before.startswith(found.group(0)):
                prefix = found.group(0)
                flow.path = _leading_slash(before.replace(prefix, "", 1))
                self._stripped(flow, prefix, before, label)
                return
        flow.applied.append(f"{label}: no regex matches the start of {before}, path unchanged")

    def _stripped(self, flow: Flow, prefix: str, before: str, label: str) -> None:
        if _strip_checks(self.settings) and flow.path and go_clean(flow.path) != flow.path:
            flow.refuse = (400, f"{label} stripped {prefix} and normalising {flow.path} would change it: 400 Bad "
                                "Request")
            return
        flow.set_headers["X-Forwarded-Prefix"] = prefix
        flow.applied.append(f"{label}: stripped {prefix}, {before} -> {flow.path or '(empty, sent as /)'}")

    def _replace(self, kind: str, conf: dict[str, Any], flow: Flow, label: str) -> None:
        before = flow.path
        if kind == "addPrefix":
            flow.rules.append("traefik#T23")
            flow.path = _leading_slash(str(conf.get("prefix") or "") + before)
            flow.applied.append(f"{label}: added prefix, {before} -> {flow.path}")
            return
        flow.rules.append("traefik#T22")
        if kind == "replacePath":
            flow.path = str(conf.get("path") or "")
        else:
            try:
                pattern = compile_regex(str(conf.get("regex") or ""))
            except GoRegexError as exc:
                flow.problem = Problem("TRAEFIK_ROUTER_SKIPPED", f"{label}: {exc}", "traefik#T22")
                return
            if not search(pattern, before):
                flow.applied.append(f"{label}: regex does not match {before}, path unchanged")
                return
            replacement = str(conf.get("replacement") or "")
            flow.path = pattern.compiled.sub(lambda m: go_expand(replacement, m), before)
        flow.set_headers["X-Replaced-Path"] = before
        flow.applied.append(f"{label}: {before} -> {flow.path}")

    def _redirect(self, kind: str, conf: dict[str, Any], request: Request, flow: Flow, label: str) -> None:
        scheme = "https" if request.scheme in ("https", "wss") else "http"
        host = request.server_name
        port = request.host_header.rpartition(":")[2] if ":" in request.host_header.strip("[]") else ""
        current_port = f":{port}" if port and (scheme, port) not in (("http", "80"), ("https", "443")) else ""
        old = f"{scheme}://{host}{current_port}{flow.uri}"
        permanent = conf.get("permanent") is True
        if kind == "redirectScheme":
            flow.rules.append("traefik#T24")
            target = str(conf.get("scheme") or "")
            if not target:
                flow.problem = Problem("TRAEFIK_ROUTER_SKIPPED", f"{label}: redirectScheme needs a scheme",
                                       "traefik#T24")
                return
            to_port = str(conf.get("port") or "")
            keep = to_port and (target, to_port) not in (("http", "80"), ("https", "443"))
            new = f"{target}://{host}{':' + to_port if keep else ''}{flow.uri}"
            forced = conf.get("forcePermanentRedirect") is True and self.settings.at_least(3, 6, 0)
        else:
            flow.rules.append("traefik#T25")
            old = f"{scheme}://{request.host_header}{flow.uri}"  # RedirectRegex reads the Host header as sent
            try:
                pattern = compile_regex(str(conf.get("regex") or ""))
            except GoRegexError as exc:
                flow.problem = Problem("TRAEFIK_ROUTER_SKIPPED", f"{label}: {exc}", "traefik#T25")
                return
            if not search(pattern, old):
                flow.applied.append(f"{label}: regex does not match {old}, no redirect")
                return
            replacement = str(conf.get("replacement") or "")
            new = pattern.compiled.sub(lambda m: go_expand(replacement, m), old)
            forced = False
        if new == old:
            flow.applied.append(f"{label}: {old} is already the target, no redirect")
            return
        status = 308 if forced else redirect_status(request.method, permanent)
        flow.redirect = (status, new)
        flow.applied.append(f"{label}: {status} to {new}")

    def _headers(self, conf: dict[str, Any], flow: Flow, label: str) -> None:
        flow.rules.append("traefik#T26")
        request = conf.get("customRequestHeaders") or {}
        response = conf.get("customResponseHeaders") or {}
        for name, value in (request.items() if isinstance(request, dict) else []):
            flow.set_headers[str(name)] = "" if value is None else str(value)
        for name, value in (response.items() if isinstance(response, dict) else []):
            flow.response_headers[str(name)] = "" if value is None else str(value)
        if request or response:
            flow.applied.append(f"{label}: custom headers ({len(request)} request, {len(response)} response)")
        others = [k for k in conf if k not in ("customRequestHeaders", "customResponseHeaders")]
        if others:
            flow.not_modelled.append(f"{label} ({', '.join(others[:4])})")


def _leading_slash(path: str) -> str:
    return path if not path or path.startswith("/") else "/" + path


__all__ = ["MODELLED", "Flow", "MiddlewareRunner"]
