"""WebSockets: a socket URL that no rule matches, and the idle timeout that cuts an open one.

Report 000 stage 5: the Ingress path /stable-<commit>/$ needs a trailing slash, the socket URL
/stable-<commit>?reconnectionToken=... has none, so the handshake meets the default backend (close 1006).
Report 001: proxy-read-timeout (60 s by default) closes a quiet socket. Rules: ingress-nginx#3.5
(location matching), #14.5 (WebSocket timeouts), dataplane#R38 (the load balancer's idle timeout).
"""

from __future__ import annotations

import re

from ..result import Diagnosis, RequestTrace
from ..snapshot import K8sObject
from .context import FixContext, add, answered_by_controller, path_of
from .ingress_edit import NGINX, RoutedPath, annotations_patch, merge_ingress
from .patch import Patch

AWS_IDLE = "service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout"
LONG_IDLE = 3600  # seconds: report 001's fix, and the AWS maximum is 4000


def _regex_mode(obj: K8sObject) -> bool:
    return str(obj.annotations.get(NGINX + "use-regex", "")).lower() == "true" or bool(obj.annotations.get(NGINX + "rewrite-target"))


def _loosened(obj: K8sObject, path: str, path_type: str, ws_path: str) -> str | None:
    """The path made to match the socket's path too, when only a trailing slash stood in the way."""
    if path_type in ("Prefix", "Exact") and not _regex_mode(obj):
        return path.rstrip("/") if path.endswith("/") and path.rstrip("/") == ws_path else None
    try:
        pattern = re.compile("^" + path, re.IGNORECASE)  # ingress-nginx regex locations: ~* "^<path>" (#3.5)
    except re.error:
        return None
    if pattern.match(ws_path) or not pattern.match(ws_path + "/"):
        return None
    if path.endswith("/$"):
        return path[:-2] + "/?$"
    if path.endswith("/"):
        return path + "?"
    return None


def websocket_path_not_matched(ctx: FixContext, rt: RequestTrace) -> None:
    if (rt.step or {}).get("cause") != "websocket" or not answered_by_controller(rt):
        return
    ws_path = path_of(rt)
    for ing in ctx.snapshot.of_kind("Ingress"):
        for ri, rule in enumerate(ing.spec.get("rules") or []):
            for pi, entry in enumerate(((rule or {}).get("http") or {}).get("paths") or []):
                path = str((entry or {}).get("path") or "/")
                new = _loosened(ing, path, str((entry or {}).get("pathType") or ""), ws_path)
                if new is None:
                    continue
                at = RoutedPath(ing, ri, pi)
                body = {"spec": {"rules": at.rules_with({**at.entry, "path": new})}}
                patch = merge_ingress(at, body, f"{at.label()}: path {path} -> {new}")
                add(rt, Diagnosis(
                    "WEBSOCKET_PATH_NOT_MATCHED", "error",
                    f"The page opens its WebSocket at {ws_path} (no trailing slash); {at.label()} matches {path}, which "
                    f"needs one, so the handshake met the controller's default backend ({rt.status}) and the page saw "
                    "close code 1006.",
                    f"Let the path match with and without the slash: {new}.",
                    "ingress-nginx#3.5", [at.ref()], [patch.to_dict()],
                ))
                return


def websocket_idle_fix(ctx: FixContext, rt: RequestTrace) -> None:
    """Give the WEBSOCKET_CLOSED_IDLE diagnosis the patch that raises the timeout of the hop that cut it."""
    diag = next((d for d in rt.diagnoses if d.code == "WEBSOCKET_CLOSED_IDLE" and not d.patches), None)
    if diag is None:
        return
    patches: list[Patch] = []
    for ref in diag.objects:
        obj = ctx.snapshot.get(str(ref.get("kind")), ref.get("namespace"), str(ref.get("name")))
        if obj is None:
            continue
        if obj.kind == "Ingress":
            at = RoutedPath(obj, 0, 0) if obj.spec.get("rules") else None
            if at is not None:
                values: dict[str, str | None] = {"proxy-read-timeout": str(LONG_IDLE),
                                                 "proxy-send-timeout": str(LONG_IDLE)}
                patches.append(merge_ingress(at, annotations_patch(values),
                                             f"{at.label()}: proxy-read-timeout and proxy-send-timeout {LONG_IDLE}"))
        elif obj.kind == "Service":
            body = {"metadata": {"annotations": {AWS_IDLE: str(LONG_IDLE)}}}
            patches.append(Patch("merge", obj.api_version, "Service", obj.namespace, obj.name, obj.source.file, body,
                                 f"Service {obj.namespace}/{obj.name}: load balancer idle timeout {LONG_IDLE} s"))
    diag.patches = [p.to_dict() for p in patches]
