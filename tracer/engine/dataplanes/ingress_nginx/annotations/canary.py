"""Canary annotations (ingress-nginx#7.1, #7.3): the settings of an Ingress marked canary: "true"."""

from __future__ import annotations

from dataclasses import dataclass

from .parser import Parser

_CANARY_RULES = (
    "canary-weight",
    "canary-by-header",
    "canary-by-header-value",
    "canary-by-header-pattern",
    "canary-by-cookie",
)


@dataclass(frozen=True, slots=True)
class Canary:
    by_header: str | None = None
    by_header_value: str | None = None
    by_header_pattern: str | None = None
    by_cookie: str | None = None
    weight: int = 0
    weight_total: int = 100  # effective total (ingress-nginx#7.3: the annotation only counts when > 100)


def parse_canary(p: Parser) -> Canary | None:
    """The canary settings, or None for an ordinary Ingress."""
    if not p.raw:
        return None  # no annotation of this controller at all
    enabled = bool(p.boolean("canary", False))
    weight = _whole(p, "canary-weight", 0)
    total = _whole(p, "canary-weight-total", 100)
    header = p.get("canary-by-header")
    header_value = p.get("canary-by-header-value")
    header_pattern = p.get("canary-by-header-pattern")
    cookie = p.get("canary-by-cookie")
    if not enabled:
        if weight > 0 or header or header_value or header_pattern or cookie:
            present = [p.key(s) for s in _CANARY_RULES if p.get(s) is not None]
            text = (
                f'Ingress {p.name}: {", ".join(present)} set without {p.key("canary")}: "true"; the canary '
                "settings are discarded and the Ingress is served as an ordinary Ingress"
            )
            p.warnings.append(text)
            p.diag(
                "CANARY_ANNOTATIONS_WITHOUT_CANARY",
                "warning",
                text,
                f"Add {p.line('canary', 'true')}.",
                "ingress-nginx#7.1",
            )
        return None
    return Canary(
        by_header=header,
        by_header_value=header_value,
        by_header_pattern=header_pattern,
        by_cookie=cookie,
        weight=weight,
        weight_total=total if total > 100 else 100,  # balancer.lua: only totals above 100 count (#7.3)
    )


def _whole(p: Parser, suffix: str, default: int) -> int:
    value = p.get(suffix)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        p.warn(
            suffix,
            f'value "{value}" is not a whole number; {default} is used',
            f"Use e.g. {p.line(suffix, str(default))}.",
            rule="ingress-nginx#7.3",
        )
        return default
