"""Controller families. Each module models one real data plane (see docs/ in the rule catalog)."""

from __future__ import annotations

from importlib import import_module

from ..errors import OptionError
from .base import DataPlane, RouteTable

# family -> "module:Class"; imported lazily so a trace loads only the family it needs.
FAMILIES: dict[str, str] = {
    "ingress-nginx": "tracer.engine.dataplanes.ingress_nginx:IngressNginx",
    "ingress-spec": "tracer.engine.dataplanes.ingress_spec:IngressSpec",
    "traefik": "tracer.engine.dataplanes.traefik:Traefik",
    "traefik-v1": "tracer.engine.dataplanes.traefik:TraefikV1",
    "gateway-api": "tracer.engine.dataplanes.gateway_api:GatewayApi",
    "istio": "tracer.engine.dataplanes.istio:Istio",
}


def get_dataplane(family: str) -> DataPlane:
    target = FAMILIES.get(family)
    if target is None:
        raise OptionError(
            f"controller {family!r} is not simulated yet; available: {', '.join(sorted(FAMILIES))}"
        )
    module_name, _, cls_name = target.partition(":")
    cls = getattr(import_module(module_name), cls_name)
    return cls()


__all__ = ["FAMILIES", "DataPlane", "RouteTable", "get_dataplane"]
