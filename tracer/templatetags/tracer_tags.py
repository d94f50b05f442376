from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tracer.diagram import status_text
from tracer.presenters import option_words
from tracer.rule_pages import RuleRef, diagnosis_ref, rule_ref

register = template.Library()


@register.filter
def items(value: Any) -> list[tuple[Any, Any]]:
    """dict.items() that never collides with a key named "items"."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [tuple(v) if isinstance(v, (list, tuple)) and len(v) == 2 else (v, "") for v in value]
    return []


@register.filter(name="option_words")
def option_words_filter(options: Any) -> list[str]:
    """A scenario's engine options in words ("endpoints assumed")."""
    return option_words(options if isinstance(options, dict) else None)


@register.filter
def final_status(final: Any) -> str:
    """A request's outcome as people read it: "404 Not Found", "connection refused"."""
    if not isinstance(final, dict):
        return ""
    status, error = final.get("status"), final.get("error")
    return status_text(status, "respond", error) if (status is not None or error) else "no response"


def _catalog_link(text: str, ref: RuleRef | None) -> SafeString:
    if ref is None:
        return format_html("<code>{}</code>", text)
    return format_html('<a class="rule-link" href="{}" title="{}"><code>{}</code></a>', ref.url, ref.title, text)


@register.filter
def rule_link(rule_id: Any) -> SafeString:
    """A rule id as a link to its catalog entry (title as tooltip); anything else as plain code."""
    text = str(rule_id)
    return _catalog_link(text, rule_ref(text))


@register.filter
def diagnosis_link(code: Any) -> SafeString:
    """A diagnosis code as a link to its entry in the diagnosis catalog; unknown codes as plain code."""
    text = str(code)
    return _catalog_link(text, diagnosis_ref(text))


@register.filter
def diagnosis_title(code: Any) -> str:
    """The registered title of a diagnosis code ("" when unknown)."""
    ref = diagnosis_ref(str(code))
    return ref.title if ref is not None else ""


@register.filter
def as_yaml(value: Any) -> str:
    """A JSON value as block YAML (a patch body shown the way it would be written in a manifest)."""
    from tracer.presenters import to_yaml

    return to_yaml(value)
