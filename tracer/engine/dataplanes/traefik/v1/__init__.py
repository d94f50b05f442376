"""Traefik 1.7 with its Kubernetes Ingress provider (family ``traefik-v1``): frontends built from Ingresses,
rule types such as PathPrefixStrip, and the 1.7 redirect and backend behaviour (docs/rules/traefik.md,
traefik#T35..#T49)."""

from __future__ import annotations

from .table import TraefikV1Table

__all__ = ["TraefikV1Table"]
