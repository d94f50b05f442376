"""Traefik v2/v3 static configuration as routing needs it: entry points, the two Kubernetes providers' options,
the default servers transport, and the version (traefik#T34).

Read from the Traefik workload's configuration file when it mounts one, else from its arguments (the two are
mutually exclusive in Traefik). Without a workload the layout of Traefik's Helm chart is assumed (``web`` on 80,
``websecure`` on 443 with TLS, both providers on, every option at its default) and the settings say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...snapshot import Snapshot
from .workload import TraefikWorkload, Version, flag_map, port_of, text_value, truthy

LATEST: Version = (3, 6, 0)  # the version assumed when the image tag names none
LAST_V2: Version = (2, 11, 0)  # assumed without a workload when the snapshot's resources are traefik.containo.us only
MAX_INT = 2**63 - 1


@dataclass(slots=True)
class EntryPoint:
    name: str
    port: int | None
    tls: bool = False  # http.tls: every router on it is a TLS router (traefik#T10)
    as_default: bool = False
    redirect_to: str | None = None  # http.redirections.entryPoint.to: an entry point name or ":port" (traefik#T11)
    redirect_scheme: str = "https"
    redirect_permanent: bool = True


@dataclass(slots=True)
class ProviderOptions:
    enabled: bool
    ingress_class: str = ""
    namespaces: tuple[str, ...] = ()
    label_selector: str = ""
    allow_external_name: bool = False
    allow_empty_services: bool = False
    allow_cross_namespace: bool = False  # CRD provider only
    strict_prefix_matching: bool = False  # Ingress provider only (v3.5+)


@dataclass(slots=True)
class Settings:
    version: Version
    version_known: bool
    source: str
    assumed: bool
    entry_points: dict[str, EntryPoint]
    ingress: ProviderOptions
    crd: ProviderOptions
    insecure_skip_verify: bool = False  # serversTransport.insecureSkipVerify (traefik#T30)
    root_cas: bool = False
    default_rule_syntax: str = "v3"
    notes: list[str] = field(default_factory=list)

    @property
    def v2(self) -> bool:
        return self.version[0] < 3

    def at_least(self, *version: int) -> bool:
        return self.version >= version

    def default_entry_points(self) -> list[str]:
        """Entry points of a router that names none: those marked asDefault, else all of them (traefik#T9)."""
        marked = [n for n, ep in self.entry_points.items() if ep.as_default]
        return marked or list(self.entry_points)

    def label(self) -> str:
        version = ".".join(str(p) for p in self.version[:2])
        return f"Traefik v{version}" + ("" if self.version_known else " (version assumed)")


def helm_defaults() -> dict[str, Any]:
    """What Traefik's Helm chart sets up, as the client sees it: web on 80 and websecure on 443 with TLS (the
    chart's Service ports in front of the pod's 8000 and 8443), both Kubernetes providers on."""
    return {
        "entrypoints.web.address": ":80",
        "entrypoints.websecure.address": ":443",
        "entrypoints.websecure.http.tls": "true",
        "providers.kubernetescrd": "true",
        "providers.kubernetesingress": "true",
    }


def _assumed_version(snapshot: Snapshot | None) -> Version:
    """Without a workload: v2.11 when the snapshot's Traefik resources all use the v2 API group, else the latest."""
    if snapshot is None:
        return LATEST
    groups = {o.group for kind in ("IngressRoute", "Middleware") for o in snapshot.of_kind(kind)}
    return LAST_V2 if "traefik.containo.us" in groups and "traefik.io" not in groups else LATEST


def load_settings(workload: TraefikWorkload | None, snapshot: Snapshot | None = None) -> Settings:
    """The settings of one workload, or the assumed ones when the snapshot has no Traefik workload."""
    if workload is None:
        values = helm_defaults()
        version, known, assumed = _assumed_version(snapshot), False, True
        source = (f"no Traefik workload in the snapshot: assumed Traefik v{version[0]}.{version[1]} with the layout of "
                  "its Helm chart (entry points web on port 80 and websecure on 443 with TLS, both Kubernetes "
                  "providers on, every option at its default)")
    else:
        known = workload.version is not None
        version = workload.version or LATEST
        assumed = False
        if workload.config:
            values = workload.config
            source = f"the configuration file of {workload.label}: {workload.config_source}"
        else:
            values = flag_map(workload.args)
            source = f"the arguments of {workload.label}"
    return _settings(values, version, known, source, assumed, workload)


def _settings(values: dict[str, Any], version: Version, known: bool, source: str, assumed: bool,
              workload: TraefikWorkload | None) -> Settings:
    def get(key: str) -> Any:
        return values.get(key.lower())

    entry_points = _entry_points(values)
    notes = list(workload.problems) if workload is not None else []
    if not entry_points:
        # Traefik's own default when no entry point is configured: one named http on port 80.
        entry_points = {"http": EntryPoint("http", 80)}
        notes.append(f"{source} define no entry point: Traefik's default, http on port 80, applies")
    ingress = _provider(values, "providers.kubernetesingress", version)
    crd = _provider(values, "providers.kubernetescrd", version)
    crd.allow_cross_namespace = truthy(get("providers.kubernetescrd.allowcrossnamespace"), version < (2, 4, 0))
    ingress.strict_prefix_matching = version >= (3, 5, 0) and truthy(
        get("providers.kubernetesingress.strictprefixmatching"))
    if not ingress.enabled and not crd.enabled:
        notes.append(f"{source} enable neither the kubernetesingress nor the kubernetescrd provider: Traefik reads "
                     "no Ingress and no IngressRoute")
    syntax = text_value(get("core.defaultrulesyntax")).lower() or "v3"
    return Settings(
        version=version,
        version_known=known,
        source=source,
        assumed=assumed,
        entry_points=entry_points,
        ingress=ingress,
        crd=crd,
        insecure_skip_verify=truthy(get("serverstransport.insecureskipverify")),
        root_cas=bool(get("serverstransport.rootcas")),
        default_rule_syntax="v2" if version[0] < 3 else ("v2" if syntax == "v2" else "v3"),
        notes=notes,
    )


def _provider(values: dict[str, Any], prefix: str, version: Version) -> ProviderOptions:
    enabled = any(k == prefix or k.startswith(prefix + ".") for k in values) and truthy(values.get(prefix), True)
    ns = text_value(values.get(prefix + ".namespaces"))
    return ProviderOptions(
        enabled=enabled,
        ingress_class=text_value(values.get(prefix + ".ingressclass")),
        namespaces=tuple(n.strip() for n in ns.split(",") if n.strip()),
        label_selector=text_value(values.get(prefix + ".labelselector")),
        # Refused by default since v2.4.10 (traefik#T15).
        allow_external_name=truthy(values.get(prefix + ".allowexternalnameservices"), version < (2, 4, 10)),
        allow_empty_services=truthy(values.get(prefix + ".allowemptyservices")),
    )


def _entry_points(values: dict[str, Any]) -> dict[str, EntryPoint]:
    names: dict[str, str] = {}
    for key in values:
        if key.startswith("entrypoints."):
            name = key.split(".")[1]
            names.setdefault(name, name)
    out: dict[str, EntryPoint] = {}
    for name in names:
        p = f"entrypoints.{name}"
        address = values.get(p + ".address")
        if address is None:
            continue
        tls = any(k == p + ".http.tls" or k.startswith(p + ".http.tls.") for k in values) and truthy(
            values.get(p + ".http.tls"), True)
        redirect = p + ".http.redirections.entrypoint"
        to = text_value(values.get(redirect + ".to")) or None
        out[name] = EntryPoint(
            name,
            port_of(address),
            tls=tls,
            as_default=truthy(values.get(p + ".asdefault")),
            redirect_to=to,
            redirect_scheme=text_value(values.get(redirect + ".scheme")) or "https",
            redirect_permanent=truthy(values.get(redirect + ".permanent"), True),
        )
    return out


__all__ = ["MAX_INT", "EntryPoint", "ProviderOptions", "Settings", "load_settings"]
