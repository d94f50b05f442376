"""The certificate Traefik presents for an HTTPS request (traefik#T10, #T18; 1.7: traefik#T47).

Traefik loads the certificates of the TLS Secrets its routes name (Ingress ``spec.tls``, IngressRoute
``tls.secretName``) into one store and picks one by the SNI against each certificate's own names; the hosts an
Ingress lists in ``spec.tls`` play no part. A certResolver (ACME) obtains one for the route's domains. Without a
match Traefik serves its self-signed default certificate (CN ``TRAEFIK DEFAULT CERT``), which browsers refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...certs import certificate_info
from ...request import Request
from ...result import Diagnosis, RequestTrace
from ...snapshot import K8sObject, Snapshot


@dataclass(slots=True)
class CertSource:
    label: str
    hosts: tuple[str, ...]
    read_from_certificate: bool  # False: the names are the ones the manifests declare (assumed)
    objects: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Certificates:
    exact: dict[str, list[CertSource]] = field(default_factory=dict)
    wildcard: dict[str, list[CertSource]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # 1.7 entry point certificates read from files in the pod

    def _index(self, source: CertSource) -> None:
        for host in source.hosts:
            if host.startswith("*."):
                self.wildcard.setdefault(host[2:], []).append(source)
            elif host:
                self.exact.setdefault(host, []).append(source)

    def add_secret(self, snapshot: Snapshot, namespace: str, name: str, declared: list[str], origin: K8sObject,
                   where: str) -> None:
        secret = snapshot.get("Secret", namespace, name)
        if secret is None and snapshot.of_kind("Secret"):
            return  # the snapshot shows Secrets but not this one: Traefik logs the error and loads nothing
        info = certificate_info(secret) if secret is not None else None
        objects = [origin.ref()] + ([secret.ref()] if secret is not None else [])
        label = f"Secret {namespace}/{name} ({origin.kind} {origin.namespace}/{origin.name} {where})"
        if secret is None:
            label += ", not in the snapshot: assumed to exist"
        if info is not None:
            self._index(CertSource(label, info.hosts, True, objects))
        else:
            self._index(CertSource(label, tuple(h.lower() for h in declared), False, objects))

    def add_resolver(self, resolver: str, hosts: list[str], origin: K8sObject) -> None:
        label = f"certResolver {resolver} ({origin.kind} {origin.namespace}/{origin.name}): obtained for its domains"
        self._index(CertSource(label, tuple(h.lower() for h in hosts), False, [origin.ref()]))

    def lookup(self, sni: str) -> CertSource | None:
        found = self.exact.get(sni) or self.wildcard.get(sni.partition(".")[2])
        return found[0] if found else None

    def check(self, request: Request, trace: RequestTrace, rule: str, label: str) -> dict[str, Any] | None:
        """The hop's ``tls`` details for an HTTPS request (None for plain HTTP), with a diagnosis when Traefik
        falls back to its default certificate."""
        if request.scheme not in ("https", "wss"):
            return None
        sni = (request.tls_server_name or request.host).lower()
        source = self.lookup(sni)
        if source is not None:
            info: dict[str, Any] = {"sni": sni, "certificate": source.label}
            if not source.read_from_certificate:
                info["note"] = "names as the manifests declare them: the certificate itself is not in the snapshot"
            return info
        if self.files:
            return {"sni": sni, "certificate": f"{self.files[0]} (a file in the pod, not in the snapshot: assumed to "
                                               f"cover {sni})"}
        trace.add_diagnosis(Diagnosis(
            "TLS_HOST_NOT_COVERED",
            "warning",
            f"No certificate {label} loaded covers {sni}, so it presents its self-signed default certificate "
            "(TRAEFIK DEFAULT CERT), which browsers refuse unless told to accept it.",
            f"Add a TLS Secret whose certificate covers {sni} to the route (spec.tls of the Ingress, tls.secretName of "
            "the IngressRoute) or use a certResolver.",
            rule,
            [],
        ))
        return {"sni": sni, "certificate": "TRAEFIK DEFAULT CERT (self-signed)"}


__all__ = ["CertSource", "Certificates"]
