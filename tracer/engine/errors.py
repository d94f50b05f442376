"""Errors the engine raises for bad input. Each names where the problem is."""

from __future__ import annotations


class TracerError(Exception):
    """Base class for every error the engine reports to users."""


class LoadError(TracerError):
    """A manifest could not be loaded. Names the file, document index, line and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        document: int | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.document = document
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.document is not None:
            parts.append(f"document {self.document}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        return f"{loc}: {self.message}" if loc else self.message

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "document": self.document,
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


class RequestError(TracerError):
    """The request spec (method, URL, headers...) is malformed."""


class OptionError(TracerError):
    """An engine option has an unknown or invalid value."""
