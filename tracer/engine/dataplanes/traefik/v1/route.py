"""Routing one request through Traefik 1.7: entry point (and its redirect), the frontend with the highest priority
whose routes all match (traefik#T40), its path modifiers (traefik#T38, #T39), its redirect and SSL redirect
(traefik#T43, #T49), then its backend (traefik#T44, #T45)."""

from __future__ import annotations

from itertools import islice
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ....context import EngineContext
from ....options import Options
from ....request import Request
from ....result import Diagnosis, Hop, RequestTrace
from ....services import ServiceIndex
from ...base import RouteTable
from .. import diagnoses as dx
from ..forward import Outgoing, forward, respond_directly
from ..gotext import GoRegexError, compile_regex, go_expand, redirect_status, search
from ..ingress_v2 import Ignored
from ..ports import PortMap
from ..route import MAX_NEAR, NOT_FOUND, rule_request
from ..tls import Certificates
from .backends import pick_backend
from .frontends import Frontend, V1Redirect
from .index import FrontendIndex
from .settings import V1EntryPoint, V1Settings

LABEL = "Traefik 1.7"
_EP_REDIRECT = r"^(?:https?:\/\/)?(\[[\w:.]+\]|[\w\._-]+)(?::\d+)?(.*)$"


class V1Routing(RouteTable):
    family = "traefik-v1"
    hop_name: str
    settings: V1Settings
    index: FrontendIndex
    ignored_by_host: dict[str, list[Ignored]]
    broken: list[tuple[Frontend, str]]
    certs: Certificates
    ports: PortMap
    services: ServiceIndex
    context: EngineContext
    options: Options

    def _entry_point(self, request: Request) -> tuple[V1EntryPoint | None, str]:
        port, how = self.ports.container_port(request.port)
        for ep in self.settings.entry_points.values():
            if ep.port == port:
                return ep, f"entry point {ep.name} ({how})"
        if self.settings.assumed:
            https = request.scheme in ("https", "wss")
            for ep in self.settings.entry_points.values():
                if ep.tls == https:
                    return ep, f"entry point {ep.name} (assumed for {request.scheme} on port {request.port})"
        return None, how

    def route(self, request: Request) -> RequestTrace:
        trace = RequestTrace(request=request.to_dict(), controller=self.family)
        rules = ["traefik#T42"]
        details: dict[str, Any] = {"settings": self.settings.source, "version": LABEL}
        ep, how = self._entry_point(request)
        if ep is None:
            trace.error = "connection-refused"
            trace.add_diagnosis(dx.no_entry_point(request.port, how, [], "traefik#T42"))
            trace.hops.append(self._hop(f"no entry point listens on {how}: connection refused", "refused", None, [],
                                        how, [], rules, details))
            return trace
        details["entry_point"] = how
        tls = self.certs.check(request, trace, "traefik#T47", LABEL)
        if tls is not None:
            details["tls"] = tls
            rules.append("traefik#T47")
        if ep.redirect_to or ep.redirect_regex:
            redirect = V1Redirect(ep.redirect_to, ep.redirect_regex, ep.redirect_replacement, ep.redirect_permanent)
            found = self._redirect(request, redirect, request.path, {}, rules)
            if found is not None:
                status, location = found
                respond_directly(trace, status, content_type="", headers={"location": location})
                trace.hops.append(self._hop(f"entry point {ep.name} redirects every request: {status} -> {location}",
                                            "redirect", status, [], "redirect on the entry point (traefik.toml)", [],
                                            rules, details))
                return trace
        rr = rule_request(request)
        winner: Frontend | None = None
        near: list[str] = []
        for fe in self.index.candidates(rr.host):
            if winner is not None and fe.priority < winner.priority:
                break
            if not fe.rule.matches(rr):
                continue
            if ep.name not in fe.entry_points:
                near.append(f"{fe.label} matches, but only on entry point(s) {', '.join(fe.entry_points)}")
                continue
            if winner is None:
                winner = fe
                continue
            trace.add_diagnosis(_tie(winner, fe))
            break
        if winner is None:
            return self._not_found(trace, request, rr.host, near, rules, details)
        return self._frontend(trace, request, ep, winner, near, rules, details)

    def _not_found(self, trace: RequestTrace, request: Request, host: str, near: list[str], rules: list[str],
                   details: dict[str, Any]) -> RequestTrace:
        for fe, why in self.broken[:2]:
            if fe.rule.matches(rule_request(request)):
                near.append(f"{fe.label} would match, but {why}")
        for rec in (self.ignored_by_host.get(host) or [])[:2] + (self.ignored_by_host.get("") or [])[:1]:
            trace.add_diagnosis(dx.ignored(rec, LABEL))
            near.append(f"Ingress {rec.obj.namespace}/{rec.obj.name} is not read: {rec.reason}")
        for fe in islice(self.index.candidates(host), 2):
            near.append(f"{fe.label}: {'; '.join(fe.routes.values())} does not match {request.server_name}"
                        f"{request.path}")
        trace.add_diagnosis(dx.no_router(request.server_name, request.path, LABEL, near, "traefik#T40", "frontend"))
        rules.append("traefik#T40")
        respond_directly(trace, 404, headers={"x-content-type-options": "nosniff"})
        trace.hops.append(self._hop(f"no frontend matches {request.server_name}{request.path}: 404 ({NOT_FOUND})",
                                    "respond", 404, [], "no frontend on this entry point matches", near, rules, details))
        return trace

    def _frontend(self, trace: RequestTrace, request: Request, ep: V1EntryPoint, fe: Frontend, near: list[str],
                  rules: list[str], details: dict[str, Any]) -> RequestTrace:
        ing = fe.ingress
        trace.route = {"kind": "Ingress", "namespace": ing.namespace, "name": ing.name,
                       "rule": fe.where.removeprefix("spec.")}
        rules += ["traefik#T37", "traefik#T40"]
        how = "priority annotation" if fe.explicit_priority else "priority = sum of the route lengths"
        decision = f"routes {'; '.join(fe.routes.values())} match ({how} {fe.priority})"
        details["frontend"] = {"routes": list(fe.routes.values()), "priority": fe.priority,
                               "entry_points": list(fe.entry_points)}
        if fe.merged:
            near.append(f"the frontend also holds {', '.join(fe.merged[:2])} (same host and path): their servers join")
        objects = [ing.ref()]
        original = request.path
        path, set_headers, changes, keys = self._modify(fe, original, rules)
        if path is None:
            respond_directly(trace, 404)
            trace.hops.append(self._hop(f"{fe.label}: no strip prefix matches {original}: 404", "respond", 404,
                                        objects, decision, near, rules, details))
            return trace
        if changes:
            details["modifiers"] = changes
        is_tls = request.scheme in ("https", "wss")
        if fe.redirect is not None and ep.name != fe.redirect.entry_point:
            found = self._redirect(request, fe.redirect, path, keys, rules)
            if found is not None:
                status, location = found
                respond_directly(trace, status, content_type="", headers={"location": location})
                trace.hops.append(self._hop(f"{fe.label}: redirect {status} -> {location}", "redirect", status,
                                            objects, decision, near, rules, details))
                return trace
        set_headers.update(fe.request_headers)
        if fe.request_headers or fe.response_headers:
            rules.append("traefik#T45")
        if fe.ssl_redirect and not is_tls:
            return self._ssl_redirect(trace, request, fe, path, original, objects, decision, near, rules, details)
        if fe.not_modelled:
            trace.add_diagnosis(dx.not_modelled([f"{fe.label}: {n}" for n in fe.not_modelled]))
        chosen = pick_backend(self, fe, request)
        rules.append("traefik#T44")
        if chosen.res is None or not chosen.ok:
            return self._unavailable(trace, fe, chosen.why, chosen.diagnoses, objects, decision, near, rules, details)
        out = Outgoing(chosen.protocol, chosen.protocol_why, self.settings.insecure_skip_verify,
                       "the global insecureSkipVerify of Traefik 1.7" if self.settings.insecure_skip_verify else
                       "Traefik 1.7 verifies backend certificates: insecureSkipVerify is off",
                       False, fe.pass_host, path + (f"?{request.query}" if request.query else ""), set_headers,
                       dict(fe.response_headers), False, request.port)
        hop = self._hop(f"{fe.label} -> Service {chosen.res.namespace}/{chosen.res.service_name}:{chosen.port}",
                        "forward", None, objects, decision, near, rules, details)
        if path != original:
            hop.changes["path"] = f"{original} -> {path}"
        for d in chosen.diagnoses:
            trace.add_diagnosis(d)
        if chosen.protocol == "https":
            rules.append("traefik#T48")
        forward(trace, request, chosen.res, out, hop, rules, self.context, self.options, label=LABEL)
        hop.rules = list(dict.fromkeys(rules))
        return trace

    def _modify(self, fe: Frontend, path: str,
                rules: list[str]) -> tuple[str | None, dict[str, str], list[str], dict[str, str]]:
        """traefik#T38, #T39: strip, then AddPrefix, ReplacePathRegex, ReplacePath; with the context keys the
        redirect handler reads."""
        headers: dict[str, str] = {}
        changes: list[str] = []
        keys: dict[str, str] = {}
        rule = fe.rule
        if rule.strip:
            rules.append("traefik#T38")
            prefix = next((p for p in rule.strip if path.startswith(p)), None)
            if prefix is None:
                return None, headers, changes, keys
            new = "/" + path[len(prefix):].removeprefix("/")
            keys["strip"] = path
            headers["X-Forwarded-Prefix"] = prefix
            changes.append(f"stripped {prefix}: {path} -> {new}")
            path = new
        if rule.add_prefix:
            rules.append("traefik#T39")
            changes.append(f"AddPrefix {rule.add_prefix}: {path} -> {rule.add_prefix + path}")
            keys["add"] = rule.add_prefix
            path = rule.add_prefix + path
        if rule.replace_path_regex:
            rules.append("traefik#T39")
            parts = rule.replace_path_regex.split(" ")
            try:
                pattern = compile_regex(parts[0]) if len(parts) == 2 and parts[1] else None
            except GoRegexError:
                pattern = None  # 1.7 logs the error and leaves the path alone
            if pattern is not None:
                if search(pattern, path):
                    new = pattern.compiled.sub(lambda m: go_expand(parts[1], m), path)
                    headers["X-Replaced-Path"] = keys["replace"] = path
                    changes.append(f"ReplacePathRegex {parts[0]} -> {parts[1]}: {path} -> {new}")
                    path = new
            else:
                changes.append(f"ReplacePathRegex {rule.replace_path_regex} is not 'regex replacement': ignored")
        if rule.replace_path:
            rules.append("traefik#T39")
            headers["X-Replaced-Path"] = keys["replace"] = path
            changes.append(f"ReplacePath: {path} -> {rule.replace_path}")
            path = rule.replace_path
        return path, headers, changes, keys

    def _redirect(self, request: Request, redirect: V1Redirect, path: str, keys: dict[str, str],
                  rules: list[str]) -> tuple[int, str] | None:
        """The 1.7 redirect handler (traefik#T43): a regex over scheme://Host+URI. An entry point target keeps the
        port of the target's address literally (https://host:443/...), and the path the Location carries is the
        one from before the path modifiers (the context keys StripPrefix, AddPrefix and ReplacePath leave)."""
        rules.append("traefik#T43")
        scheme = "https" if request.scheme in ("https", "wss") or request.header("x-forwarded-proto") == "https" \
            else "http"
        old = f"{scheme}://{request.host_header}{path}" + (f"?{request.query}" if request.query else "")
        if redirect.entry_point:
            target = self.settings.entry_point(redirect.entry_point)
            if target is None or target.port is None:
                return None
            regex, replacement = _EP_REDIRECT, f"{'https' if target.tls else 'http'}://${{1}}:{target.port}${{2}}"
        else:
            regex, replacement = redirect.regex or "", redirect.replacement or ""
        try:
            pattern = compile_regex(regex)
        except GoRegexError:
            return None
        if not search(pattern, old):
            return None
        new = pattern.compiled.sub(lambda m: go_expand(replacement, m), old)
        if new == old:
            return None
        parts = urlsplit(new)
        new_path = parts.path
        if "strip" in keys:
            new_path = keys["strip"]
        if "add" in keys:
            new_path = new_path.replace(keys["add"], "", 1)
        if "replace" in keys:
            new_path = keys["replace"]
        return redirect_status(request.method, redirect.permanent), urlunsplit(parts._replace(path=new_path))

    def _ssl_redirect(self, trace: RequestTrace, request: Request, fe: Frontend, path: str, original: str,
                      objects: list[dict[str, Any]], decision: str, near: list[str], rules: list[str],
                      details: dict[str, Any]) -> RequestTrace:
        """traefik#T49: the Secure middleware redirects to https://Host + the path after the modifiers."""
        rules.append("traefik#T49")
        status = 307 if fe.ssl_temporary else 301
        location = f"https://{fe.ssl_host or request.host_header}{path}" + (f"?{request.query}" if request.query else "")
        respond_directly(trace, status, content_type="text/html; charset=utf-8", headers={"location": location})
        if path != original:
            trace.add_diagnosis(Diagnosis(
                "TRAEFIK_V1_SSL_REDIRECT_LOSES_PATH", "warning",
                f"{fe.label}: ssl-redirect sends {original} to {location}: the Secure middleware runs after the "
                f"path modifiers, so the Location lacks what they removed ({original} became {path}).",
                "Redirect with redirect-entry-point: https instead (its Location keeps the original path), or with "
                "an entry point redirect in traefik.toml.",
                "traefik#T49", [fe.ingress.ref()]))
        trace.hops.append(self._hop(f"{fe.label}: ssl-redirect {status} -> {location}", "redirect", status, objects,
                                    decision, near, rules, details))
        return trace

    def _unavailable(self, trace: RequestTrace, fe: Frontend, why: str, diagnoses: list[Diagnosis],
                     objects: list[dict[str, Any]], decision: str, near: list[str], rules: list[str],
                     details: dict[str, Any]) -> RequestTrace:
        for d in diagnoses:
            trace.add_diagnosis(d)
        respond_directly(trace, 503)
        trace.hops.append(self._hop(f"{fe.label}: {why}; the backend has no server, 503 (Service Unavailable)",
                                    "respond", 503, objects, decision, near, rules, details))
        return trace

    def _hop(self, summary: str, outcome: str, status: int | None, objects: list[dict[str, Any]], decision: str,
             near: list[str], rules: list[str], details: dict[str, Any]) -> Hop:
        return Hop("controller", self.hop_name, summary, outcome=outcome, status=status, objects=objects,
                   decision=decision, near_misses=near[:MAX_NEAR], details=details, rules=list(dict.fromkeys(rules)))


def _tie(winner: Frontend, other: Frontend) -> Diagnosis:
    return Diagnosis(
        "TRAEFIK_PRIORITY_TIE", "warning",
        f"{winner.label} and {other.label} both match with priority {winner.priority}; Traefik 1.7 sorts frontends "
        f"with an unstable sort, so which one answers is not defined; tracer shows {winner.label}.",
        "Set the priority annotation on one of the Ingresses so the order is defined.",
        "traefik#T40", [winner.ingress.ref(), other.ingress.ref()])


__all__ = ["V1Routing"]
