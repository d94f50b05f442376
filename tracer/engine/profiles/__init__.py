"""App profiles: what each backend answers (tracer.dev/v1alpha1 AppProfile, docs/app-profiles.md).

Pure Python: parse.py validates the documents, match.py picks the route for the request as the pod
receives it, registry.py finds the profile of a picked endpoint.
"""

from __future__ import annotations

from .apply import merge_headers, profile_pod_hop
from .match import DEFAULT_WHY, ProfileRequest, answer
from .model import API_VERSION, KIND, Answer, AppProfile, Html, Respond, Route
from .parse import parse_profile
from .registry import ProfileSet, build_profiles, option_objects

__all__ = [
    "API_VERSION",
    "DEFAULT_WHY",
    "KIND",
    "Answer",
    "AppProfile",
    "Html",
    "ProfileRequest",
    "ProfileSet",
    "Respond",
    "Route",
    "answer",
    "build_profiles",
    "merge_headers",
    "option_objects",
    "parse_profile",
    "profile_pod_hop",
]
