"""Which controller family handles a snapshot's traffic by default (the web app's snapshot summary).

A thin view over :mod:`tracer.engine.installations`: the first installation is the default one, and
the families of all of them are the candidates. The Engine itself routes each request to the
installation it reaches (tracer.engine.choice).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .installations import find_installations
from .snapshot import K8sObject, Snapshot


@dataclass(slots=True)
class Detection:
    family: str
    reason: str
    objects: list[K8sObject] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)


def detect_controller(snapshot: Snapshot) -> Detection:
    installations = find_installations(snapshot)
    first = installations[0]
    return Detection(first.family, first.reason, first.objects, list(dict.fromkeys(i.family for i in installations)))
