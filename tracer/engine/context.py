"""The state one compiled Engine derives from its snapshot besides the route table.

An :class:`EngineContext` is created by ``Engine.__init__`` and handed to the data plane's
``compile`` and to the entry hops: whatever they index or memoise per snapshot lives here, so two
engines in one process, even on the same snapshot object, never share state.
"""

from __future__ import annotations

from typing import Any

from .faults import Faults
from .profiles import ProfileSet, build_profiles
from .services import ServiceIndex
from .snapshot import Snapshot


class EngineContext:
    """Per-engine indexes of one snapshot, built on first use."""

    __slots__ = ("_services", "faults", "profiles", "snapshot")

    def __init__(self, snapshot: Snapshot, app_profiles: list[dict[str, Any]] | str | None = None) -> None:
        self.snapshot = snapshot
        self._services: ServiceIndex | None = None
        # The AppProfiles of the snapshot and the option, validated now so a bad one fails the Engine at once;
        # None when there are none: the data planes then keep their usual "the app answers 200" path.
        self.profiles: ProfileSet | None = build_profiles(snapshot, app_profiles)
        # The what-if faults the snapshot carries (tracer.engine.faults.apply_faults writes them into it).
        self.faults: Faults = Faults.of(snapshot)

    @property
    def services(self) -> ServiceIndex:
        """The Service/endpoint index with its resolution and hop memos."""
        index = self._services
        if index is None:
            drops = {ns: f.label for ns, f in self.faults.deny_all.items()}
            index = self._services = ServiceIndex(self.snapshot, drops)
        return index
