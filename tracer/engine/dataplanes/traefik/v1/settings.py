"""Traefik 1.7's static configuration as routing needs it (traefik#T46): entry points, defaultEntryPoints, the
Kubernetes provider's options, insecureSkipVerify.

Read from traefik.toml (a ConfigMap mounted into the pod, as the stable/traefik Helm chart does) and then from the
command line, which overrides the file (1.7 merges both). Without a workload, an ``http`` entry point on 80 and an
``https`` one on 443 with TLS are assumed, both default, as the chart sets them up with ssl.enabled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..workload import TraefikWorkload, flag_map, port_of, text_value, truthy


@dataclass(slots=True)
class V1EntryPoint:
    name: str
    port: int | None
    tls: bool = False
    cert_files: list[str] = field(default_factory=list)
    redirect_to: str | None = None  # redirect.entryPoint: every request is redirected (traefik#T43)
    redirect_regex: str | None = None
    redirect_replacement: str | None = None
    redirect_permanent: bool = False


@dataclass(slots=True)
class V1Settings:
    source: str
    assumed: bool
    entry_points: dict[str, V1EntryPoint]
    default_entry_points: list[str]
    kubernetes: bool = True
    ingress_class: str = ""
    label_selector: str = ""
    namespaces: tuple[str, ...] = ()
    insecure_skip_verify: bool = False
    pass_host_headers: bool = True
    notes: list[str] = field(default_factory=list)

    def entry_point(self, name: str) -> V1EntryPoint | None:
        found = self.entry_points.get(name)
        if found is None:
            found = next((e for n, e in self.entry_points.items() if n.lower() == name.lower()), None)
        return found


def load_v1_settings(workload: TraefikWorkload | None) -> V1Settings:
    if workload is None:
        eps = {"http": V1EntryPoint("http", 80), "https": V1EntryPoint("https", 443, tls=True)}
        return V1Settings(
            "no Traefik 1.7 workload in the snapshot: assumed entry points http on 80 and https on 443 with TLS, both "
            "default, the Kubernetes provider on, insecureSkipVerify off", True, eps, ["http", "https"])
    values = dict(workload.config)
    flags = flag_map(workload.args)
    cli_eps = flags.pop("entrypoints", None)
    values.update(flags)
    source = f"the arguments of {workload.label}"
    if workload.config:
        source = f"{workload.config_source} and the arguments of {workload.label}"
    eps = _toml_entry_points(values)
    for spec in (cli_eps if isinstance(cli_eps, list) else [cli_eps] if cli_eps else []):
        ep = _cli_entry_point(str(spec))
        if ep is not None:
            eps[ep.name] = ep
    notes = list(workload.problems)
    if not eps:
        eps = {"http": V1EntryPoint("http", 80)}
        notes.append(f"{source} define no entry point: Traefik 1.7's default, http on port 80, applies")
    default = values.get("defaultentrypoints")
    defaults = [str(d).strip() for d in (default if isinstance(default, list) else text_value(default).split(","))
                if str(d).strip()] or ["http"]
    kubernetes = "kubernetes" in values or any(k.startswith("kubernetes.") for k in values)
    if not kubernetes:
        notes.append(f"{source} do not enable the Kubernetes provider (--kubernetes or a [kubernetes] section): "
                     "Traefik 1.7 reads no Ingress")
    ns = values.get("kubernetes.namespaces")
    namespaces = ns if isinstance(ns, list) else [n for n in text_value(ns).split(",") if n]
    return V1Settings(
        source=source,
        assumed=False,
        entry_points=eps,
        default_entry_points=defaults,
        kubernetes=kubernetes,
        ingress_class=text_value(values.get("kubernetes.ingressclass")),
        label_selector=text_value(values.get("kubernetes.labelselector")),
        namespaces=tuple(str(n).strip() for n in namespaces if str(n).strip()),
        insecure_skip_verify=truthy(values.get("insecureskipverify")),
        pass_host_headers=not truthy(values.get("kubernetes.disablepasshostheaders")),
        notes=notes,
    )


def _toml_entry_points(values: dict[str, Any]) -> dict[str, V1EntryPoint]:
    out: dict[str, V1EntryPoint] = {}
    names = {k.split(".")[1] for k in values if k.startswith("entrypoints.") and k.count(".") >= 2}
    for name in sorted(names):
        p = f"entrypoints.{name}"
        if p + ".address" not in values:
            continue
        tls = values.get(p + ".tls") is True or any(k.startswith(p + ".tls.") for k in values)
        certs = values.get(p + ".tls.certificates")
        files = [str(v) for c in certs or [] if isinstance(c, dict) for k, v in c.items() if k.lower() == "certfile"]
        out[name] = V1EntryPoint(
            name, port_of(values[p + ".address"]), tls=tls, cert_files=[f for f in files if f],
            redirect_to=text_value(values.get(p + ".redirect.entrypoint")) or None,
            redirect_regex=text_value(values.get(p + ".redirect.regex")) or None,
            redirect_replacement=text_value(values.get(p + ".redirect.replacement")) or None,
            redirect_permanent=truthy(values.get(p + ".redirect.permanent")),
        )
    return out


def _cli_entry_point(spec: str) -> V1EntryPoint | None:
    """``Name:https Address::443 TLS Redirect.EntryPoint:https`` (options separated by spaces, names without case)."""
    opts: dict[str, str] = {}
    for part in spec.strip("'\"").split():
        key, _, value = part.partition(":")
        opts[key.lower()] = value
    name = opts.get("name")
    if not name:
        return None
    tls_value = opts.get("tls")
    return V1EntryPoint(
        name, port_of(opts.get("address", "")), tls=tls_value is not None,
        cert_files=[c.split(",")[0] for c in (tls_value or "").split(";") if c],
        redirect_to=opts.get("redirect.entrypoint") or None,
        redirect_regex=opts.get("redirect.regex") or None,
        redirect_replacement=opts.get("redirect.replacement") or None,
        redirect_permanent=truthy(opts.get("redirect.permanent")),
    )


__all__ = ["V1EntryPoint", "V1Settings", "load_v1_settings"]
