from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def items(value: Any) -> list[tuple[Any, Any]]:
    """dict.items() that never collides with a key named "items"."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [tuple(v) if isinstance(v, (list, tuple)) and len(v) == 2 else (v, "") for v in value]
    return []
