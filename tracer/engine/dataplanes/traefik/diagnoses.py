"""The diagnoses Traefik routing reports, built in one place so their wording stays consistent."""

from __future__ import annotations

from ...result import Diagnosis
from .crd import Problem
from .ingress_v2 import Ignored
from .routers import Router
from .settings import EntryPoint


def problem_diagnosis(problem: Problem, router: Router | None, *, severity: str = "error") -> Diagnosis:
    where = f"{router.label}: " if router is not None else ""
    return Diagnosis(problem.code, severity, where + problem.message + ".",
                     problem.fix or "Fix the route so Traefik can build it.", problem.rule,
                     [router.source.ref()] if router is not None else [])


def no_router(host: str, path: str, label: str, near: list[str], rule: str = "traefik#T32",
              noun: str = "router") -> Diagnosis:
    return Diagnosis(
        "TRAEFIK_NO_ROUTER_MATCHES",
        "error",
        f"No {noun} of {label} matches {host}{path} on this entry point, so Traefik answers 404 "
        "(404 page not found)." + (f" Nearest: {near[0]}." if near else ""),
        f"Add a route whose rule matches {host}{path} (Host and PathPrefix), on this entry point.",
        rule,
    )


def other_entry_point(router: Router, entry: str, tls_mismatch: bool, is_tls: bool) -> Diagnosis:
    if tls_mismatch:
        why = ("it is a TLS router (router.tls or the entry point's http.tls), which serves only HTTPS requests"
               if not is_tls else "it is not a TLS router, so it serves only plain HTTP requests")
        fix = ("Send the request over https, or redirect http to https (an entry point redirection or a "
               "RedirectScheme middleware)." if not is_tls else
               "Turn TLS on for the router: traefik.ingress.kubernetes.io/router.tls: \"true\" on the Ingress, or "
               "spec.tls on the IngressRoute (or http.tls on the entry point).")
    else:
        why = f"it is attached to entry point(s) {', '.join(router.entry_points)}, not {entry}"
        fix = f"Add {entry} to the route's entry points (router.entrypoints / spec.entryPoints), or send the request " \
              f"to a port of {', '.join(router.entry_points)}."
    return Diagnosis(
        "TRAEFIK_ROUTER_OTHER_ENTRYPOINT",
        "error",
        f"{router.label} matches the request, but {why}; Traefik answers 404.",
        fix,
        "traefik#T10" if tls_mismatch else "traefik#T9",
        [router.source.ref()],
    )


def no_entry_point(port: int, how: str, entry_points: list[EntryPoint], rule: str = "traefik#T9") -> Diagnosis:
    listening = ", ".join(f"{e.name} on {e.port}" for e in entry_points if e.port) or "none"
    return Diagnosis(
        "TRAEFIK_NO_ENTRYPOINT",
        "error",
        f"The request reaches Traefik on {how}, and no entry point listens there (entry points: {listening}), so the "
        "connection is refused.",
        f"Send the request to a port of an entry point, or add an entry point on port {port} "
        "(--entrypoints.<name>.address=:<port>).",
        rule,
    )


def tie(winner: Router, other: Router) -> Diagnosis:
    how = "priority" if winner.explicit_priority or other.explicit_priority else "rule length (the default priority)"
    return Diagnosis(
        "TRAEFIK_PRIORITY_TIE",
        "warning",
        f"{winner.label} and {other.label} both match with {how} {winner.priority}. Traefik sorts routers by priority "
        "with an unstable sort, so which one answers is not defined and may change when Traefik reloads; tracer "
        f"shows {winner.label}.",
        "Give one of the routes an explicit priority (router.priority on an Ingress, priority on an IngressRoute "
        "route) so the order is defined.",
        "traefik#T8",
        [winner.source.ref(), other.source.ref()],
    )


def prefix_character_match(router: Router, prefix: str, path: str) -> Diagnosis:
    return Diagnosis(
        "TRAEFIK_PREFIX_CHARACTER_MATCH",
        "info",
        f"{router.label}: PathPrefix {prefix} matched {path} character by character: Traefik's PathPrefix does not "
        f"stop at path segments, so {prefix} also matches {prefix}x and the like.",
        f"End the prefix with a slash ({prefix}/) or use Path({prefix}) || PathPrefix({prefix}/); for Ingress "
        "paths, Traefik v3.5 and later offer strictPrefixMatching on the kubernetesingress provider.",
        "traefik#T3",
        [router.source.ref()],
    )


def ignored(rec: Ignored, label: str) -> Diagnosis:
    return Diagnosis(
        "TRAEFIK_INGRESS_IGNORED",
        rec.severity,
        f"{rec.obj.kind} {rec.obj.namespace}/{rec.obj.name} would serve this host, but {label} does not read it: "
        f"{rec.reason}.",
        "Give it the class Traefik serves (spec.ingressClassName of an IngressClass with controller "
        "traefik.io/ingress-controller, or the kubernetes.io/ingress.class annotation), or fix what the reason names.",
        rec.rule,
        [rec.obj.ref()],
    )


def not_modelled(items: list[str]) -> Diagnosis:
    return Diagnosis(
        "TRAEFIK_MIDDLEWARE_NOT_MODELLED",
        "info",
        f"Middlewares tracer does not model are assumed to let the request through: {', '.join(items[:4])}.",
        "Check them by hand: an authentication or IP allow-list middleware can answer 401 or 403 itself.",
        "traefik#T27",
    )


__all__ = ["ignored", "no_entry_point", "no_router", "not_modelled", "other_entry_point", "prefix_character_match",
           "problem_diagnosis", "tie"]
