"""The AppProfiles of one Engine: gathered from the snapshot and the ``app_profiles`` option, indexed by
what they select, and asked for the answer of a picked endpoint.

A profile selects a Service by name (in its own namespace) or pods by ``matchLabels``; a Service selector
is preferred to a label selector, and within each kind the option's profiles come before the snapshot's,
each in load order. The pod's labels are the Pod's own when the snapshot has it, else the labels of the
workload template the endpoint was inferred from, else (assumed endpoints) the Service's selector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import LoadError, OptionError
from ..k8s import label_map, maker_template, pod_maker, selector
from ..services import BackendResolution, Endpoint
from ..snapshot import K8sObject, Snapshot
from .match import ProfileRequest, answer
from .model import KIND, Answer, AppProfile
from .parse import parse_profile

OPTION_SOURCE = "app_profiles option"


def option_objects(value: list[dict[str, Any]] | str | None) -> list[K8sObject]:
    """The documents of the ``app_profiles`` option as loaded objects (a list of documents or a path)."""
    from ..loader import load_manifests  # the loader imports much of the engine; only needed here

    if not value:
        return []
    if isinstance(value, str):
        path = Path(value)
        if not path.exists():
            raise OptionError(f"app_profiles: {value} does not exist")
        objects = list(load_manifests(path))
    else:
        objects = list(load_manifests(list(value), name=OPTION_SOURCE))
    for obj in objects:
        if obj.kind != KIND:
            raise LoadError(
                f"the app_profiles option holds only AppProfile documents, not a {obj.kind or 'document without kind'}",
                file=obj.source.file, document=obj.source.document, line=obj.source.line, field="kind",
            )
    return objects


class ProfileSet:
    """Every profile of an Engine, indexed by Service and by namespace."""

    def __init__(self, profiles: list[AppProfile], snapshot: Snapshot) -> None:
        self.profiles = profiles
        self.snapshot = snapshot
        self._by_service: dict[tuple[str, str], AppProfile] = {}
        self._by_labels: dict[str, list[AppProfile]] = {}
        for p in profiles:
            if p.service is not None:
                self._by_service.setdefault((p.namespace, p.service), p)
            else:
                self._by_labels.setdefault(p.namespace, []).append(p)
        self._pods: dict[tuple[Any, ...], tuple[dict[str, str], frozenset[int]]] = {}

    def __len__(self) -> int:
        return len(self.profiles)

    def profile_for(self, res: BackendResolution, endpoint: Endpoint) -> AppProfile | None:
        found = self._by_service.get((res.namespace, res.service_name))
        if found is not None:
            return found
        candidates = self._by_labels.get(res.namespace)
        if not candidates:
            return None
        labels = self._pod_facts(res, endpoint)[0]
        for p in candidates:
            assert p.match_labels is not None
            if all(labels.get(k) == v for k, v in p.match_labels.items()):
                return p
        return None

    def answer_for(
        self, res: BackendResolution, endpoint: Endpoint, method: str, uri: str, headers: dict[str, str],
        *, upstream_tls: bool,
    ) -> Answer | None:
        """The app's answer to the upstream request, or None when no profile covers this backend."""
        profile = self.profile_for(res, endpoint)
        if profile is None:
            return None
        port = endpoint.port
        listening = profile.ports if profile.ports is not None else self._pod_facts(res, endpoint)[1]
        if port is not None and listening and port not in listening:
            where = "spec.ports" if profile.ports is not None else "the declared container ports"
            ports = ", ".join(str(p) for p in sorted(listening))
            return Answer(profile, None, why=f"nothing listens on port {port} ({where}: {ports}): connection refused")
        if profile.tls and not upstream_tls:
            return Answer(profile, 400, why="the app speaks HTTPS (tls: true) and received plain HTTP: 400")
        if upstream_tls and not profile.tls:
            return Answer(profile, None, why="the app speaks plain HTTP and the controller started a TLS handshake: "
                          "the handshake fails")
        return answer(profile, ProfileRequest(method, uri, headers))

    def _pod_facts(self, res: BackendResolution, endpoint: Endpoint) -> tuple[dict[str, str], frozenset[int]]:
        """The labels and declared container ports of the endpoint's pod (or its workload template)."""
        key = (res.namespace, endpoint.pod_name, endpoint.source, tuple(o.get("name") for o in endpoint.objects))
        facts = self._pods.get(key)
        if facts is None:
            facts = self._pods[key] = self._read_pod(res, endpoint)
        return facts

    def _read_pod(self, res: BackendResolution, endpoint: Endpoint) -> tuple[dict[str, str], frozenset[int]]:
        snap = self.snapshot
        pod = snap.get("Pod", res.namespace, endpoint.pod_name) if endpoint.pod_name else None
        if pod is not None:
            return pod.labels, _declared(pod.spec)
        for ref in endpoint.objects:
            obj = snap.get(str(ref.get("kind") or ""), ref.get("namespace"), str(ref.get("name") or ""))
            maker = pod_maker(obj) if obj is not None else None
            if obj is not None and maker is not None:
                template = maker_template(obj, maker, snap)
                return label_map((template.get("metadata") or {}).get("labels")), _declared(template.get("spec") or {})
        return (selector(res.service) if res.service is not None else {}), frozenset()


def _declared(pod_spec: dict[str, Any]) -> frozenset[int]:
    return frozenset(
        port["containerPort"]
        for container in pod_spec.get("containers") or []
        for port in (container or {}).get("ports") or []
        if isinstance(port, dict) and isinstance(port.get("containerPort"), int)
    )


def build_profiles(snapshot: Snapshot, option: list[dict[str, Any]] | str | None) -> ProfileSet | None:
    """The Engine's profiles, or None when there are none (routing then takes its usual path)."""
    objects = option_objects(option) + [o for o in snapshot.of_kind(KIND)]
    if not objects:
        return None
    return ProfileSet([parse_profile(o) for o in objects], snapshot)
