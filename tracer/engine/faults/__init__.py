"""What-if faults applied to a snapshot before tracing (docs/faults.md).

``model`` validates faults (option entries and ``kind: Fault`` documents) and holds the per-engine
:class:`Faults`; ``apply`` derives the snapshot right after the events; ``hops`` shows them on the entry
and pod hops, with their diagnoses.
"""

from __future__ import annotations

from .apply import FAULT_REASON, apply_faults
from .hops import entry_with_faults, fault_diagnosis, finish_trace
from .model import API_VERSION, KIND, NO_FAULTS, Fault, Faults, parse_document, parse_option, sync_period

__all__ = [
    "API_VERSION",
    "FAULT_REASON",
    "KIND",
    "NO_FAULTS",
    "Fault",
    "Faults",
    "apply_faults",
    "entry_with_faults",
    "fault_diagnosis",
    "finish_trace",
    "parse_document",
    "parse_option",
    "sync_period",
]
