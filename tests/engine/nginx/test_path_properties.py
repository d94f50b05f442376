"""Properties of ingress-nginx path matching (ingress-nginx#3), checked with hypothesis."""

from hypothesis import given, settings
from hypothesis import strategies as st

from .builders import backend, compile_, ingress, ingress_class, path, route

segment = st.text(alphabet="abcxyz", min_size=1, max_size=4)
paths = st.lists(segment, min_size=1, max_size=3).map(lambda segs: "/" + "/".join(segs))
SVCS = [backend(f"s{i}", ip=f"10.0.0.{i + 1}") for i in range(4)]


@settings(max_examples=40, deadline=None)
@given(p=paths, extra=st.lists(segment, max_size=2))
def test_exact_beats_prefix_in_non_regex_mode(p, extra):
    t = compile_(ingress_class(), ingress("a", paths=[path(p, "s0", ptype="Prefix"), path(p, "s1", ptype="Exact")]),
                 *SVCS)
    assert route(t, f"GET http://shop.example.com{p}").backend["service"] == "s1"
    deeper = p + "/" + "/".join(extra) if extra else p + "/"
    assert route(t, f"GET http://shop.example.com{deeper}").backend["service"] == "s0"


@settings(max_examples=40, deadline=None)
@given(ps=st.lists(paths, min_size=1, max_size=4, unique=True), probe=paths)
def test_longest_prefix_wins_outside_regex_mode(ps, probe):
    t = compile_(ingress_class(), ingress("a", paths=[path(p, f"s{i}") for i, p in enumerate(ps)]), *SVCS)
    r = route(t, f"GET http://shop.example.com{probe}")
    matching = [(len(p), i) for i, p in enumerate(ps) if probe == p or probe.startswith(p.rstrip("/") + "/")]
    if matching:
        assert r.backend["service"] == f"s{max(matching)[1]}"
    else:
        assert r.status == 404


@settings(max_examples=30, deadline=None)
@given(p=paths, suffix=segment)
def test_regex_mode_is_host_wide(p, suffix):
    plain = ingress("plain", paths=[path(p, "s0")])
    other = ingress("other", host="other.example.com", paths=[path(p, "s0")])
    regex = ingress("re", paths=[path("/qqqq", "s1", ptype="ImplementationSpecific")], annotations={"use-regex": "true"})
    probe = p + suffix  # not a whole-segment extension of p (and, with no "q", never matching ^/qqqq)
    without = compile_(ingress_class(), plain, other, *SVCS)
    with_regex = compile_(ingress_class(), plain, other, regex, *SVCS)
    assert route(without, f"GET http://shop.example.com{probe}").status == 404
    assert route(with_regex, f"GET http://shop.example.com{probe}").backend["service"] == "s0"
    assert route(with_regex, f"GET http://other.example.com{probe}").status == 404
