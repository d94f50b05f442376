"""What-if faults applied to a snapshot before tracing (docs/faults.md).

``model`` validates faults (option entries and ``kind: Fault`` documents) and holds the per-engine
:class:`Faults`; ``apply`` derives the snapshot right after the events; ``hops`` shows them on the entry
and pod hops, with their diagnoses.

The package itself exports only the model: ``apply`` needs the controller installations (and through
them the data planes, which need the engine context), so importing it from here would make the context
import itself. Import ``.apply`` and ``.hops`` by their module names.
"""

from .model import API_VERSION, KIND, NO_FAULTS, Fault, Faults, parse_document, parse_option, sync_period

__all__ = ["API_VERSION", "KIND", "NO_FAULTS", "Fault", "Faults", "parse_document", "parse_option", "sync_period"]
