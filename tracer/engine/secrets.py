"""Strip Secret values at load time so that tracer never holds, stores or shows them.

A Secret is kept by allowlist: ``apiVersion``, ``kind``, ``type``, the identifying parts of ``metadata``
and the public certificates; any other field (``binaryData``, ``immutable``, a field a future API adds,
a typo) is dropped unseen. The certificates are ``tls.crt`` of ``kubernetes.io/tls`` Secrets and
``ca.crt`` of any Secret (ingress-nginx's auth-tls-secret and proxy-ssl-secret take an Opaque Secret
with ``ca.crt``: https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#client-certificate-authentication),
reduced to their CERTIFICATE PEM blocks (a private key pasted into ``tls.crt`` is dropped too) and
normalised to base64 under ``data``. Everything else in ``data``/``stringData`` goes, as does kubectl's
last-applied-configuration annotation, which embeds the whole Secret.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

TLS_TYPE = "kubernetes.io/tls"
# What a stored Secret keeps besides ``data`` (rebuilt from the certificates alone).
_KEPT_FIELDS = ("apiVersion", "kind", "metadata", "type")
# ObjectMeta fields that identify and relate the object (https://kubernetes.io/docs/reference/kubernetes-api/
# common-definitions/object-meta/); managedFields (it lists the data keys) and anything unknown are dropped.
_KEPT_METADATA = (
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
)
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
    """A copy of a Secret manifest with only the allowed fields, and how many values were dropped (each
    ``data``/``stringData``/``binaryData`` entry and each other unknown field counts one)."""
    out = {k: body[k] for k in _KEPT_FIELDS if k in body}
    dropped = 0
    keep = {"ca.crt"}
    if body.get("type") == TLS_TYPE:
        keep.add("tls.crt")
    kept: dict[str, str] = {}
    # stringData wins over data for the same key, as the API server merges them.
    for section, encoded in (("data", True), ("stringData", False)):
        values = body.get(section)
        if not isinstance(values, dict):
            dropped += values is not None
            continue
        for key, value in values.items():
            cert = _public_cert(value, encoded) if key in keep else None
            if cert is None:
                dropped += 1
            else:
                kept[key] = cert
    binary = body.get("binaryData")  # ConfigMap-style raw bytes: never a place tracer reads a certificate from
    dropped += len(binary) if isinstance(binary, dict) else binary is not None
    dropped += sum(1 for k in body if k not in _KEPT_FIELDS and k not in ("data", "stringData", "binaryData"))
    if kept:
        out["data"] = kept
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        metadata = {k: metadata[k] for k in _KEPT_METADATA if k in metadata}
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
            metadata["annotations"] = {k: v for k, v in annotations.items() if k != _LAST_APPLIED}
            dropped += 1
        out["metadata"] = metadata
    return out, dropped
