"""Ingresses as HTTPRoute rules (drafts), and drafts as HTTPRoutes per Ingress and host.

An HTTPRoute has one set of hostnames, so an Ingress with several hosts becomes one HTTPRoute per host (a rule
without host: one without hostnames). Hosts with a certificate are served on their HTTPS listener; on the HTTP
listener they get the HTTPS redirect where ingress-nginx sends one (ingress-nginx#5.1), else the same rules.
Service ports are resolved as ingress-nginx does (ingress-nginx#6.2: the port, the targetPort or the port name);
a backendRef needs the Service port number (k8s-routing#G-4). At most 16 rules per HTTPRoute (G-5).
"""

from __future__ import annotations

from typing import Any

from ..dataplanes.ingress_nginx.model import ingress_backend
from ..snapshot import K8sObject, Snapshot
from .drafts import Draft
from .filters import backend_protocol, ingress_filters, timeouts
from .gateway import listener_name
from .model import GATEWAY_V1, RULES_ANNOTATION, Notification, RuleOrigin, meta
from .paths import translate_path
from .redirects import annotation_redirect, app_root, exempt, https_redirect
from .source import NginxSource, ingress_key, paths_of

MAX_RULES = 16


def service_port(snapshot: Snapshot, namespace: str, name: str, port: int | str) -> int | None:
    """The Service port number an Ingress backend port selects (ingress-nginx#6.2), or None."""
    svc = snapshot.get("Service", namespace, name)
    if svc is None:
        return port if isinstance(port, int) else None
    for entry in svc.spec.get("ports") or []:
        if not isinstance(entry, dict):
            continue
        if str(entry.get("port")) == str(port) or str(entry.get("targetPort")) == str(port) or entry.get("name") == port:
            number = str(entry.get("port"))
            return int(number) if number.isdigit() else None
    return None


def ingress_drafts(src: NginxSource, ing: K8sObject, snapshot: Snapshot, notes: list[Notification],
                   common: dict[str, Any] | None) -> tuple[list[Draft], list[dict[str, Any]]]:
    """The drafts of one Ingress, and the BackendTLSPolicies its backend-protocol asks for."""
    ann = src.annotations(ing)
    name = ingress_key(ing)
    obj = f"Ingress {name}"
    redirect = annotation_redirect(ann, obj, notes)
    out: list[Draft] = []
    services: list[tuple[str, str, int]] = []
    root = app_root(ann)
    hosts_seen: list[str | None] = []
    for i, j, host, entry in paths_of(ing):
        if host not in hosts_seen:
            hosts_seen.append(host)
        where = f"spec.rules[{i}].http.paths[{j}]"
        ref = ingress_backend(ing, entry.get("backend"))
        path = str(entry.get("path") or "/")
        if ref is None:
            notes.append(Notification("info", obj, None, f"{where} has a resource backend, which ingress-nginx skips "
                                      "(404); not translated", "translation", ("ingress-nginx#3.2",), host, path))
            continue
        port = service_port(snapshot, ref.namespace, ref.service, ref.port)
        if port is None:
            notes.append(Notification("warning", obj, None, f"{where}: Service {ref.namespace}/{ref.service} has no "
                                      f"port {ref.port} (or is not in the snapshot), and a backendRef needs the port "
                                      "number; not translated", "translation", ("ingress-nginx#6.2",), host, path))
            continue
        plan = translate_path(src, name, ann, host, entry)
        notes.extend(plan.notes)
        if plan.match is None:
            continue
        draft = Draft(name, host, where, plan.match, path, "Exact" if entry.get("pathType") == "Exact" else "Prefix",
                      plan.regex, ingress_filters(ing, ann, snapshot, notes, rewrite=plan.rewrite, common=common),
                      [{"name": ref.service, "port": port}], redirect, timeouts(ing, ann, []),
                      (ref.namespace, ref.service, port), not exempt(src, path))
        services.append((ref.namespace, ref.service, port))
        out.append(draft)
    if out:
        out[0].timeouts = timeouts(ing, ann, notes)  # the notes once per Ingress
        for d in out[1:]:
            d.timeouts = dict(out[0].timeouts)
    if root is not None:
        for host in hosts_seen:
            out.insert(0, Draft(name, host, "annotation app-root", {"path": {"type": "Exact", "value": "/"}},
                                redirect=root))
    default = ingress_backend(ing, ing.spec.get("defaultBackend"))
    if default is not None:
        port = service_port(snapshot, default.namespace, default.service, default.port)
        if port is not None:
            out.append(Draft(name, None, "spec.defaultBackend", {"path": {"type": "PathPrefix", "value": "/"}},
                             backends=[{"name": default.service, "port": port}],
                             upstream=(default.namespace, default.service, port)))
            notes.append(Notification("info", obj, None, "spec.defaultBackend translated as an HTTPRoute without "
                                      "hostnames: it takes requests for hosts no other route names; ingress-nginx "
                                      "also used it for the unmatched paths of the hosts this Ingress created first",
                                      "ingress-nginx-only", ("ingress-nginx#3.2",)))
    return out, backend_protocol(ing, ann, services, notes)


