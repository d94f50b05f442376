"""A route row, its problems, and the readers of Ingress paths, backends and sample URLs every table uses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..dataplanes.ingress_nginx.model import ingress_backend
from ..entry import EntryPlan, lb_addresses
from ..result import Diagnosis
from ..services import BackendResolution
from ..snapshot import K8sObject

# Short names of the problem kinds, for filters and table cells; each problem also carries its full message.
PROBLEM_TITLES: dict[str, str] = {
    "service": "no such Service",
    "service-port": "no such Service port",
    "selector": "selector matches nothing",
    "endpoints": "no ready endpoints",
    "shadowed": "never wins",
    "class": "class not served",
    "dropped": "dropped by the controller",
    "resource-backend": "not a Service backend",
    "regex": "regex does not compile",
}
# The resolution diagnoses (services/diagnoses.py) by kind; every other one is about endpoints.
BACKEND_KINDS = {
    "SERVICE_MISSING": "service",
    "EXTERNAL_NAME_EMPTY": "service",
    "SERVICE_PORT_MISMATCH": "service-port",
    "SELECTOR_MATCHES_NOTHING": "selector",
}
REGEX_CHARS = frozenset(".^$*+?()[]{}|\\")
# A host for hostless rules when the controller's address is unknown: .example is reserved (RFC 2606), so no
# rule of the snapshot can name it and the request lands where hostless rules live.
ANY_HOST = "any-host.example"
WILDCARD_LABEL = "any"


@dataclass(slots=True)
class Route:
    """One row: a path of an Ingress as one controller installation applies it."""

    installation: str | None  # None: no installation of the snapshot serves the Ingress
    controller: str | None
    host: str | None  # None: any host (a rule without host, or a default backend)
    path: str
    match: str
    backend: dict[str, Any] | None  # {"namespace", "service", "port"}; None for a resource reference
    backend_text: str
    ingress: K8sObject
    rule: str  # "spec.rules[0].http.paths[1]" or "spec.defaultBackend"
    tls: dict[str, Any] | None = None  # {"secret": "ns/name" or None, "status"}
    default_backend: bool = False
    simulated: bool = True
    match_note: str = ""
    canary: str | None = None
    sample_url: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)
    # Sort key within the installation: hostless last, the host, then the place in the controller's own order.
    order: tuple[bool, str, float] = (False, "", 0.0)

    def to_dict(self) -> dict[str, Any]:
        ing = self.ingress
        return {
            "installation": self.installation,
            "controller": self.controller,
            "simulated": self.simulated,
            "host": self.host,
            "path": self.path,
            "match": self.match,
            "match_note": self.match_note,
            "backend": self.backend,
            "backend_text": self.backend_text,
            "default_backend": self.default_backend,
            "tls": self.tls,
            "canary": self.canary,
            "ingress": {**ing.ref(), "group": ing.group},
            "rule": self.rule,
            "sample_url": self.sample_url,
            "problems": self.problems,
        }


def problem(kind: str, severity: str, message: str, rule: str, *, code: str | None = None, fix: str = "") -> dict[str, Any]:
    return {
        "kind": kind,
        "title": PROBLEM_TITLES[kind],
        "code": code,
        "severity": severity,
        "message": message,
        "fix": fix,
        "rule": rule,
    }


def from_diagnosis(kind: str, d: Diagnosis) -> dict[str, Any]:
    return problem(kind, d.severity, d.message, d.rule, code=d.code, fix=d.fix)


class Backends:
    """Problems of each resolved backend, computed once per resolution (many rows share a Service)."""

    def __init__(self) -> None:
        self._seen: dict[int, list[dict[str, Any]]] = {}

    def problems(self, res: BackendResolution) -> list[dict[str, Any]]:
        found = self._seen.get(id(res))
        if found is None:
            found = self._seen[id(res)] = [
                from_diagnosis(BACKEND_KINDS.get(d.code, "endpoints"), d)
                for d in res.diagnoses
                if d.severity in ("error", "warning")
            ]
        return list(found)


# -- shared helpers ---------------------------------------------------------------------------------------


def service_text(ns: str, name: str, port: int | str | None) -> str:
    return f"Service {ns}/{name}:{port}" if port not in (None, "") else f"Service {ns}/{name}"


def raw_backend(ing: K8sObject, raw: Any) -> tuple[dict[str, Any] | None, str]:
    """(backend, text) of a backend as written (v1 ``service``/``resource``, v1beta1 ``serviceName``)."""
    ref = ingress_backend(ing, raw)
    if ref is not None:
        return {"namespace": ref.namespace, "service": ref.service, "port": ref.port}, service_text(
            ref.namespace, ref.service, ref.port
        )
    res = raw.get("resource") if isinstance(raw, dict) else None
    if isinstance(res, dict):
        group = f"{res.get('apiGroup')}/" if res.get("apiGroup") else ""
        return None, f"resource {group}{res.get('kind') or '?'} {res.get('name') or '?'}"
    return None, "no backend"


def declared_match(path_type: str, family: str | None) -> str:
    """The pathType as the family reads it when no compiled table says more (an Ingress it does not serve)."""
    if family in ("ingress-nginx", "ingress-spec"):
        if path_type in ("Exact", "Prefix"):
            return path_type
        # ingress-nginx#3.1; k8s-routing#I-16 (the portable model reads it as Prefix too)
        return f"{path_type or 'no pathType'} as Prefix"
    return path_type or "no pathType"


def ingress_paths(ing: K8sObject) -> Iterator[tuple[str | None, str, str, Any, str]]:
    """(host, path, pathType, backend, rule) of every path of an Ingress as written, then its defaultBackend."""
    for r, rule in enumerate(ing.spec.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        host = str(rule.get("host") or "").rstrip(".").lower() or None
        http = rule.get("http")
        for p, entry in enumerate((http.get("paths") if isinstance(http, dict) else None) or []):
            if isinstance(entry, dict):
                path = str(entry.get("path") or "") or "/"
                yield host, path, str(entry.get("pathType") or ""), entry.get("backend"), f"spec.rules[{r}].http.paths[{p}]"
    raw = ing.spec.get("defaultBackend") or ing.spec.get("backend")
    if raw:
        yield None, "/", "", raw, "spec.defaultBackend"


def spec_tls(ing: K8sObject, host: str | None) -> dict[str, Any] | None:
    """The spec.tls entry of the Ingress itself that lists the host (for Ingresses no table holds)."""
    if host is None:
        return None
    for entry in ing.spec.get("tls") or []:
        if isinstance(entry, dict) and host in {str(h).lower() for h in entry.get("hosts") or []}:
            name = str(entry.get("secretName") or "")
            return {"secret": f"{ing.namespace}/{name}" if name else None, "status": "as written"}
    return None


def sample_path(path: str, regex: bool) -> str:
    """A request path the route answers: the path itself, or for a regex its literal beginning."""
    if not regex:
        return path or "/"
    out: list[str] = []
    i = 0
    while i < len(path):
        c = path[i]
        if c == "\\" and i + 1 < len(path) and not path[i + 1].isalnum():
            c, step = path[i + 1], 2  # an escaped punctuation character stands for itself
        elif c in REGEX_CHARS and c != ".":
            break
        else:
            step = 1  # "." matches any character, itself included
        if i + step < len(path) and path[i + step] in "?*{":
            break  # the character is optional: leave it out
        out.append(c)
        i += step
    return "".join(out) or "/"


def sample_host(host: str | None, any_host: str, taken: set[str]) -> str:
    """A Host the rule's host covers: itself, one label for a wildcard (k8s-routing#I-11, ingress-nginx#2.2)."""
    if host is None:
        return any_host
    if host.startswith("*."):
        candidate = f"{WILDCARD_LABEL}.{host[2:]}"
        n = 1
        while candidate in taken:  # an exact host would take the request instead of the wildcard
            candidate = f"{WILDCARD_LABEL}-{n}.{host[2:]}"
            n += 1
        return candidate
    return host


def entry_host(plan: EntryPlan) -> str:
    """The controller's LoadBalancer address (what a client without a name uses), else a name no rule can match.
    (A node address is no use here: without the NodePort in the URL the request would miss the controller.)"""
    addresses = lb_addresses(plan.service) if plan.service is not None else []
    address = (addresses or [ANY_HOST])[0]
    return f"[{address}]" if ":" in address else address


def route_url(scheme_tls: bool, host: str, path: str) -> str:
    return f"{'https' if scheme_tls else 'http'}://{host}{path if path.startswith('/') else '/' + path}"
