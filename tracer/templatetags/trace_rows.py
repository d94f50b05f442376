"""The traces table's colours: a trace's outcome as the status badge class the trace page uses."""

from __future__ import annotations

from typing import Any

from django import template

from tracer.diagram import outcome_class

register = template.Library()


@register.filter
def final_css(final: Any) -> str:
    """The badge class of a request's outcome (ok, redirect, client-error, server-error, l4, neutral)."""
    if not isinstance(final, dict):
        return "neutral"
    status, error = final.get("status"), final.get("error")
    return outcome_class(status, "respond", error) if (status is not None or error) else "neutral"
