"""Value syntax shared by controller flags, the ConfigMap and annotations: Go booleans, nginx sizes and times, lists."""

from __future__ import annotations

import re

# Go strconv.ParseBool, which the ConfigMap decoder (mapstructure, weakly typed) and annotation parsers use.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})

# nginx size syntax: a number with an optional k/m/g suffix (case-insensitive). Fixed pattern, not user-supplied.
_SIZE = re.compile(r"^(\d+)([kKmMgG]?)$")
_SIZE_FACTOR = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# nginx time syntax for values like worker-shutdown-timeout ("240s", "1m30s", "10").
_TIME_PART = re.compile(r"(\d+)(ms|[smhd]?)")
_TIME_FACTOR = {"": 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_bool(value: str) -> bool | None:
    """Go's strconv.ParseBool; None when the text is not a boolean."""
    value = value.strip()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def parse_size(value: str) -> int | None:
    """nginx size ("1m", "8k", "0", "512") in bytes; None if invalid."""
    m = _SIZE.match(value.strip())
    if not m:
        return None
    return int(m.group(1)) * _SIZE_FACTOR[m.group(2).lower()]


def parse_duration_seconds(value: str) -> int | None:
    """nginx time ("240s", "1m", "90") in whole seconds; None if invalid."""
    text = value.strip()
    if not text:
        return None
    total = 0.0
    pos = 0
    for m in _TIME_PART.finditer(text):
        if m.start() != pos:
            return None
        total += int(m.group(1)) * _TIME_FACTOR[m.group(2)]
        pos = m.end()
    if pos != len(text):
        return None
    return int(total)


def split_list(value: str) -> tuple[str, ...]:
    """Comma-separated list, items trimmed, empties removed (configmap.go splitAndTrimSpace)."""
    return tuple(p.strip() for p in value.split(",") if p.strip())
