"""Upstream TLS annotations (ingress-nginx#10.2): proxy-ssl-secret and what it enables.

proxyssl.go reads nothing else without proxy-ssl-secret, so proxy-ssl-verify, -name and -server-name
alone have no effect (#14.10); a secret the controller cannot read denies the locations.
"""

from __future__ import annotations

from dataclasses import dataclass

from .parser import BASIC_CHARS, IS_VALID_REGEX, Parser, matches


@dataclass(frozen=True, slots=True)
class ProxySsl:
    secret: str | None = None  # "ns/name" of a Secret with ca.crt
    verify: bool = False  # proxy-ssl-verify: "on"
    name: str | None = None  # proxy-ssl-name (SNI and verified name)
    server_name: bool = False  # proxy-ssl-server-name: "on" (send SNI)


NO_PROXY_SSL = ProxySsl()


def parse_proxy_ssl(p: Parser) -> ProxySsl:
    if not p.raw:
        return NO_PROXY_SSL  # no annotation of this controller at all
    secret = p.get("proxy-ssl-secret")
    if secret is None:
        _warn_ignored_settings(p)
        return NO_PROXY_SSL
    p.strict(
        "proxy-ssl-secret",
        secret,
        BASIC_CHARS,
        remove_space=True,
        what="not a namespace/name",
        fix=f"Use {p.line('proxy-ssl-secret', f'{p.ingress.namespace}/backend-ca')}.",
    )
    parts = secret.replace(" ", "").split("/")
    if len(parts) != 2:
        p.deny(
            "proxy-ssl-secret",
            f'value "{secret}" is not in the form namespace/name',
            f"Use {p.line('proxy-ssl-secret', f'{p.ingress.namespace}/{parts[-1]}')}.",
            "PROXY_SSL_SECRET_MISSING",
        )
        return NO_PROXY_SSL
    sns, sname = parts
    if sns != p.ingress.namespace and not p.config.allow_cross_namespace_resources:
        p.deny(
            "proxy-ssl-secret",
            f"refers to Secret {sns}/{sname} in another namespace, which is not allowed",
            f"Copy the Secret into namespace {p.ingress.namespace}.",
            "PROXY_SSL_SECRET_MISSING",
        )
        return NO_PROXY_SSL
    if p.snapshot.get("Secret", sns, sname) is None:
        p.deny(
            "proxy-ssl-secret",
            f"names Secret {sns}/{sname}, which is not in the snapshot",
            f"Create Secret {sname} in namespace {sns} with ca.crt (and tls.crt/tls.key for client certificates).",
            "PROXY_SSL_SECRET_MISSING",
        )
        return NO_PROXY_SSL
    name = p.get("proxy-ssl-name")
    return ProxySsl(
        secret=f"{sns}/{sname}",
        verify=(p.get("proxy-ssl-verify") or "").strip() == "on",
        name=name.strip() if name is not None and matches(IS_VALID_REGEX, name.strip()) else None,
        server_name=(p.get("proxy-ssl-server-name") or "").strip() == "on",
    )


def _warn_ignored_settings(p: Parser) -> None:
    ignored = [s for s in ("proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name") if p.get(s) is not None]
    if not ignored:
        return
    # proxyssl.go returns before reading anything else (ingress-nginx#10.2, #14.10).
    text = (
        f"Ingress {p.name}: {', '.join(p.key(s) for s in ignored)} "
        f"{'has' if len(ignored) == 1 else 'have'} no effect without {p.key('proxy-ssl-secret')}: "
        "no SNI is sent and the certificate is not verified"
    )
    p.warnings.append(text)
    p.diag(
        "PROXY_SSL_WITHOUT_SECRET",
        "warning",
        text,
        f"Add {p.line('proxy-ssl-secret', f'{p.ingress.namespace}/backend-ca')} (a Secret with ca.crt).",
        "ingress-nginx#10.2",
    )
