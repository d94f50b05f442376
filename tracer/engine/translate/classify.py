"""Why a request's outcome differs between ingress-nginx (A) and its Gateway API translation (B), decided from
evidence: the translation's notes and rule origins, the rules and diagnoses on the ingress-nginx hops, the
host's regex mode, and the gateway hop's conformance warnings. Never from the probe's label.

Classes: ``ingress-nginx-only`` (behaviour only ingress-nginx has: regex locations are start-anchored prefixes and
case-insensitive, #3.4; one Ingress's use-regex or rewrite-target puts the whole host in regex mode, #3.3 and
#14.2; the 301 that adds a Prefix path's trailing slash, #3.6; matching on the normalised URI, #3.5; hostless rules
are no fallback, #14.9), ``translation-gap`` (an annotation the translation noted it could not express acts on
the ingress-nginx hops), ``target-implementation-gap`` (the chosen implementation's conformance report does not
list a feature the route uses, GATEWAY_FEATURE_UNSUPPORTED, k8s-routing#G-35) and ``spec-gap`` (Gateway API has
no field for it or leaves it to the implementation: capture groups in rewrites, the regular-expression dialect
and precedence, k8s-routing#G-19).
"""

from __future__ import annotations

from typing import Any

from ..dataplanes.ingress_nginx.locations import normalise_uri
from ..regexes import CompiledPattern, compile_pcre
from .model import Notification, RuleOrigin, Translation

Json = dict[str, Any]
CLASSES = ("ingress-nginx-only", "translation-gap", "target-implementation-gap", "spec-gap", "unclassified")


def _rules(r: Json) -> set[str]:
    out = {rule for h in r.get("hops") or [] for rule in h.get("rules") or []}
    out |= {str(d.get("rule")) for d in r.get("diagnoses") or []}
    return out


def _codes(r: Json) -> set[str]:
    return {str(d.get("code")) for d in r.get("diagnoses") or []}


def _controller_hop(r: Json) -> Json:
    return next((h for h in r.get("hops") or [] if h.get("component") == "controller"), {})


def _ingress_of(r: Json) -> tuple[str | None, str | None]:
    route = r.get("route") or {}
    if route.get("kind") != "Ingress":
        return None, None
    return f"{route.get('namespace')}/{route.get('name')}", route.get("rule")


def _origin(b: Json, t: Translation) -> RuleOrigin | None:
    route = b.get("route") or {}
    if route.get("kind") != "HTTPRoute":
        return None
    rule = str(route.get("rule") or "")
    index = int(rule[len("rules["):].partition("]")[0]) if rule.startswith("rules[") else -1
    return t.origin(f"{route.get('namespace')}/{route.get('name')}", index)


def _path_of(r: Json) -> tuple[str, str]:
    request = r.get("request") or {}
    url = str(request.get("url") or "")
    rest = url.partition("://")[2]
    host, slash, path = rest.partition("/")
    return host.partition(":")[0].lower(), ("/" + path.partition("?")[0]) if slash else "/"


def _noted(t: Translation, ingress: str | None, gap: str, rules: set[str], *, warning_only: bool) -> Notification | None:
    if ingress is None:
        return None
    for note in t.notes_for(ingress):
        if note.gap == gap and (note.level == "warning" or not warning_only) and set(note.rules) & rules:
            return note
    return None


def _ingress_path(t: Translation, ingress: str, where: str | None) -> tuple[str | None, str | None]:
    """The path string and the host of an Ingress rule (from the original snapshot)."""
    snap = t.original
    if snap is None or where is None:
        return None, None
    ns, _, name = ingress.partition("/")
    obj = snap.get("Ingress", ns, name)
    try:
        i = int(where.split("[")[1].split("]")[0])
        j = int(where.split("[")[2].split("]")[0])
        rule = (obj.spec.get("rules") or [])[i] if obj is not None else {}
        entry = ((rule.get("http") or {}).get("paths") or [])[j]
    except (IndexError, ValueError, TypeError, AttributeError):
        return None, None
    return str(entry.get("path") or "/"), (str(rule.get("host")).lower() if rule and rule.get("host") else None)


