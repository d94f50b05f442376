"""Best-effort line numbers for fields of a loaded object, and spotting Helm templates.

Only used when something is reported (a warning or an error), so a text search per report is
fine; the common path never calls into this module.
"""

from __future__ import annotations

import re
from typing import Any

from tracer.engine.yamldocs import Document

__all__ = ["field_line", "helm_template_line"]

# Go template actions as Helm charts use them: `{{ .Values.x }}`, `{{- if ... }}`, `{{/* ... */}}`.
_HELM_ACTION = re.compile(r"\{\{-?\s*(?:[.$/]|(?:if|else|end|range|with|include|template|define|toYaml|tpl)\b)")


def helm_template_line(text: str) -> int | None:
    """The 1-based line of the first Helm template action in ``text``, or None if it has none."""
    match = _HELM_ACTION.search(text)
    if match is None:
        return None
    return text.count("\n", 0, match.start()) + 1


def field_line(text: str, doc: Document, path: tuple[Any, ...], default: int) -> int:
    """The line where ``path`` (``("spec", "rules", 0, "host")``) is written in ``doc``, else ``default``.

    Keys are searched in order from the document's start; an index ``n`` finds the following key's
    ``n+1``-th occurrence, which holds for the sequences of similar mappings manifests are made of.
    """
    pos, end = doc.content, min(doc.end, len(text))
    repeat = 1
    for part in path:
        if isinstance(part, int):
            repeat = part + 1
            continue
        pattern = re.compile(r"""(?<![\w./-])["']?""" + re.escape(str(part)) + r"""["']?[ \t]*:""")
        for _ in range(repeat):
            match = pattern.search(text, pos, end)
            if match is None:
                return default
            pos = match.end()
        repeat = 1
    return text.count("\n", 0, pos) + 1 if pos > doc.content else default
