"""IP access annotations (ingress-nginx#9.1, #9.4): allow/deny source ranges and satisfy.

A list that does not parse denies the Ingress's locations (503) rather than dropping the Ingress.
"""

from __future__ import annotations

from dataclasses import dataclass

from .parser import Parser, parse_cidrs


@dataclass(frozen=True, slots=True)
class IpAccess:
    allowlist: tuple[str, ...] | None = None  # CIDRs (normalised strings); the ConfigMap list when unset
    denylist: tuple[str, ...] | None = None
    satisfy_any: bool = False  # satisfy: "any" (one passing access check is enough)


NO_ACCESS_RULES = IpAccess()


def parse_access(p: Parser) -> IpAccess:
    allowlist = _cidr_list(p, "allowlist-source-range", "whitelist-source-range", p.config.whitelist_source_range)
    denylist = _cidr_list(p, "denylist-source-range", None, p.config.denylist_source_range)
    satisfy_any = (p.get("satisfy") or "").strip() == "any"
    if allowlist is None and denylist is None and not satisfy_any:
        return NO_ACCESS_RULES
    return IpAccess(allowlist=allowlist, denylist=denylist, satisfy_any=satisfy_any)


def _cidr_list(p: Parser, suffix: str, alias: str | None, default: tuple[str, ...]) -> tuple[str, ...] | None:
    value = p.get(suffix, alias) if alias is not None else p.get(suffix)
    if value is None:
        return tuple(sorted(default)) if default else None
    cidrs = parse_cidrs(value)
    if cidrs is None:
        used = suffix if p.get(suffix) is not None or alias is None else alias
        p.deny(
            used,
            f'value "{value}" is not a comma-separated list of IPs/CIDRs',
            f"Fix the list, e.g. {p.line(used, '10.0.0.0/8,192.168.1.5')} (no empty entries).",
            "CIDR_LIST_INVALID",
        )
    return cidrs
