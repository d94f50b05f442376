"""Which Traefik entry point a request arrives on (traefik#T9; 1.7: traefik#T42).

Entry points are ports inside the pod (``web`` on :8000 in the Helm chart). The client's port reaches one through
the Traefik Service (port or nodePort to targetPort, a name resolved on the container) or a hostPort; the entry
point is the one whose address has that container port.
"""

from __future__ import annotations

from ...k8s import as_int, pod_template, selector, selector_matches, template_labels
from ...snapshot import K8sObject, Snapshot


class PortMap:
    def __init__(self, snapshot: Snapshot, workload: K8sObject | None) -> None:
        self.via: dict[int, tuple[int, str]] = {}  # client port -> (container port, how)
        if workload is None:
            return
        containers = [c for c in (pod_template(workload).get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
        named: dict[str, int] = {}
        for c in containers:
            for p in c.get("ports") or []:
                if not isinstance(p, dict) or as_int(p.get("containerPort")) is None:
                    continue
                container = as_int(p.get("containerPort")) or 0
                if p.get("name"):
                    named[str(p["name"])] = container
                host = as_int(p.get("hostPort"))
                if host:
                    self.via.setdefault(host, (container, f"hostPort {host} -> container port {container}"))
        labels = template_labels(workload)
        for svc in snapshot.of_kind("Service", workload.namespace):
            sel = selector(svc)
            if not sel or not selector_matches(sel, labels):
                continue
            for sp in svc.spec.get("ports") or []:
                if not isinstance(sp, dict):
                    continue
                target = sp.get("targetPort", sp.get("port"))
                number: int | None = as_int(target)
                if number is None:
                    number = named.get(str(target))
                if number is None:
                    continue
                for client in (as_int(sp.get("port")), as_int(sp.get("nodePort"))):
                    if client:
                        self.via.setdefault(client, (number, f"Service {svc.namespace}/{svc.name} port {client} -> "
                                                             f"targetPort {target} (container port {number})"))

    def container_port(self, port: int) -> tuple[int, str]:
        return self.via.get(port, (port, f"port {port} (no Service port or hostPort maps it: taken as is)"))


__all__ = ["PortMap"]
