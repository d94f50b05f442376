"""CORS annotations (ingress-nginx#9.6): enable-cors and the Access-Control-* values.

Invalid values fall back to the defaults; an origin list that fails validation as a whole means "*".
"""

from __future__ import annotations

from dataclasses import dataclass

from .parser import CORS_ORIGIN, CORS_ORIGIN_ITEM, HEADERS_VARIABLE, Parser, matches

DEFAULT_CORS_METHODS = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
DEFAULT_CORS_HEADERS = (
    "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
)
DEFAULT_CORS_MAX_AGE = 1728000


@dataclass(frozen=True, slots=True)
class Cors:
    enabled: bool = False  # enable-cors
    allow_origin: tuple[str, ...] = ("*",)
    allow_methods: str = DEFAULT_CORS_METHODS
    allow_headers: str = DEFAULT_CORS_HEADERS
    allow_credentials: bool = True
    expose_headers: str = ""
    max_age: int = DEFAULT_CORS_MAX_AGE


NO_CORS = Cors()


def _methods_ok(value: str) -> bool:
    """corsMethodsRegex ``^([A-Za-z]+,?\\s?)+$`` checked by hand (the nested quantifier backtracks badly)."""
    i, n = 0, len(value)
    while i < n:
        start = i
        while i < n and value[i].isascii() and value[i].isalpha():
            i += 1
        if i == start:
            return False
        if i < n and value[i] == ",":
            i += 1
        if i < n and value[i] in " \t\n\r\f\v":
            i += 1
    return n > 0


def _origins_valid(value: str) -> bool:
    """corsOriginRegexValidator (spaces removed), checked per comma-separated item to avoid nested quantifiers."""
    if value in ("", "*"):
        return True
    return all(matches(CORS_ORIGIN_ITEM, item) for item in value.split(","))


def parse_cors(p: Parser) -> Cors:
    if not p.raw:
        return NO_CORS  # no annotation of this controller at all
    enabled = bool(p.boolean("enable-cors", False))
    allow_origin = _allow_origin(p)
    allow_headers = DEFAULT_CORS_HEADERS
    headers = p.get("cors-allow-headers")
    if headers is not None and matches(HEADERS_VARIABLE, headers):
        allow_headers = headers
    allow_methods = DEFAULT_CORS_METHODS
    methods = p.get("cors-allow-methods")
    if methods is not None and _methods_ok(methods):
        allow_methods = methods
    credentials = bool(p.boolean("cors-allow-credentials", True))
    expose = p.get("cors-expose-headers") or ""
    max_age = DEFAULT_CORS_MAX_AGE
    raw_max_age = p.get("cors-max-age")
    if raw_max_age is not None:
        try:
            max_age = int(raw_max_age)
        except ValueError:
            p.warn(
                "cors-max-age",
                f'value "{raw_max_age}" is not a whole number; {DEFAULT_CORS_MAX_AGE} is used',
                f"Use e.g. {p.line('cors-max-age', '600')}.",
                rule="ingress-nginx#9.6",
            )
    cors = Cors(
        enabled=enabled,
        allow_origin=allow_origin,
        allow_methods=allow_methods,
        allow_headers=allow_headers,
        allow_credentials=credentials,
        expose_headers=expose,
        max_age=max_age,
    )
    return NO_CORS if cors == NO_CORS else cors


def _allow_origin(p: Parser) -> tuple[str, ...]:
    origins = p.get("cors-allow-origin")
    if origins is None:
        return ("*",)
    if not _origins_valid(origins.replace(" ", "")):
        # The annotation-level validator fails: cors.go falls back to "*", i.e. every origin is allowed.
        p.warn(
            "cors-allow-origin",
            f'value "{origins}" fails validation; the default "*" (any origin) is used',
            f"List origins as scheme://host[:port], e.g. {p.line('cors-allow-origin', 'https://a.example.com')}.",
            code="CORS_ORIGIN_INVALID",
            rule="ingress-nginx#9.6",
        )
        return ("*",)
    kept: list[str] = []
    for origin in origins.split(","):
        origin = origin.strip()
        if not origin:
            continue
        if origin == "*":
            kept = ["*"]
            break
        if not matches(CORS_ORIGIN, origin):
            p.warn(
                "cors-allow-origin",
                f'entry "{origin}" is not scheme://host[:port]; skipped',
                "List origins as scheme://host[:port], comma-separated.",
                rule="ingress-nginx#9.6",
            )
            continue
        kept.append(origin)
    return tuple(kept)
