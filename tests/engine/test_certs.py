"""certificate_info: hosts, validity and host matching of TLS Secret certificates."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tracer.engine.certs import CertInfo, certificate_info
from tracer.engine.loader import load_manifests
from tracer.engine.snapshot import K8sObject, Source

NOW = datetime(2030, 6, 1, tzinfo=UTC)


def make_cert(cn: str, sans: list[str] | None, days: int = 30) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) and its private key (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=days))
    )
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def secret(data: dict[str, str], type_: str = "kubernetes.io/tls") -> K8sObject:
    body = {"apiVersion": "v1", "kind": "Secret", "type": type_, "metadata": {"name": "tls"}, "data": data}
    return K8sObject(body, Source("<test>", 0, 1))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_san_hosts_and_validity() -> None:
    cert, _ = make_cert("ignored.example.com", ["Example.com", "*.apps.example.com"])
    info = certificate_info(secret({"tls.crt": b64(cert)}))
    assert isinstance(info, CertInfo)
    assert info.hosts == ("example.com", "*.apps.example.com")
    assert info.not_before == NOW - timedelta(days=1)
    assert info.not_after == NOW + timedelta(days=30)
    assert info.valid_at(NOW)
    assert info.valid_at(NOW.replace(tzinfo=None))  # naive = UTC
    assert not info.valid_at(NOW + timedelta(days=31))
    assert not info.valid_at(NOW - timedelta(days=2))


@pytest.mark.parametrize(
    ("host", "covered"),
    [
        ("example.com", True),
        ("EXAMPLE.COM.", True),
        ("www.example.com", False),
        ("a.apps.example.com", True),
        ("A.Apps.Example.com", True),
        ("a.b.apps.example.com", False),  # a wildcard covers exactly one label
        ("apps.example.com", False),
        (".apps.example.com", False),
        ("", False),
    ],
)
def test_covers(host: str, covered: bool) -> None:
    cert, _ = make_cert("x", ["example.com", "*.apps.example.com"])
    info = certificate_info(secret({"tls.crt": b64(cert)}))
    assert isinstance(info, CertInfo) and info.hosts == ("example.com", "*.apps.example.com")
    assert info.covers(host) is covered


def test_common_name_fallback_without_san() -> None:
    cert, _ = make_cert("Legacy.Example.org", None)
    info = certificate_info(secret({"tls.crt": b64(cert)}))
    assert isinstance(info, CertInfo)
    assert info.hosts == ("legacy.example.org",)  # the subject CN, lower-cased, stands in for the missing SAN
    assert info.covers("legacy.example.org")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"tls.crt": b64(b"not a certificate")},
        {"tls.crt": "%%% not base64 %%%"},
        {"tls.crt": b64(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")},
    ],
)
def test_bad_or_missing_certificate_is_none(data: dict[str, str]) -> None:
    assert certificate_info(secret(data)) is None


def test_loaded_tls_secret_keeps_certificate_but_not_key() -> None:
    cert, key = make_cert("x", ["shop.example.com"])
    text = (
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n  name: shop-tls\ndata:\n"
        f"  tls.crt: {b64(cert)}\n  tls.key: {b64(key)}\n"
    )
    (obj,) = load_manifests(text).objects
    assert (obj.kind, obj.name, obj.body["type"]) == ("Secret", "shop-tls", "kubernetes.io/tls")
    assert set(obj.body["data"]) == {"tls.crt"}  # the key is dropped at load time; the certificate is public
    info = certificate_info(obj)
    assert isinstance(info, CertInfo) and info.hosts == ("shop.example.com",)
    assert info.covers("shop.example.com")