def _regex_reason(t: Translation, a_ingress: str, a_where: str | None, path: str) -> str:
    ing_path, host = _ingress_path(t, a_ingress, a_where)
    causes = t.regex_causes.get(host or "_", [])
    own = [annotation for ing, annotation in causes if ing == a_ingress]
    pattern = ing_path or ""
    sensitive = compile_pcre(pattern, ignore_case=False)
    if isinstance(sensitive, CompiledPattern) and not sensitive.match(path):
        how = f"case-insensitively (the request writes {path}, the path is {pattern})"
    else:
        how = f"as a prefix anchored only at its start (^{pattern} also takes {path})"
    if "use-regex" in own:
        return (f"regex paths: ingress-nginx matches location ^{pattern} of Ingress {a_ingress} {how}; the translated "
                "match does not (ingress-nginx#3.4, #3.5)")
    if own:
        return (f"rewrite-target implies regex: Ingress {a_ingress}'s rewrite-target puts host {host or 'without name'} "
                f"in regex mode, so ingress-nginx matches ^{pattern} {how} (ingress-nginx#4.1, #3.3)")
    others = ", ".join(f"{annotation} on Ingress {ing}" for ing, annotation in causes[:3]) or "another Ingress"
    return (f"host-wide use-regex: {others} put host {host or 'without name'} in regex mode, so ingress-nginx matches "
            f"path {pattern} of Ingress {a_ingress} as ^{pattern} {how} (ingress-nginx#3.3, #14.2)")


def _unsupported(b: Json) -> list[str]:
    return [str(d.get("message")) for d in b.get("diagnoses") or [] if d.get("code") == "GATEWAY_FEATURE_UNSUPPORTED"]


def classify(row: Json, a: Json | None, b: Json | None, t: Translation) -> tuple[str | None, str | None]:
    """(class, reason) for one compared request; (None, None) for an unchanged request on supported features."""
    a, b = a or {}, b or {}
    flagged = _unsupported(b)
    if not row.get("changed"):
        if flagged:
            return "target-implementation-gap", f"same outcome as traced by the specification, but {flagged[0]}"
        return None, None
    a_rules, a_codes = _rules(a), _codes(a)
    a_ingress, a_where = _ingress_of(a)
    origin = _origin(b, t)
    host, path = _path_of(a or b)
    details = [h.get("details") or {} for h in a.get("hops") or []]
    normalised = next((d["normalised_uri"] for d in details if d.get("normalised_uri")), None)
    if normalised is None and normalise_uri(path) not in (None, path) and a_ingress is not None:
        normalised = normalise_uri(path)
    if normalised is not None and normalised != path:
        return "ingress-nginx-only", (f"URL normalisation: ingress-nginx matches the normalised URI {normalised} "
                                      f"(slashes merged, dot segments resolved; ingress-nginx#3.5), the Gateway "
                                      f"matches {path} as sent")
    if "PREFIX_TRAILING_SLASH_301" in a_codes or ("ingress-nginx#3.6" in a_rules and a.get("status") == 301):
        return "ingress-nginx-only", (f"trailing-slash 301: ingress-nginx answers {path} with a 301 to {path}/ because "
                                      "the Prefix path is written with a trailing slash (ingress-nginx#3.6); "
                                      "PathPrefix ignores the trailing slash and serves it")
    same_rule = origin is not None and a_ingress is not None and origin.ingress == a_ingress and origin.where == a_where
    note = _noted(t, a_ingress, "translation", a_rules, warning_only=True)
    if note is not None:
        return "translation-gap", f"{note.annotation or note.object}: {note.message} (it acts here: {', '.join(note.rules)})"
    if not same_rule:
        if a_ingress is not None and "ingress-nginx#3.3" in a_rules:
            return "ingress-nginx-only", _regex_reason(t, a_ingress, a_where, path)
        if origin is not None and origin.regex:
            return "spec-gap", (f"regular expressions: the Gateway picked the RegularExpression match of "
                                f"{origin.text()}; Gateway API leaves their dialect and precedence to the "
                                "implementation (k8s-routing#G-19), ingress-nginx tries regex locations in order "
                                "of path length (ingress-nginx#3.5)")
        if a_ingress is None and origin is not None and origin.host is None and host:
            return "ingress-nginx-only", (f"hostless rules are no fallback: ingress-nginx answers {host} from its own "
                                          "server and does not try the hostless rules (ingress-nginx#14.9); the "
                                          f"Gateway falls back to {origin.text()}")
    spec = _noted(t, a_ingress, "spec", a_rules, warning_only=True)
    if spec is not None:
        return "spec-gap", f"{spec.annotation or spec.object}: {spec.message}"
    if flagged:
        return "target-implementation-gap", flagged[0]
    return "unclassified", (f"no note or rule explains it: ingress-nginx answered {row.get('a')} through "
                            f"{a_ingress or 'no Ingress'}, the Gateway {row.get('b')} through "
                            f"{origin.text() if origin else 'no translated rule'}")
