"""An Ingress path as an HTTPRoute match, and rewrite-target as a URLRewrite path where Gateway API can say it.

Facts (docs/rules/ingress-nginx.md): a missing pathType and ImplementationSpecific are Prefix (ingress-nginx#3.1);
a host is in regex mode when any of its Ingresses sets use-regex or an effective rewrite-target (#3.3), and then
every location is a case-insensitive regex anchored only at the start (#3.4); a Prefix path written with a
trailing slash answers the path without it with a 301 (#3.6); rewrite-target replaces the whole URI, with ``$n``
the path's capture groups (#4.1). Gateway API (k8s-routing#G-19, G-39, G-40): PathPrefix matches whole segments,
RegularExpression is implementation-specific, URLRewrite has ReplaceFullPath and ReplacePrefixMatch and no
capture groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..dataplanes.ingress_nginx.annotations import IngressAnnotations
from .model import Notification
from .source import NginxSource, effective_rewrite

REGEX_META = frozenset("^$*+?()[]{}|\\")
# HTTPRoute path values for Exact and PathPrefix (the CRD's pattern and its forbidden sequences, k8s-routing#G-5).
GATEWAY_PATH = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
BAD_PARTS = ("//", "/./", "/../", "%2f", "%2F", "#")
# The documented prefix strip (ingress-nginx docs/examples/rewrite): path P(/|$)(.*) with target T/$2.
CANONICAL_PATH = re.compile(r"^(/[^\^$*+?()\[\]{}|\\]*?)\(/\|\$\)\(\.\*\)$")
CANONICAL_TARGET = re.compile(r"^([^$]*)/\$2$")
CAPTURE_REF = re.compile(r"\$\d")


@dataclass(slots=True)
class PathPlan:
    match: dict[str, Any] | None  # None: the path is not translated (a note says why)
    regex: bool = False
    rewrite: dict[str, Any] | None = None  # URLRewrite ``path``
    notes: list[Notification] = field(default_factory=list)


def has_regex(path: str) -> bool:
    return any(c in REGEX_META for c in path)


def valid_gateway_path(path: str) -> bool:
    return bool(GATEWAY_PATH.match(path)) and not any(b in path for b in BAD_PARTS) and not path.endswith(("/.", "/.."))


def translate_path(src: NginxSource, ing_name: str, ann: IngressAnnotations, host: str | None, entry: dict[str, Any]
                   ) -> PathPlan:
    path = str(entry.get("path") or "/")
    declared = str(entry.get("pathType") or "")
    kind = "Exact" if declared == "Exact" else "PathPrefix"
    obj = f"Ingress {ing_name}"
    key = host or "_"
    own_regex = ann.rewrite.use_regex or effective_rewrite(ann, path)
    plan = PathPlan(None)

    def note(level: str, annotation: str | None, message: str, gap: str, *rules: str) -> None:
        plan.notes.append(Notification(level, obj, annotation, message, gap, rules, host, path))

    prefix_annotation = ann.prefix
    canonical = CANONICAL_PATH.match(path) if effective_rewrite(ann, path) else None
    target_match = CANONICAL_TARGET.match(ann.rewrite.target or "") if canonical else None
    if canonical and target_match and "$" not in target_match.group(1) and valid_gateway_path(canonical.group(1)):
        prefix = canonical.group(1)
        plan.match = {"path": {"type": "PathPrefix", "value": prefix}}
        plan.rewrite = {"type": "ReplacePrefixMatch", "replacePrefixMatch": target_match.group(1) or "/"}
        note("info", f"{prefix_annotation}rewrite-target",
             f"path {path} with rewrite-target {ann.rewrite.target} strips the prefix {prefix}: translated as PathPrefix "
             f"{prefix} with URLRewrite ReplacePrefixMatch {target_match.group(1) or '/'}; ingress-nginx matched it as a "
             f"case-insensitive regex ({_regex_words(src, key)})",
             "ingress-nginx-only", "ingress-nginx#4.1", "ingress-nginx#3.3")
        return plan
    if own_regex and has_regex(path):
        plan.match = {"path": {"type": "RegularExpression", "value": path}}
        plan.regex = True
        note("info", f"{prefix_annotation}use-regex" if ann.rewrite.use_regex else f"{prefix_annotation}rewrite-target",
             f"regex path {path} translated as RegularExpression; ingress-nginx matched it case-insensitively and as a "
             "prefix (anchored only at the start), while Gateway API leaves the dialect to the implementation (the "
             "Envoy-based ones match the whole path, case-sensitively)",
             "ingress-nginx-only", "ingress-nginx#3.4", "ingress-nginx#3.5")
    else:
        if not valid_gateway_path(path):
            note("warning", None, f"path {path} is not a valid HTTPRoute {kind} value (Gateway API allows only "
                 "URL path characters and no //, /./ or /../); not translated", "spec", "ingress-nginx#3.1")
            return plan
        plan.match = {"path": {"type": kind, "value": path}}
        if declared in ("", "ImplementationSpecific"):
            note("info", None, f"pathType {declared or 'unset'} of path {path} is Prefix in ingress-nginx; translated as "
                 "PathPrefix", "ingress-nginx-only", "ingress-nginx#3.1")
        if src.regex_host(key):
            note("info", None, f"host {host or 'without name'} is in regex mode ({_regex_words(src, key)}): "
                 f"ingress-nginx matched {path} as the case-insensitive regex ^{path}, which also takes longer paths "
                 f"and other letter cases; translated as {kind} {path}", "ingress-nginx-only", "ingress-nginx#3.3",
                 "ingress-nginx#14.2")
        elif kind == "PathPrefix" and path != "/" and path.endswith("/"):
            note("info", None, f"Prefix {path} ends with a slash: ingress-nginx answers {path.rstrip('/')} with a 301 "
                 f"to {path}, while PathPrefix {path} serves it directly", "ingress-nginx-only", "ingress-nginx#3.6")
    if effective_rewrite(ann, path):
        target = str(ann.rewrite.target)
        if CAPTURE_REF.search(target):
            note("warning", f"{prefix_annotation}rewrite-target",
                 f"rewrite-target {target} builds the new path from capture groups of {path}; Gateway API's URLRewrite "
                 "has no capture groups, so requests reach the backend with their path unchanged", "spec",
                 "ingress-nginx#4.1")
        else:
            plan.rewrite = {"type": "ReplaceFullPath", "replaceFullPath": target}
    return plan


def _regex_words(src: NginxSource, key: str) -> str:
    causes = src.regex_causes.get(key) or []
    return ", ".join(f"{annotation} on Ingress {ing}" for ing, annotation in causes[:3]) or "no regex annotation"