def route_objects(src: NginxSource, drafts: list[Draft], gateway: str, origins: list[RuleOrigin]
                  ) -> list[dict[str, Any]]:
    """The HTTPRoutes of one installation's drafts: per Ingress and host, HTTPS-served and HTTP-redirected."""
    groups: dict[tuple[str, str | None], list[Draft]] = {}
    for d in drafts:
        groups.setdefault((d.ingress, d.host), []).append(d)
    per_ingress: dict[str, int] = {}
    for ingress, _host in groups:
        per_ingress[ingress] = per_ingress.get(ingress, 0) + 1
    out: list[dict[str, Any]] = []
    for (ingress, host), group in groups.items():
        namespace, _, ing_name = ingress.partition("/")
        base = ing_name if per_ingress[ingress] == 1 else f"{ing_name}-{_slug(host)}"
        http_ref = {"name": gateway, "namespace": src.namespace, "sectionName": "http"}
        listener_host = _listener_host(src, host) if host is not None else None
        ing = next(i for i in src.ingresses if ingress_key(i) == ingress)
        redirect_conf = https_redirect(src, src.annotations(ing), host)
        if listener_host is not None:
            https_ref = {"name": gateway, "namespace": src.namespace,
                         "sectionName": listener_name(listener_host)}
            if redirect_conf is None:
                out += _routes(base, namespace, host, [http_ref, https_ref], group, origins, ingress)
            else:
                out += _routes(base, namespace, host, [https_ref], group, origins, ingress)
                http = [d.redirected(redirect_conf) if d.https_redirect and d.redirect is None else d for d in group]
                out += _routes(f"{base}-http", namespace, host, [http_ref], http, origins, ingress)
        elif redirect_conf is not None:  # force-ssl-redirect without a certificate: ingress-nginx redirects anyway
            http = [d.redirected(redirect_conf) if d.https_redirect and d.redirect is None else d for d in group]
            out += _routes(base, namespace, host, [http_ref], http, origins, ingress)
        else:
            out += _routes(base, namespace, host, [http_ref], group, origins, ingress)
    return out


def _listener_host(src: NginxSource, host: str) -> str | None:
    if host in src.tls_hosts:
        return host if src.tls_hosts[host][1] is not None or src.config.default_ssl_certificate else None
    parent = f"*.{host.partition('.')[2]}"
    if parent in src.tls_hosts:
        return parent if src.tls_hosts[parent][1] is not None or src.config.default_ssl_certificate else None
    return None


def _slug(host: str | None) -> str:
    return (host or "any-host").replace("*", "wildcard").replace(".", "-")


def _routes(base: str, namespace: str, host: str | None, parents: list[dict[str, Any]], drafts: list[Draft],
            origins: list[RuleOrigin], ingress: str) -> list[dict[str, Any]]:
    out = []
    chunks = [drafts[k:k + MAX_RULES] for k in range(0, len(drafts), MAX_RULES)]
    for n, chunk in enumerate(chunks):
        name = base if n == 0 else f"{base}-{n + 1}"
        key = f"{namespace}/{name}"
        lines = []
        for r, d in enumerate(chunk):
            origin = RuleOrigin(key, r, d.ingress, d.host, d.path, d.where, d.regex)
            origins.append(origin)
            lines.append(f"rules[{r}]: {d.where}" + (f" ({d.path})" if d.path is not None else ""))
        metadata = meta(name, namespace, source=f"Ingress {ingress}")
        metadata["annotations"][RULES_ANNOTATION] = "\n".join(lines)
        spec: dict[str, Any] = {"parentRefs": [dict(p) for p in parents]}
        if host is not None:
            spec["hostnames"] = [host]
        spec["rules"] = [d.rule() for d in chunk]
        out.append({"apiVersion": GATEWAY_V1, "kind": "HTTPRoute", "metadata": metadata, "spec": spec})
    return out

