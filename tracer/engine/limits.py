"""Hard bounds on what one manifest load may read (shared by the loader, archive reader and YAML parser).

Kept apart from those modules so each can import it without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass

# Ceiling on nesting depth whatever the caller asks for: yaml-rs recurses per level and overflows the
# C stack a few hundred levels deeper than this in small thread stacks.
HARD_MAX_DEPTH = 256


@dataclass
class Limits:
    """Hard bounds on what one load may read; exceeding any raises LoadError."""

    max_total_bytes: int = 64 * 1024 * 1024
    max_documents: int = 100_000  # YAML documents per file, and objects in total
    max_depth: int = 64  # collections nested in one document (capped at HARD_MAX_DEPTH)
    max_alias_expansion: int = 100_000  # total nodes reachable through aliases
    max_files: int = 10_000

    @property
    def depth_cap(self) -> int:
        """``max_depth`` bounded by HARD_MAX_DEPTH: the depth actually enforced."""
        return min(self.max_depth, HARD_MAX_DEPTH)


__all__ = ["HARD_MAX_DEPTH", "Limits"]
