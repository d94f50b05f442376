"""Text from manifests and requests made safe to show: control characters and bidi overrides in visible form.

Names, hosts, paths and header values come from uploads and API calls. Shown raw, a C0/C1 control character
or DEL can drive a terminal (``\\x1b[2J`` clears it), makes an SVG invalid XML (XML 1.0 section 2.2 allows
only tab, newline and carriage return below U+0020), and the bidi overrides U+202A-U+202E and isolates
U+2066-U+2069 reorder what a reader sees ("Trojan Source", CVE-2021-42574, https://trojansource.codes/).
Every output (CLI text, SVG, Markdown, HTML) passes such text through :func:`printable`, which writes each
of those characters as ``\\x1b`` or ``\\u202e``. Tab and newline are kept; lone surrogates and U+FFFE/U+FFFF
(not characters, and not allowed in XML either) are escaped too.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["printable", "printable_tree"]

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters (but tab and newline), DEL, C1 and bidi overrides escaped."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_visible, text)


def printable_tree(value: Any) -> Any:
    """``value`` (a trace-v1 document, a manifest) with :func:`printable` applied to every string, keys included.

    Copy-on-write: the same object comes back when nothing needed escaping, which is the common case."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        out: dict[Any, Any] | None = None
        for i, (key, item) in enumerate(value.items()):
            new_key = printable(key) if isinstance(key, str) else key
            new_item = printable_tree(item)
            if out is None and (new_key is not key or new_item is not item):
                out = dict(list(value.items())[:i])
            if out is not None:
                out[new_key] = new_item
        return value if out is None else out
    if isinstance(value, list | tuple):
        items = [printable_tree(item) for item in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value
