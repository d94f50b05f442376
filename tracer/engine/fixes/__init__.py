"""Fixes that re-trace: manifest patches attached to diagnoses, and the derived snapshot they give.

A finder (prefix.py, cookie_scope.py, websocket_fixes.py, tls_fixes.py) looks at the requests of a
journey, recognises a failure pattern of the field reports and adds a diagnosis whose ``patches`` change
the manifests so the request succeeds; ``apply_patches`` (patch.py) derives the snapshot to trace again.
docs/fixes.md describes the patch format.
"""

from __future__ import annotations

from .context import FixContext
from .journey_fixes import find_fixes
from .patch import Patch, apply_patches, merge_patch
from .walk import FixStep, first_fix, patches_of, request_failed, walk

__all__ = [
    "FixContext", "FixStep", "Patch", "apply_patches", "find_fixes", "first_fix", "merge_patch", "patches_of",
    "request_failed", "walk",
]
