"""The conditions a controller writes for each listener (Gateway API v1 ``ListenerStatus``): Accepted,
ResolvedRefs, Conflicted, Programmed, each with its reason.

Conflicts follow the distinctness rules of ``GatewaySpec.Listeners`` (apis/v1/gateway_types.go): on one port,
HTTP listeners are distinct by hostname, HTTPS and TLS listeners by hostname, TCP and UDP by protocol; mixing
these groups on a port is a ``ProtocolConflict``, two listeners of a group with the same hostname a
``HostnameConflict``. A conflicted or refused listener is not programmed, so the engine lists it but routes
nothing through it (k8s-routing#G-2).
"""

from __future__ import annotations

from collections import defaultdict

from .model import Condition, Listener

# Listener protocols by the group they share a port with (GatewaySpec.Listeners).
PORT_GROUPS = {"HTTP": "http", "HTTPS": "tls", "TLS": "tls", "TCP": "l4", "UDP": "l4"}
# Conditions whose healthy status is False.
NEGATIVE = frozenset({"Conflicted"})


def check_listeners(listeners: list[Listener]) -> None:
    """Add the Accepted/Conflicted problems of a Gateway's listeners to each one's ``problems``."""
    by_port: dict[int, list[Listener]] = defaultdict(list)
    for lis in listeners:
        if lis.protocol not in PORT_GROUPS:
            lis.problems.append(Condition("Accepted", "False", "UnsupportedProtocol",
                                          f"protocol {lis.protocol or '(none)'} is not one this model serves"))
            continue
        by_port[lis.port].append(lis)
    for port, group in by_port.items():
        kinds = {PORT_GROUPS[lis.protocol] for lis in group}
        if len(kinds) > 1:
            names = ", ".join(f"{lis.name} ({lis.protocol})" for lis in group)
            for lis in group:
                lis.problems.append(Condition("Conflicted", "True", "ProtocolConflict",
                                              f"port {port} is shared by incompatible protocols: {names}"))
            continue
        seen: dict[tuple[str, str], list[Listener]] = defaultdict(list)
        for lis in group:
            key = lis.protocol if PORT_GROUPS[lis.protocol] == "l4" else (lis.hostname or "")
            seen[(PORT_GROUPS[lis.protocol], key)].append(lis)
        for (_, key), same in seen.items():
            if len(same) < 2:
                continue
            what = "no hostname" if not key else (key if key in PORT_GROUPS else f"hostname {key}")
            for lis in same:
                lis.problems.append(Condition(
                    "Conflicted", "True", "HostnameConflict" if key not in PORT_GROUPS else "ProtocolConflict",
                    f"{', '.join(x.name for x in same)} share port {port} and {what}"))


def is_programmed(lis: Listener) -> bool:
    """Whether the listener serves traffic: accepted and not conflicted (its refs may still be unresolved)."""
    return not any(c.type in ("Accepted", "Conflicted") for c in lis.problems)


def listener_conditions(lis: Listener) -> list[Condition]:
    """Every standard condition of the listener: its problems, and the healthy value of the others."""
    by_type = {c.type: c for c in lis.problems}
    out = [by_type.get("Accepted") or Condition("Accepted", "True", "Accepted"),
           by_type.get("ResolvedRefs") or Condition("ResolvedRefs", "True", "ResolvedRefs"),
           by_type.get("Conflicted") or Condition("Conflicted", "False", "NoConflicts")]
    programmed = is_programmed(lis)
    out.append(Condition("Programmed", "True" if programmed else "False", "Programmed" if programmed else "Invalid",
                         "" if programmed else "not programmed: the listener is refused or conflicted"))
    return out
