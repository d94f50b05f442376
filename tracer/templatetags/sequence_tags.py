"""The journey's sequence diagram in templates: ``{% journey_sequence trace.result as seq %}``."""

from __future__ import annotations

from typing import Any

from django import template

from tracer.journey_sequence import Sequence
from tracer.journey_sequence import journey_sequence as layout_sequence

register = template.Library()


@register.simple_tag
def journey_sequence(result: Any) -> Sequence | None:
    """The view model of a trace-v1 result's journey; nothing for a trace of single requests."""
    return layout_sequence(result if isinstance(result, dict) else None)
