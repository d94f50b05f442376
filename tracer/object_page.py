"""One snapshot object's page with caps: the object found by its id when its key makes too long a URL, long names
shortened with the whole text a click away, long values cut in the YAML shown, and the YAML shown 64 KiB at a
time with the whole of it as a download.

A manifest may hold a 20,000-character name (Kubernetes would refuse it, an upload need not) or a 30 MB
ConfigMap value; shown whole, the first makes a URL servers refuse (414) and the second a page of tens of MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from tracer.engine.printable import printable

from .models import SnapshotObject
from .presenters import to_yaml
from .value_caps import NAME_CHARS, cut_values

__all__ = ["NAME_CHARS", "YamlPage", "full_yaml", "object_url", "shorten", "yaml_page"]
PAGE_BYTES = 64 * 1024  # the YAML shown at once
MAX_KEY_URL = 2000  # longer object URLs (a browser's or proxy's limit is often 8 KB) use the object's id


def object_url(obj: SnapshotObject) -> str:
    """The object's page: by its key when that stays short, else by its id (always short)."""
    url = obj.get_absolute_url()
    if len(url) <= MAX_KEY_URL:
        return url
    return f"{reverse('tracer-snapshot-object', args=[obj.snapshot_id])}?{urlencode({'id': obj.pk})}"


def shorten(text: str, limit: int = NAME_CHARS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the caller offers the rest)."""
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class YamlPage:
    lines: list[str]  # escaped for display (control characters visible)
    first_line: int  # 1-based number of lines[0]
    next_line: int | None  # where the next part starts; None: this is the end
    total_lines: int
    values_cut: int  # string values shown cut


def yaml_page(body: Any, start: int = 1) -> YamlPage:
    """The object's YAML from line ``start``, at most PAGE_BYTES of it, long values cut."""
    cut: list[int] = []
    lines = to_yaml(cut_values(body, cut)).splitlines()
    start = max(1, min(start, max(1, len(lines))))
    shown: list[str] = []
    size = 0
    i = start - 1
    while i < len(lines) and (not shown or size + len(lines[i]) + 1 <= PAGE_BYTES):
        shown.append(printable(lines[i]))
        size += len(lines[i]) + 1
        i += 1
    return YamlPage(shown, start, i + 1 if i < len(lines) else None, len(lines), len(cut))


def full_yaml(body: Any) -> str:
    """The whole object as YAML, every value whole (the download)."""
    return to_yaml(body)
