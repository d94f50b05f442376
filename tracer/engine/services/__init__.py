"""Service port resolution, endpoints and the backend hops every data plane shares.

Endpoints come, in order of trust, from EndpointSlices, legacy Endpoints, Pods, and finally from
workloads with a pod template (the table in k8s.py, dataplane#R65) when the snapshot holds only
manifests; the last are marked inferred. Rule ids cite docs/rules/dataplane.md (``dataplane#Rnn``) and
docs/rules/k8s-routing.md (``k8s-routing#C-4``...).

Everything a request needs is indexed once per compiled Engine (:class:`ServiceIndex`) and
resolutions and hops are memoised there, because the benchmark routes thousands of requests per
second against 10k Services and 50k Pods.

Modules: ``ports`` (Service ports), ``resolution`` (what a reference resolves to), ``pods`` (what a
selector can match), ``endpoints`` (where endpoints come from), ``diagnoses``, ``index`` (the
per-engine index), ``picking`` and ``hops``. The node side of a backend connection, for Services and
namespaces that need it: ``nodeplane`` (the glue), ``peers`` (the controller pod that connects),
``locality`` (internalTrafficPolicy Local), ``affinity`` (sessionAffinity ClientIP), ``networkpolicy`` and
``labelselector``.
"""

from __future__ import annotations

from .hops import backend_hops, chain_suffix
from .index import ServiceIndex, resolve_backend
from .picking import pick_endpoint, pick_ordered
from .ports import describe_port, match_service_port, port_phrase, service_port_string
from .resolution import BackendResolution, Endpoint

__all__ = [
    "BackendResolution",
    "Endpoint",
    "ServiceIndex",
    "backend_hops",
    "chain_suffix",
    "describe_port",
    "match_service_port",
    "pick_endpoint",
    "pick_ordered",
    "port_phrase",
    "resolve_backend",
    "service_port_string",
]
