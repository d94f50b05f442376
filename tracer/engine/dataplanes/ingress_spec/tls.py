"""TLS on served Ingresses (docs/rules/k8s-routing.md I-25..I-27): which spec.tls entry covers a
server name, and what the controller presents for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...request import Request
from ...result import Diagnosis, RequestTrace
from ...snapshot import K8sObject, Snapshot


@dataclass(slots=True)
class TlsEntry:
    ingress: K8sObject
    index: int
    secret: str | None
    hosts: list[str]


@dataclass(slots=True)
class TlsIndex:
    exact: dict[str, list[TlsEntry]] = field(default_factory=dict)
    wildcard: dict[str, list[TlsEntry]] = field(default_factory=dict)  # keyed by parent domain

    def add(self, ing: K8sObject) -> None:
        for t, tls in enumerate(ing.spec.get("tls") or []):
            if not isinstance(tls, dict):
                continue
            hosts = [str(h).lower() for h in tls.get("hosts") or []]
            te = TlsEntry(ing, t, str(tls["secretName"]) if tls.get("secretName") else None, hosts)
            for h in hosts:
                if h.startswith("*."):
                    self.wildcard.setdefault(h[2:], []).append(te)
                else:
                    self.exact.setdefault(h, []).append(te)

    def check(
        self, request: Request, host: str, snapshot: Snapshot, trace: RequestTrace, rules_cited: list[str]
    ) -> dict[str, Any] | None:
        """The hop's ``tls`` details for an https request (None for plain HTTP), with diagnoses."""
        if request.scheme != "https":
            if host in self.exact or host.partition(".")[2] in self.wildcard:
                trace.add_diagnosis(
                    Diagnosis(
                        "PLAIN_HTTP_TO_TLS_HOST",
                        "info",
                        f"{host} has TLS configured but the request is plain HTTP; whether the controller "
                        "redirects to HTTPS is controller-specific (U-6, I-27).",
                        "Send the request over https, or check the controller's redirect setting.",
                        "k8s-routing#I-27",
                    )
                )
            return None
        sni = (request.tls_server_name or host).lower()
        rules_cited += ["k8s-routing#I-25", "k8s-routing#I-26"]
        entries = self.exact.get(sni) or self.wildcard.get(sni.partition(".")[2]) or []
        info: dict[str, Any] = {"sni": sni, "terminated": "at the controller; plain HTTP to the Service (I-25)"}
        if sni != host:
            info["note"] = "SNI and Host differ: SNI picks the certificate, Host picks the route (I-26)"
        if not entries:
            info["certificate"] = None
            trace.add_diagnosis(
                Diagnosis(
                    "TLS_HOST_NOT_COVERED",
                    "warning",
                    f"No spec.tls entry of a served Ingress lists {sni}; the controller presents its default "
                    "certificate, which browsers usually reject.",
                    f"Add {sni} to spec.tls[].hosts with a Secret holding a certificate for it.",
                    "k8s-routing#I-27",
                )
            )
            return info
        te = entries[0]
        info.update(
            {
                "certificate": {"ingress": f"{te.ingress.namespace}/{te.ingress.name}", "tls": f"tls[{te.index}]"},
                "secret": te.secret,
                "hosts": te.hosts,
            }
        )
        secret = snapshot.get("Secret", te.ingress.namespace, te.secret) if te.secret else None
        if te.secret is None:
            trace.add_diagnosis(
                Diagnosis(
                    "TLS_SECRET_MISSING",
                    "warning",
                    f"Ingress {te.ingress.namespace}/{te.ingress.name} tls[{te.index}] has no secretName; the "
                    "controller serves its default certificate for " + sni + ".",
                    "Set secretName to a kubernetes.io/tls Secret in the Ingress's namespace.",
                    "k8s-routing#I-25",
                    [te.ingress.ref()],
                )
            )
        elif secret is None:
            trace.add_diagnosis(
                Diagnosis(
                    "TLS_SECRET_MISSING",
                    "warning",
                    f"Secret {te.ingress.namespace}/{te.secret} named by Ingress {te.ingress.namespace}/"
                    f"{te.ingress.name} tls[{te.index}] is not in the snapshot; if it does not exist the "
                    "controller serves its default certificate.",
                    f"Create the kubernetes.io/tls Secret {te.secret} in namespace {te.ingress.namespace} "
                    "(or include it in the snapshot).",
                    "k8s-routing#I-25",
                    [te.ingress.ref()],
                )
            )
        elif str(secret.body.get("type") or "") not in ("kubernetes.io/tls", ""):
            trace.add_diagnosis(
                Diagnosis(
                    "TLS_SECRET_WRONG_TYPE",
                    "warning",
                    f"Secret {te.ingress.namespace}/{te.secret} has type {secret.body.get('type')}, not kubernetes.io/tls.",
                    "Recreate it with kubectl create secret tls.",
                    "k8s-routing#I-25",
                    [secret.ref()],
                )
            )
        return info
