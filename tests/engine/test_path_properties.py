"""Property tests for the portable Ingress path semantics (docs/rules/k8s-routing.md I-14, I-15, I-17)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.engine.dataplanes.ingress_spec import (
    IngressSpec,
    exact_matches,
    prefix_key,
    prefix_matches,
    request_prefix_keys,
)
from tracer.engine.options import Options
from tracer.engine.request import parse_request
from tracer.engine.snapshot import K8sObject, Snapshot, Source

# A tiny alphabet makes shared prefixes such as /a vs /ab (element-wise vs string prefix) common.
segment = st.sampled_from(["a", "b", "ab", "ba", "x"])
elements = st.lists(segment, min_size=0, max_size=4)


def to_path(parts: list[str], trailing: bool = False) -> str:
    if not parts:
        return "/"
    return "/" + "/".join(parts) + ("/" if trailing else "")


paths = st.builds(to_path, elements, st.booleans())


def elems(path: str) -> list[str]:
    return [e for e in path.split("/") if e]


def table_for(rule_paths: list[tuple[str, str]]):
    """One Ingress whose paths i point at Service s<i>; assume_endpoints keeps it self-contained."""
    services = []
    http_paths = []
    for i, (p, path_type) in enumerate(rule_paths):
        http_paths.append(
            {"path": p, "pathType": path_type, "backend": {"service": {"name": f"s{i}", "port": {"number": 80}}}}
        )
        services.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"s{i}", "namespace": "default"},
                "spec": {"ports": [{"port": 80}]},
            }
        )
    ing: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i", "namespace": "default"},
        "spec": {"rules": [{"host": "h.test", "http": {"paths": http_paths}}]},
    }
    objs = [K8sObject(body=d, source=Source("p.yaml", n, 1)) for n, d in enumerate([ing, *services])]
    return IngressSpec().compile(Snapshot.from_objects(objs), Options(assume_endpoints=True))


def winner(table, path: str) -> int | None:
    trace = table.route(parse_request(f"GET http://h.test{path}"))
    if trace.status == 404:
        return None
    return int(trace.backend["service"][1:])


@given(rule=paths, request=paths)
def test_k8s_2_4_prefix_matches_exactly_element_list_prefixes(rule: str, request: str):
    """A Prefix path matches exactly the request paths whose element list starts with its element list (I-15)."""
    r, q = elems(rule), elems(request)
    assert prefix_matches(rule, request) == (q[: len(r)] == r)


@given(rule=paths, request=paths)
def test_k8s_2_4_prefix_keys_enumerate_every_matching_prefix(rule: str, request: str):
    """The indexed look-up (request_prefix_keys) agrees with the direct predicate."""
    assert (prefix_key(rule) in request_prefix_keys(request)) == prefix_matches(rule, request)


@given(rule=paths, request=paths)
def test_k8s_I_14_exact_is_string_equality(rule: str, request: str):
    assert exact_matches(rule, request) == (rule == request)
    if exact_matches(rule, request):
        assert prefix_matches(rule, request)  # an Exact match is always a Prefix match too


@settings(max_examples=60, deadline=None)
@given(p=paths, order=st.booleans())
def test_k8s_I_17_exact_beats_prefix_at_the_same_path(p: str, order: bool):
    rules = [(p, "Prefix"), (p, "Exact")] if order else [(p, "Exact"), (p, "Prefix")]
    exact_index = 1 if order else 0
    assert winner(table_for(rules), p) == exact_index


@settings(max_examples=80, deadline=None)
@given(rule_paths=st.lists(paths, min_size=1, max_size=5, unique_by=prefix_key), request=paths)
def test_k8s_I_17_longest_matching_prefix_wins(rule_paths: list[str], request: str):
    table = table_for([(p, "Prefix") for p in rule_paths])
    matching = [i for i, p in enumerate(rule_paths) if prefix_matches(p, request)]
    got = winner(table, request)
    if not matching:
        assert got is None
        return
    assert got in matching
    assert len(rule_paths[got]) == max(len(rule_paths[i]) for i in matching)
