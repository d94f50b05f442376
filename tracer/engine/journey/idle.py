"""Which hop closes an idle WebSocket, and after how long.

An open socket through an ingress stays up only while every proxy on its path keeps the connection: each drops it
after its own idle timeout without traffic, without a Close frame. Two are modelled:

- ingress-nginx's ``proxy-read-timeout`` (60 s by default). Its pipeline records the effective value in the
  controller hop's ``details["timeouts"]["read"]`` for an upgrade request (``details["websocket"]`` says so); an
  annotation with a unit such as ``"3600s"`` is ignored by ingress-nginx and the ConfigMap value applies.
- the cloud load balancer in front of the controller, when the entry hop is a LoadBalancer whose Service carries
  a known idle-timeout annotation (AWS: ``service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout``,
  60 s when the value is not a whole number, the classic ELB default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..result import Diagnosis, Hop, RequestTrace

if TYPE_CHECKING:
    from ..api import Engine

AWS_IDLE_TIMEOUT = "service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout"
AWS_DEFAULT_IDLE_S = 60
PREFIX = "nginx.ingress.kubernetes.io/"


@dataclass(slots=True)
class IdleCut:
    """The hop whose idle timeout is the shortest on the socket's path."""

    seconds: float
    hop: Hop
    where: str  # for people: "ingress-nginx (proxy-read-timeout)" or "the load balancer of Service ns/name"
    fix: str
    rule: str

    def diagnosis(self, url: str, idle_s: float) -> Diagnosis:
        return Diagnosis(
            "WEBSOCKET_CLOSED_IDLE",
            "error",
            f"The WebSocket {url} opened (101), but {self.where} drops a connection after {self.seconds:g} s "
            f"without traffic; the journey keeps it idle for {idle_s:g} s, so the page sees it close with code "
            f"1006 after {self.seconds:g} s.",
            self.fix,
            self.rule,
            [o for o in self.hop.objects if o.get("kind") in ("Ingress", "Service")],
        )


def _whole_seconds(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _controller_cut(hop: Hop) -> IdleCut | None:
    timeouts = hop.details.get("timeouts")
    if "websocket" not in hop.details or not isinstance(timeouts, dict) or timeouts.get("read") is None:
        return None
    read = int(timeouts["read"])
    ingress = next((o for o in hop.objects if o.get("kind") == "Ingress"), None)
    target = f"Ingress {ingress['namespace']}/{ingress['name']}" if ingress else "the Ingress"
    return IdleCut(
        float(read),
        hop,
        f"ingress-nginx ({hop.name}, proxy-read-timeout {read} s)",
        f'On {target} set {PREFIX}proxy-read-timeout and {PREFIX}proxy-send-timeout to "3600" (plain seconds: '
        '"3600s" is ignored), or have the app send pings more often than the timeout.',
        "ingress-nginx#14.5",
    )


def _load_balancer_cut(engine: Engine, hop: Hop) -> IdleCut | None:
    ref = next((o for o in hop.objects if o.get("kind") == "Service"), None)
    if ref is None:
        return None
    svc = engine.snapshot.get("Service", ref.get("namespace"), str(ref.get("name")))
    if svc is None or AWS_IDLE_TIMEOUT not in svc.annotations:
        return None
    seconds = _whole_seconds(svc.annotations[AWS_IDLE_TIMEOUT])
    if seconds is None or seconds <= 0:
        seconds = AWS_DEFAULT_IDLE_S
    name = f"{svc.namespace}/{svc.name}"
    return IdleCut(
        float(seconds),
        hop,
        f"the AWS load balancer of Service {name} (connection idle timeout {seconds} s)",
        f'Raise {AWS_IDLE_TIMEOUT} on Service {name} (for example "3600"), or have the app send pings more often '
        "than the timeout.",
        "dataplane#R38",
    )


def idle_cut(engine: Engine, rt: RequestTrace) -> IdleCut | None:
    """The shortest idle timeout on an open socket's path (the outermost hop when two are equal), or nothing."""
    cuts: list[IdleCut] = []
    entry = next((h for h in rt.hops if h.component not in ("browser", "dns")), None)
    if entry is not None and entry.component == "load-balancer":
        lb = _load_balancer_cut(engine, entry)
        if lb is not None:
            cuts.append(lb)
    for hop in rt.hops:
        if hop.component == "controller":
            cut = _controller_cut(hop)
            if cut is not None:
                cuts.append(cut)
    return min(cuts, key=lambda c: c.seconds) if cuts else None
