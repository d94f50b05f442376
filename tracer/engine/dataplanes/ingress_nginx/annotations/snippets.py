"""Snippet annotations (ingress-nginx#11): raw nginx configuration, kept only when the ConfigMap allows it."""

from __future__ import annotations

from dataclasses import dataclass

from .parser import Parser
from .risk import SNIPPET_ANNOTATIONS


@dataclass(frozen=True, slots=True)
class Snippets:
    server: str | None = None  # server-snippet
    configuration: str | None = None  # configuration-snippet (the location's)


NO_SNIPPETS = Snippets()


def parse_snippets(p: Parser) -> Snippets:
    # Reaching here means the risk level is Critical (otherwise check_risk dropped the Ingress).
    present = [s for s in SNIPPET_ANNOTATIONS if p.get(s) is not None]
    if not present:
        return NO_SNIPPETS
    if not p.config.allow_snippet_annotations:
        for s in present:
            p.warn(
                s,
                "is dropped: allow-snippet-annotations is false, so the Ingress is served without it",
                f'Set allow-snippet-annotations: "true" in ConfigMap '
                f"{p.config.configmap or 'ingress-nginx/ingress-nginx-controller'} (the risk level is already "
                "Critical), or move the directives to the ConfigMap server-snippet/location-snippet.",
                code="SNIPPET_DROPPED",
            )
        return NO_SNIPPETS
    return Snippets(server=p.get("server-snippet"), configuration=p.get("configuration-snippet"))
