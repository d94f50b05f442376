"""Strip Secret values at load time so that tracer never holds, stores or shows them.

Only public certificates survive: ``tls.crt`` of ``kubernetes.io/tls`` Secrets and ``ca.crt`` of
any Secret, reduced to their CERTIFICATE PEM blocks (a private key pasted into ``tls.crt`` is
dropped too) and normalised to base64 under ``data``. Everything else in ``data``/``stringData``
goes, as does kubectl's last-applied-configuration annotation, which embeds the whole Secret.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

TLS_TYPE = "kubernetes.io/tls"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_BEGIN = "-----BEGIN CERTIFICATE-----"
_END = "-----END CERTIFICATE-----"


def certificates_only(pem: str) -> str | None:
    """The CERTIFICATE blocks of a PEM bundle (nothing else), or None if there are none."""
    blocks = []
    start = pem.find(_BEGIN)
    while start >= 0:
        stop = pem.find(_END, start)
        if stop < 0:
            break
        blocks.append(pem[start : stop + len(_END)])
        start = pem.find(_BEGIN, stop)
    return "\n".join(blocks) + "\n" if blocks else None


def _public_cert(value: Any, encoded: bool) -> str | None:
    """Base64 of the certificates in a data (base64) or stringData (plain PEM) value."""
    if not isinstance(value, str):
        return None
    if encoded:
        try:
            value = base64.b64decode(value, validate=False).decode("ascii")
        except (binascii.Error, ValueError):
            return None
    certs = certificates_only(value)
    return base64.b64encode(certs.encode("ascii")).decode("ascii") if certs else None


def sanitize_secret(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A copy of a Secret manifest without secret values, and how many values were dropped."""
    out = dict(body)
    dropped = 0
    keep = {"ca.crt"}
    if body.get("type") == TLS_TYPE:
        keep.add("tls.crt")
    kept: dict[str, str] = {}
    # stringData wins over data for the same key, as the API server merges them.
    for section, encoded in (("data", True), ("stringData", False)):
        values = out.pop(section, None)
        if not isinstance(values, dict):
            dropped += values is not None
            continue
        for key, value in values.items():
            cert = _public_cert(value, encoded) if key in keep else None
            if cert is None:
                dropped += 1
            else:
                kept[key] = cert
    if kept:
        out["data"] = kept
    metadata = out.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("annotations"), dict):
        annotations = metadata["annotations"]
        if _LAST_APPLIED in annotations:
            out["metadata"] = {**metadata, "annotations": {k: v for k, v in annotations.items() if k != _LAST_APPLIED}}
            dropped += 1
    return out, dropped
