"""P9, the access phase in nginx's order: IP rules, then basic auth, then external auth (ingress-nginx#9).

``check_access`` also applies ``satisfy any`` (#9.4) and no-auth-locations (#9.3); the auth checks
themselves are in auth.py. "[nginx]" marks stock nginx behaviour the generated config relies on.
"""

from __future__ import annotations

from typing import Any

from ....request import Request
from ....result import Diagnosis
from ....snapshot import Snapshot
from ..annotations import IngressAnnotations
from ..config import ControllerConfig
from .auth import check_basic_auth, check_external_auth
from .client import client_ip, first_containing, parse_ip
from .outcome import PolicyOutcome, annotation_key, ingress_ref


def _forbidden(stage: str, summary: str, diag: Diagnosis, details: dict[str, Any]) -> PolicyOutcome:
    return PolicyOutcome(
        status=403,
        summary=summary,
        stage=stage,
        body="403 Forbidden",  # nginx's own error page text (not RFC 9110 phrases)
        rules=["ingress-nginx#9.1"],
        diagnoses=[diag],
        details=details,
    )


def _ip_access(ann: IngressAnnotations, config: ControllerConfig, ip_text: str) -> PolicyOutcome:
    """ngx_http_access: deny per denylist entry, allow per allowlist entry, deny all; first match wins.

    [nginx] access rules are inherited only by locations that define none, so a location with its own
    allow/deny does not apply the http-level block-cidrs.
    """
    ip = parse_ip(ip_text)
    own_rules = bool(ann.access.denylist) or bool(ann.access.allowlist)
    details: dict[str, Any] = {
        "client_ip": ip_text,
        "denylist": list(ann.access.denylist or ()),
        "allowlist": list(ann.access.allowlist or ()),
    }
    if not own_rules:
        if config.block_cidrs and ip is not None:
            hit = first_containing(ip, config.block_cidrs)
            if hit is not None:
                details["block_cidrs"] = list(config.block_cidrs)
                return _forbidden(
                    "block-cidrs",
                    f"client {ip_text} is in the ConfigMap block-cidrs entry {hit}",
                    Diagnosis(
                        "CLIENT_BLOCKED",
                        "error",
                        f"Client {ip_text} matches block-cidrs {hit} in ConfigMap "
                        f"{config.configmap or 'ingress-nginx-controller'}; every server answers it 403.",
                        f"Remove {hit} from block-cidrs in the ConfigMap.",
                        "ingress-nginx#9.1",
                        list(config.objects),
                    ),
                    details,
                )
        return PolicyOutcome(None, "no IP rules", stage="ip-access", rules=["ingress-nginx#9.1"], details=details)
    if ip is not None and ann.access.denylist:
        hit = first_containing(ip, ann.access.denylist)
        if hit is not None:
            allowlist = ann.access.allowlist
            both = ip is not None and allowlist is not None and first_containing(ip, allowlist) is not None
            note = " (it is also allowlisted, but deny rules come first)" if both else ""
            return _forbidden(
                "ip-access",
                f"client {ip_text} matches denylist entry {hit}{note}",
                Diagnosis(
                    "DENYLIST_DENIED",
                    "error",
                    f"Ingress {ann.name}: client {ip_text} matches denylist-source-range {hit}{note}; "
                    "nginx answers 403.",
                    f"Remove {hit} from {annotation_key(ann, 'denylist-source-range')}.",
                    "ingress-nginx#9.1",
                    ingress_ref(ann),
                ),
                details,
            )
    if ann.access.allowlist:
        hit = first_containing(ip, ann.access.allowlist) if ip is not None else None
        if hit is None:
            forwarded = (
                ""
                if config.use_forwarded_headers or config.use_proxy_protocol
                else " The controller sees the connection address; behind a load balancer that may be the "
                "LB or node IP unless use-forwarded-headers or use-proxy-protocol is on."
            )
            return _forbidden(
                "ip-access",
                f"client {ip_text} is not in the allowlist ({', '.join(ann.access.allowlist)}): deny all",
                Diagnosis(
                    "ALLOWLIST_DENIED",
                    "error",
                    f"Ingress {ann.name}: client {ip_text} is outside allowlist-source-range "
                    f"{', '.join(ann.access.allowlist)}; nginx answers 403.{forwarded}",
                    f"Add the client range, e.g. {annotation_key(ann, 'allowlist-source-range')}: "
                    f'"{",".join([*ann.access.allowlist, ip_text])}".',
                    "ingress-nginx#9.1",
                    ingress_ref(ann),
                ),
                details,
            )
        return PolicyOutcome(
            None, f"client {ip_text} allowed by {hit}", stage="ip-access", rules=["ingress-nginx#9.1"], details=details
        )
    return PolicyOutcome(
        None, f"client {ip_text} not denied", stage="ip-access", rules=["ingress-nginx#9.1"], details=details
    )


