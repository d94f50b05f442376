"""Knative Serving on the Istio ingress gateway (net-istio), docs/knative.md and istio#S20..#S25.

derive.py turns Knative Services and DomainMappings into the Gateway and VirtualServices net-istio would
program, when the snapshot lacks them; domains.py gives the hosts; activator.py takes a request to a revision
whose Service the snapshot does not hold (the activator when the revision is scaled to zero).
"""

from __future__ import annotations

from .derive import Derived, Revision, derive

__all__ = ["Derived", "Revision", "derive"]
