"""Compiling a snapshot into the portable Ingress route table (docs/rules/k8s-routing.md I-1..I-8,
I-18..I-21): which Ingresses this controller serves, validation, and the host/path/TLS indexes."""

from __future__ import annotations

from typing import Any, NamedTuple

from ...context import EngineContext
from ...k8s import LEGACY_CLASS_ANNOTATION, default_ingress_class
from ...options import Options
from ...result import Diagnosis
from ...snapshot import K8sObject, Snapshot
from .index import Backend, HostIndex, PathEntry, Unserved
from .paths import PATH_TYPES, invalid_host, invalid_path
from .route import SpecRouter
from .tls import TlsIndex


class Problem(NamedTuple):
    """Why an Ingress is invalid or not served, and the rule its diagnosis cites. Shape problems no
    I-rule covers (a rule or path that is not a mapping, a missing backend) cite I-1."""

    text: str
    rule: str


class IngressSpecTable(SpecRouter):
    family = "ingress-spec"

    def __init__(self, snapshot: Snapshot, options: Options, context: EngineContext) -> None:
        self.snapshot = snapshot
        self.options = options
        self.context = context  # the compiling Engine's own Service index and memos
        self.index = HostIndex()
        self.unserved_index: dict[str | None, list[Unserved]] = {}  # host (None = host-less) -> ingresses
        self.unserved: list[Unserved] = []
        self.tls = TlsIndex()
        self.default_backends: list[tuple[K8sObject, Backend]] = []
        self.served: list[K8sObject] = []
        self._sample: list[str] | None = None
        self.notes: dict[tuple[str | None, str], str] = {}  # ingress key -> class note (assumed class...)
        self.classes = snapshot.of_kind("IngressClass")
        self.claimed = self._claimed_classes()
        self.default_class = default_ingress_class(snapshot)
        for ing in sorted(snapshot.of_kind("Ingress"), key=_age_key):
            self._add_ingress(ing)

    # -- class selection -------------------------------------------------------------------------

    def _claimed_classes(self) -> list[K8sObject]:
        wanted = self.options.controller_class
        if wanted is None:
            return list(self.classes)  # the portable model stands in for whatever controller owns them
        return [c for c in self.classes if str(c.spec.get("controller") or "") == wanted]

    def _class_decision(self, ing: K8sObject) -> tuple[bool, str, str]:
        """Whether this controller serves ``ing`` (I-1..I-4), why, and the rule a diagnosis cites."""
        field_cls = ing.spec.get("ingressClassName")
        ann_cls = ing.annotations.get(LEGACY_CLASS_ANNOTATION)
        if field_cls and ann_cls is not None:
            return (
                False,
                f"sets both spec.ingressClassName and the {LEGACY_CLASS_ANNOTATION} annotation; "
                "the API server rejects it (I-2)",
                "k8s-routing#I-2",
            )
        name = str(field_cls or ann_cls or "")
        how = "spec.ingressClassName" if field_cls else (f"annotation {LEGACY_CLASS_ANNOTATION}" if ann_cls else "")
        if not name:
            if self.default_class is not None:
                name = self.default_class.name
                how = "the default IngressClass (admission defaulting, I-3)"
            elif not self.classes:
                return (
                    True,
                    "no class and no IngressClass in the snapshot: class-less Ingress accepted (I-4)",
                    "k8s-routing#I-4",
                )
            else:
                return False, "names no class and no IngressClass is marked default (I-4)", "k8s-routing#I-4"
        claimed = {c.name for c in self.claimed}
        if not self.classes:
            return (
                True,
                f"class {name!r} via {how}; IngressClass {name} is not in the snapshot, assumed served",
                "k8s-routing#I-1",
            )
        if name in claimed:
            return True, f"class {name!r} via {how} (I-1)", "k8s-routing#I-1"
        cls = next((c for c in self.classes if c.name == name), None)
        if cls is None:
            return False, f"class {name!r} via {how} does not exist (I-1)", "k8s-routing#I-1"
        owner = cls.spec.get("controller")
        held = f"belongs to controller {owner!r}" if owner else "has no spec.controller"
        return False, f"class {name!r} {held}, not {self.options.controller_class!r} (I-1)", "k8s-routing#I-1"

    # -- validation ------------------------------------------------------------------------------

    def _validate(self, ing: K8sObject) -> tuple[list[tuple[int, str | None, list[Any] | None]], Problem | None]:
        """Rules as (index, host, paths or None), or the first I-5..I-8 validation problem."""
        spec = ing.spec
        rules = spec.get("rules") or []
        if not rules and not (spec.get("defaultBackend") or spec.get("backend")):
            return [], Problem("has neither spec.rules nor spec.defaultBackend (I-5)", "k8s-routing#I-5")
        out = []
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                return [], Problem(f"rules[{i}] is not a mapping", "k8s-routing#I-1")
            host = str(rule.get("host") or "").lower() or None
            if host:
                bad = invalid_host(host)
                if bad:
                    return [], Problem(f"rules[{i}].host {host!r} {bad} (I-7)", "k8s-routing#I-7")
            http = rule.get("http")
            paths = None if not isinstance(http, dict) else list(http.get("paths") or [])
            out.append((i, host, paths))
        return out, None

    def _legacy(self, ing: K8sObject) -> bool:
        return ing.api_version in ("extensions/v1beta1", "networking.k8s.io/v1beta1")

    def _backend(self, raw: Any, ing: K8sObject) -> Backend | Problem:
        if not isinstance(raw, dict):
            return Problem("backend is missing", "k8s-routing#I-1")
        if self._legacy(ing) and raw.get("serviceName"):
            port = raw.get("servicePort")
            return Backend(service=str(raw["serviceName"]), port=port if isinstance(port, int) else str(port))
        svc, res = raw.get("service"), raw.get("resource")
        if bool(svc) == bool(res):
            return Problem("a backend must be exactly one of service or resource (I-8)", "k8s-routing#I-8")
        if res:
            if not isinstance(res, dict):
                return Problem("backend.resource must be a mapping (I-8)", "k8s-routing#I-8")
            return Backend(resource=dict(res))
        if not isinstance(svc, dict):
            return Problem("backend.service must be a mapping (I-8)", "k8s-routing#I-8")
        port = svc.get("port")
        if not isinstance(port, dict):
            port = {}
        number, name = port.get("number"), port.get("name")
        if (number is None) == (name is None):
            return Problem(
                f"service {repr(svc['name']) if svc.get('name') else '(unnamed)'} port needs exactly one of number or "
                "name (I-8)",
                "k8s-routing#I-8",
            )
        return Backend(service=str(svc.get("name") or ""), port=int(number) if number is not None else str(name))

    def _paths(
        self, ing: K8sObject, rules: list[tuple[int, str | None, list[Any] | None]]
    ) -> tuple[list[PathEntry], list[tuple[str | None, int]], Problem | None]:
        """Path entries and rules without an http block (I-21), or the first I-6/I-8 problem."""
        entries: list[PathEntry] = []
        order = (ing.creation_timestamp or "~", ing.namespace or "", ing.name)
        no_http: list[tuple[str | None, int]] = []
        for i, host, paths in rules:
            if paths is None:
                no_http.append((host, i))
                continue
            for j, p in enumerate(paths):
                where = f"rules[{i}].http.paths[{j}]"
                if not isinstance(p, dict):
                    return entries, no_http, Problem(f"{where} is not a mapping", "k8s-routing#I-1")
                path_type = p.get("pathType") or ("ImplementationSpecific" if self._legacy(ing) else None)
                path = str(p.get("path") or "")
                if path_type is None:
                    # networking.k8s.io/v1 requires it: the API server refuses such an Ingress on create.
                    return entries, no_http, Problem(
                        f"{where}.pathType is missing; the API server rejects a networking.k8s.io/v1 Ingress path "
                        f"without one (one of {', '.join(PATH_TYPES)}) (I-6)",
                        "k8s-routing#I-6",
                    )
                if path_type not in PATH_TYPES:
                    return entries, no_http, Problem(
                        f"{where}.pathType {path_type!r} is not one of {', '.join(PATH_TYPES)} (I-6)",
                        "k8s-routing#I-6",
                    )
                if path_type != "ImplementationSpecific":
                    bad = invalid_path(path)
                    if bad:
                        return entries, no_http, Problem(f"{where}.path {path!r} {bad} (I-6)", "k8s-routing#I-6")
                elif path and not path.startswith("/"):
                    return entries, no_http, Problem(f"{where}.path {path!r} must start with / (I-6)", "k8s-routing#I-6")
                backend = self._backend(p.get("backend"), ing)
                if isinstance(backend, Problem):
                    return entries, no_http, Problem(f"{where}: {backend.text}", backend.rule)
                entries.append(PathEntry(ing, i, j, host, path or "/", path_type, backend, (*order, i, j)))
        return entries, no_http, None

    # -- one Ingress -----------------------------------------------------------------------------

    def _add_ingress(self, ing: K8sObject) -> None:
        rules, problem = self._validate(ing)
        entries: list[PathEntry] = []
        no_http: list[tuple[str | None, int]] = []
        if problem is None:
            entries, no_http, problem = self._paths(ing, rules)
        default: Backend | None = None
        raw_default = ing.spec.get("defaultBackend") or ing.spec.get("backend")
        if raw_default and problem is None:
            found = self._backend(raw_default, ing)
            if isinstance(found, Problem):
                problem = Problem(f"defaultBackend: {found.text}", found.rule)
            else:
                default = found
        if problem is not None:
            self._ignore(ing, f"is invalid: {problem.text}", problem.rule, invalid=True)
            return
        served, reason, rule_id = self._class_decision(ing)
        if not served:
            self._ignore(ing, reason, rule_id, invalid=False)
            return
        self.served.append(ing)
        self.notes[(ing.namespace, ing.name)] = reason
        for entry in entries:
            self.index.bucket(entry.host).add(entry)
        for host, i in no_http:
            self.index.bucket(host).no_http.append((ing, i))
        if default is not None:
            self.default_backends.append((ing, default))
        self.tls.add(ing)

    def _ignore(self, ing: K8sObject, reason: str, rule_id: str, *, invalid: bool) -> None:
        diag = Diagnosis(
            "INGRESS_NOT_SERVED",
            "error" if invalid else "warning",
            f"Ingress {ing.namespace}/{ing.name} {reason}; this controller ignores it.",
            "Fix the validation error." if invalid else "Set spec.ingressClassName to a class this controller owns.",
            rule_id,
            [ing.ref()],
        )
        rec = Unserved(ing, reason, diag)
        self.unserved.append(rec)
        hosts = {str(r.get("host") or "").lower() or None for r in ing.spec.get("rules") or [] if isinstance(r, dict)}
        for h in hosts or {None}:
            self.unserved_index.setdefault(h, []).append(rec)

    # -- RouteTable API --------------------------------------------------------------------------

    def controller_objects(self) -> list[K8sObject]:
        return list(self.claimed)

    def describe(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "served_ingresses": len(self.served),
            "ignored_ingresses": [
                {"namespace": u.ingress.namespace, "name": u.ingress.name, "reason": u.reason} for u in self.unserved
            ],
            "hosts": len(self.index.exact) + len(self.index.wildcard) + (1 if self.index.hostless else 0),
            "default_class": self.default_class.name if self.default_class else None,
            "default_backend": (
                f"{self.default_backends[0][0].namespace}/{self.default_backends[0][0].name}"
                if self.default_backends
                else None
            ),
        }


def _age_key(ing: K8sObject) -> tuple[str, str, str]:
    # Missing timestamps sort last ("~" > digits): uploaded manifests usually have none.
    return (ing.creation_timestamp or "~", ing.namespace or "", ing.name)
