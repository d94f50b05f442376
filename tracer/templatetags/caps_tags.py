"""Filters for text from manifests and requests: control characters made visible, long names' safe links."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from tracer.engine.printable import printable as printable_text
from tracer.models import SnapshotObject
from tracer.object_page import object_url as page_url

register = template.Library()


@register.filter
def printable(value: Any) -> str:
    """Autoescape handles ``<`` and ``&``; this shows control characters and bidi overrides as ``\\x1b``."""
    return printable_text("" if value is None else str(value))


@register.filter
def object_url(obj: SnapshotObject) -> str:
    """The object's page URL, by id when its key would make the URL too long."""
    return page_url(obj)


class _PrintableNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        # Rendered HTML holds no control character of its own, so escaping the whole output changes only
        # the text that came from manifests; no "<", "&" or quote is added, so it stays as safe as it was.
        return mark_safe(printable_text(self.nodelist.render(context)))


@register.tag(name="printable")
def printable_block(parser: template.base.Parser, token: template.base.Token) -> _PrintableNode:
    """``{% printable %}...{% endprintable %}``: control characters in the enclosed output made visible.
    Not for form fields: their text is sent back as typed."""
    nodelist = parser.parse(("endprintable",))
    parser.delete_first_token()
    return _PrintableNode(nodelist)
