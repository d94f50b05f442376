"""What a TLS Secret's certificate covers: host names and validity period."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from tracer.engine.snapshot import K8sObject


@dataclass(frozen=True, slots=True)
class CertInfo:
    """The leaf certificate of a Secret's ``tls.crt``."""

    hosts: tuple[str, ...]  # SAN DNS names (lower case), or the subject CN when there are none
    not_before: datetime  # timezone-aware, UTC
    not_after: datetime
    subject: str = ""
    issuer: str = ""

    def covers(self, host: str) -> bool:
        """True if ``host`` matches a name exactly or a ``*.`` wildcard for exactly one label."""
        host = host.strip().rstrip(".").lower()
        if not host:
            return False
        first, _, parent = host.partition(".")
        for name in self.hosts:
            if name == host:
                return True
            if name.startswith("*.") and first and parent and name[2:] == parent:
                return True
        return False

    def valid_at(self, when: datetime) -> bool:
        """True if ``when`` (naive means UTC) lies within the validity period, bounds included."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return self.not_before <= when <= self.not_after


def _normalise(name: str) -> str:
    return name.strip().rstrip(".").lower()


def certificate_info(secret: K8sObject) -> CertInfo | None:
    """CertInfo for the first certificate in ``data["tls.crt"]``; None if missing or not valid PEM."""
    data = secret.body.get("data")
    value = data.get("tls.crt") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None
    try:
        pem = base64.b64decode(value, validate=False)
        cert = x509.load_pem_x509_certificates(pem)[0]
    except (binascii.Error, ValueError, IndexError):
        return None
    hosts: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        hosts = [_normalise(n) for n in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        pass
    except ValueError:  # malformed extension
        return None
    if not hosts:
        hosts = [_normalise(str(attr.value)) for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return CertInfo(
        hosts=tuple(dict.fromkeys(h for h in hosts if h)),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
    )
