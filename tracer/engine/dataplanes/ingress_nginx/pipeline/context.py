"""What the pipeline reads from the compiled table, and the request-independent facts of a location.

``RouteContext`` is the part of the compiled table (``IngressNginxTable``) that routing uses; stating it
here keeps the pipeline independent of the table's module. ``LocationFacts`` is what the controller hop
says about a (server, location) pair whatever the request; the table memoises it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ....profiles import ProfileSet
from ....result import Diagnosis
from ....snapshot import Snapshot
from ..annotations import IngressAnnotations
from ..backends import Backends
from ..canary import Alternative
from ..config import ControllerConfig
from ..misunderstandings import host_regex_mode, proxy_ssl_without_secret
from ..model import Location, Server
from ..policies import rate_limit_details
from ..selection import Selection
from ..servers import ServerTable


class RouteContext(Protocol):
    """The compiled table as the pipeline sees it."""

    name: str  # the controller hop's name
    seed: int | None
    snapshot: Snapshot
    config: ControllerConfig
    selection: Selection
    servers: ServerTable
    alternatives: dict[str, Alternative]  # primary upstream name -> its canary
    backends: Backends
    blank: IngressAnnotations  # every annotation at its default, for locations with no Ingress
    config_refs: list[dict[str, Any]]
    memo: dict[Any, Any]  # request-independent results keyed by what they depend on
    profiles: ProfileSet | None  # the Engine's AppProfiles (None: every app is assumed to answer 200)

    def server_diagnosis(self, server: Server) -> Diagnosis | None: ...

    def location_facts(self, server: Server, loc: Location) -> LocationFacts: ...

    def near_miss_candidates(self, server: Server, loc: Location) -> list[tuple[Location, str]]: ...


@dataclass(slots=True)
class LocationFacts:
    """What the controller hop says about a (server, location) pair whatever the request: computed once."""

    name: str
    directive: str
    mode_suffix: str
    location_note: str | None
    rules: list[str]
    diagnoses_before: list[Diagnosis]  # before the per-request REGEX_ORDER_BY_LENGTH check
    diagnoses_after: list[Diagnosis]
    ingress_ref: dict[str, Any] | None
    class_ref: dict[str, Any] | None
    annotations: dict[str, Any] | None
    route: dict[str, Any] | None
    no_access_rules: bool  # policies.check_access provably returns [] for every request (P9 has nothing to do)
    rate_limits: dict[str, Any] | None  # P8: the limits in force, for the hop details (copied per request)


def location_facts(ctx: RouteContext, server: Server, loc: Location) -> LocationFacts:
    mode = server.regex_reason()
    directive = loc.directive(server.regex_mode)
    rules: list[str] = []
    note = None
    if loc.root_default:
        owner = loc.ingress
        note = (
            f"the host's default location /, inheriting the annotations of its first Ingress {owner.namespace}/"
            f"{owner.name}" if owner else "the catch-all's default location /"
        )
        rules.append("ingress-nginx#3.2")
    before: list[Diagnosis] = []
    after: list[Diagnosis] = []
    if server.regex_mode:
        rules.append("ingress-nginx#3.3")
        diag = host_regex_mode(server, loc)
        if diag is not None:
            before.append(diag)
    diag = ctx.server_diagnosis(server)
    if diag is not None:
        after.append(diag)
    for hazard in server.hazards[:2]:
        after.append(Diagnosis("DUPLICATE_LOCATION", "error", hazard,
                               "Keep only one of the two paths (Prefix /foo already covers /foo/).",
                               "ingress-nginx#3.10", []))
    ingress_ref = class_ref = annotations = route = None
    if loc.ingress is not None:
        ingress_ref = loc.ingress.ref()
        ic = ctx.selection.class_of.get(loc.ingress.key)
        if ic is not None:
            class_ref = ic.ref()
        if loc.ann is not None:
            after.extend(loc.ann.diagnoses)
            if loc.ann.used:
                annotations = dict(loc.ann.used)
            if loc.ann.proxy_ssl.name and not loc.ann.proxy_ssl.secret:
                after.append(proxy_ssl_without_secret(loc.ingress))
        if loc.rule:
            route = {"kind": "Ingress", "namespace": loc.ingress.namespace, "name": loc.ingress.name,
                     "rule": loc.rule}
    return LocationFacts(
        name="_ (catch-all)" if server.is_catch_all else server.hostname,
        directive=directive,
        mode_suffix=f" ({mode})" if mode else "",
        location_note=note,
        rules=rules,
        diagnoses_before=before,
        diagnoses_after=after,
        ingress_ref=ingress_ref,
        class_ref=class_ref,
        annotations=annotations,
        route=route,
        no_access_rules=_no_access_rules(loc.ann or ctx.blank, ctx.config),
        rate_limits=rate_limit_details(loc.ann or ctx.blank, ctx.config),
    )


def _no_access_rules(ann: IngressAnnotations, config: ControllerConfig) -> bool:
    """check_access returns [] when there are no IP rules, no (global) auth and satisfy is "all"."""
    return (
        ann.denied is None
        and not (ann.access.allowlist or ann.access.denylist or config.block_cidrs)
        and ann.basic_auth.type is None
        and ann.external_auth.url is None
        and not ann.access.satisfy_any
        and not (config.global_auth_url and ann.external_auth.enable_global)
    )
