"""Names people type (snapshot, trace and token names): control characters and text-direction overrides are
removed where they are typed, so no page, export or terminal shows them, and runs of whitespace become one
space."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms

# Bidirectional overrides and isolates, marks included: they reorder what a reader sees (Trojan Source).
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"\s+")


def typed_name(value: str) -> str:
    """``value`` without control characters or direction overrides, whitespace collapsed, stripped."""
    kept = "".join(" " if c in "\t\n\r" else c for c in value
                   if c in "\t\n\r" or (unicodedata.category(c) != "Cc" and c not in BIDI))
    return _SPACES.sub(" ", kept).strip()


class NameField(forms.CharField):
    """A CharField whose value is cleaned with :func:`typed_name` before validation."""

    def to_python(self, value: Any) -> str:
        return typed_name(str(super().to_python(value)))
