"""Translate a snapshot's ingress-nginx Ingresses into Gateway API v1 objects and verify the move by tracing the
same requests through both (docs/translate.md).

``translate(manifests)`` gives a :class:`Translation` (the objects, the notes on what could not be expressed, the
translated snapshot); ``translate_and_verify(manifests)`` adds the verification and returns the
``tracer/translation-v1`` JSON. One module per feature: paths and rewrites (paths.py), redirects, canaries,
filters (headers, host rewrite, timeouts, backend protocol), the Gateway (gateway.py), the HTTPRoutes
(routes.py), the annotations left as notes (unexpressed.py); probes.py, verify.py and classify.py verify.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .build import translate
from .model import Notification, RuleOrigin, Translation
from .verify import verify


def translate_and_verify(manifests: Any, *, implementation: str | None = None, requests: Iterable[Any] = ()
                         ) -> dict[str, Any]:
    """The translation-v1 JSON: objects, notes, every request traced on both sides with its class, a summary."""
    translation = translate(manifests, implementation=implementation)
    return verify(manifests, translation, requests=list(requests)).to_dict()


__all__ = ["Notification", "RuleOrigin", "Translation", "translate", "translate_and_verify", "verify"]