def _skips_auth(config: ControllerConfig, location_path: str | None) -> bool:
    """no-auth-locations: compared with the location (Ingress) path by prefix (ingress-nginx#9.3)."""
    if location_path is None:
        return False
    return location_path.startswith(tuple(config.no_auth_locations))


def check_access(
    ann: IngressAnnotations,
    config: ControllerConfig,
    request: Request,
    snapshot: Snapshot,
    *,
    auth_status: int | None = None,
    location_path: str | None = None,
) -> list[PolicyOutcome]:
    """P9 in nginx's access-phase order: IP rules (block-cidrs or deny/allow) -> basic auth -> external auth.

    Returns one outcome per stage evaluated; with ``satisfy all`` (default) it stops at the first failure. With
    ``satisfy: any`` one passing stage grants access; if none passes the answer is 401 when an auth stage said 401,
    else 403 [nginx core access phase]. ``auth_status`` overrides the assumed answer of the external auth service.
    ``location_path`` (the Ingress path) enables no-auth-locations.
    """
    if ann.denied is not None:
        # Normally answered at P6 (ingress-nginx#0); kept here so callers that skip P6 still see it.
        return [
            PolicyOutcome(
                503,
                f"location denied: {ann.denied}",
                stage="denied",
                body="503 Service Temporarily Unavailable",
                rules=["ingress-nginx#11.2"],
            )
        ]
    ip_text = client_ip(request, config)
    has_ip_rules = bool(ann.access.allowlist or ann.access.denylist or config.block_cidrs)
    stages: list[PolicyOutcome] = [_ip_access(ann, config, ip_text)] if has_ip_rules else []
    skip_auth = _skips_auth(config, location_path)
    if ann.basic_auth.type is not None and not skip_auth:
        stages.append(check_basic_auth(ann, config, request))
    uses_global = bool(config.global_auth_url) and ann.external_auth.enable_global and ann.external_auth.url is None
    earlier_ok = ann.access.satisfy_any or not stages or stages[-1].status is None
    if (ann.external_auth.url is not None or uses_global) and not skip_auth and earlier_ok:
        stages.append(check_external_auth(ann, config, request, snapshot, auth_status))
    if skip_auth and (ann.basic_auth.type is not None or ann.external_auth.url is not None):
        stages.append(
            PolicyOutcome(
                None,
                f"location path {location_path} is in no-auth-locations; auth skipped",
                stage="no-auth",
                rules=["ingress-nginx#9.3"],
            )
        )
    if not ann.access.satisfy_any:
        out: list[PolicyOutcome] = []
        for stage in stages:
            out.append(stage)
            if stage.status is not None:
                break
        return out
    # satisfy any: one passing stage is enough; with no stage at all nothing restricts.
    relevant = [s for s in stages if s.stage != "no-auth"]
    if not relevant or any(s.status is None for s in relevant):
        granted = next((s for s in relevant if s.status is None), None)
        note = f"satisfy any: access granted by {granted.stage}" if granted else "satisfy any: no restriction"
        return [*stages, PolicyOutcome(None, note, stage="satisfy", rules=["ingress-nginx#9.4"])]
    status = 401 if any(s.status == 401 for s in relevant) else 403
    final = next(s for s in relevant if s.status == status)
    return [
        *stages,
        PolicyOutcome(
            status,
            f"satisfy any: every access check failed; answering {status}",
            headers=dict(final.headers),
            stage="satisfy",
            body=final.body,
            rules=["ingress-nginx#9.4"],
        ),
    ]
