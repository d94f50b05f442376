"""Issue 11 item 4: a compiled 10,000-Ingress snapshot in at most 300 MB.

The levers, each tested here for what it must not change (the parsed values, error positions) and for what it
must do (bodies share equal strings, a big load returns freed heap, Pods keep one label map):
tracer/engine/yamlchunks.py (the stream parsed a few hundred kilobytes at a time), tracer/engine/compact.py
(equal strings shared), tracer/engine/memory.py (malloc_trim after a big load), services/pods.py.
The megabytes themselves are measured by bench/bench_engine.py.
"""

from __future__ import annotations

import ctypes
import random
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
import yaml_rs

from tracer.engine import Engine, LoadError, load_manifests, memory, yamlchunks
from tracer.engine import loader as loader_module
from tracer.engine.compact import SharedValues, compact_value
from tracer.engine.services.pods import PodRecord
from tracer.engine.snapshot import K8sObject, Source
from tracer.engine.yamlcheck import plan_checks
from tracer.engine.yamldocs import scan_documents

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_engine import request_mix, synthetic_objects

OPTIONS: dict[str, Any] = {"parse_datetime": False}


def pod(i: int, ns: str = "team-a") -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{i}\n  namespace: {ns}\n  labels: {{app: web}}\n"
        f"spec:\n  containers:\n  - name: app\n    image: app:1\n    ports: [{{name: http, containerPort: 8080}}]\n"
        f"status:\n  phase: Running\n  podIP: 10.0.0.{i}\n  conditions: [{{type: Ready, status: 'True'}}]\n"
    )


def stream(n: int) -> str:
    return "".join(f"---\n{pod(i)}" for i in range(n))


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Chunks of two or three documents, and the texts each yaml_rs call parsed."""
    monkeypatch.setattr(yamlchunks, "CHUNK_CHARS", 1)
    calls: list[str] = []
    real = yaml_rs.loads

    def spy(text: str, **options: Any) -> Any:
        calls.append(text)
        return real(text, **options)

    monkeypatch.setattr(yamlchunks.yaml_rs, "loads", spy)
    return calls


def parsed(text: str) -> Any:
    docs = scan_documents(text)
    plan_checks(text, docs)
    return yamlchunks.parse_documents(text, docs, OPTIONS)


STREAMS = [
    stream(7),
    "# leading comment\n---\na: 1\n---\n---\nb: 2\n---\nc: [1, 2]\n",
    "a: 1\n...\n---\nb: [1, 2]\n...\nc: x\n---\nd: {e: f}\n",
    "---\n- 1\n- 2\n---\n- 3\n---\n[4, 5]\n---\n[]\n",
    '---\n{"a": 1, "b": [true, 1, 1.0, null]}\n---\nb: 2\n---\n---\n{"c": "d"}\n',
    "--- |\n  text\n--- >\n  folded\n---\nx: 1\n---\ny: 2\n",
    "---\n---\n---\n---\n",
    "a: 1\n---\n80: port\ntrue: yes\n---\nz: 1\n---\n1: one\n",
]


@pytest.mark.parametrize("text", STREAMS)
def test_chunked_parse_equals_one_whole_parse(text: str, tiny_chunks: list[str]) -> None:
    whole = yaml_rs.loads(text, **OPTIONS)
    tiny_chunks.clear()
    assert parsed(text) == whole
    assert len(tiny_chunks) > 1, "the stream was parsed in chunks"
    assert "".join(tiny_chunks) == text, "chunks are whole documents that cover the stream exactly once"


def test_types_are_kept_when_values_are_shared() -> None:
    value = yaml_rs.loads('---\n{"a": [1, true, 1.0, "1", 1], "b": {"1": true, "c": 1}}\n', **OPTIONS)
    got = compact_value(value, {}, {})
    assert got == {"a": [1, True, 1.0, "1", 1], "b": {"1": True, "c": 1}}
    assert [type(v) for v in got["a"]] == [int, bool, float, str, int]
    assert type(got["b"]["1"]) is bool and type(got["b"]["c"]) is int


def test_non_text_keys_are_left_for_normalise() -> None:
    got = compact_value([{1: "a", None: "b", "x": {"x": 1}}, {True: "c", "1": "d"}], {}, {})
    assert got == [{1: "a", None: "b", "x": {"x": 1}}, {True: "c", "1": "d"}]
    assert [type(k) for k in got[1]] == [bool, str]


def test_very_deep_input_is_left_as_is_without_recursion_error() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    assert compact_value(deep, {}, {}) is deep


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("%YAML 1.2\n---\na: 1\n---\nb: 2\n---\nc: 3\n", "a directive"),
        ("a: &x {k: v}\n---\nb: 2\n---\nc: 3\n", "an anchor"),
        ("a: 1\n---\nb: *x\n---\nc: 3\n", "an alias"),
    ],
)
def test_streams_a_chunk_could_read_differently_are_parsed_whole(
    text: str, why: str, tiny_chunks: list[str]
) -> None:
    try:
        whole = yaml_rs.loads(text, **OPTIONS)
    except yaml_rs.YAMLDecodeError:
        tiny_chunks.clear()
        with pytest.raises(yaml_rs.YAMLDecodeError):
            parsed(text)
    else:
        tiny_chunks.clear()
        assert parsed(text) == whole
    assert tiny_chunks == [text], f"{why}: parsed whole, in one call"


def test_an_error_in_a_later_chunk_keeps_its_line(tiny_chunks: list[str]) -> None:
    text = stream(6) + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: x\nspec: {}\n"
    with pytest.raises(LoadError) as info:
        load_manifests(text, name="pods.yaml")
    bad_doc_line = text.count("\n", 0, text.rindex("---\napiVersion")) + 2
    assert info.value.file == "pods.yaml"
    assert info.value.document == 6
    assert info.value.line is not None and info.value.line >= bad_doc_line


def test_loaded_objects_share_keys_and_repeated_values() -> None:
    snapshot = load_manifests(stream(50), name="pods.yaml")
    pods = snapshot.of_kind("Pod")
    keys = {id(k) for p in pods for k in p.body}
    assert len(keys) == len(pods[0].body), "one string object per top-level key, not one per Pod"
    assert len({id(p.body["metadata"]["namespace"]) for p in pods}) == 1
    assert len({id(p.body["status"]["phase"]) for p in pods}) == 1
    assert len({id(p.body["spec"]["containers"][0]["ports"][0]["containerPort"]) for p in pods}) == 1
    # Containers are never shared: a caller that copies and edits one body touches no other.
    assert len({id(p.body["spec"]["containers"]) for p in pods}) == len(pods)


def test_compacted_snapshot_routes_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same trace output whether bodies share strings or not (the goldens check the examples)."""
    text = yaml.dump_all(synthetic_objects(60), Dumper=yaml.CSafeDumper, sort_keys=False)
    requests = request_mix(60, 300, random.Random(7))
    shared = Engine(load_manifests(text), controller="ingress-nginx", seed=1)
    monkeypatch.setattr(yamlchunks, "compact_value", lambda value, strs, ints: value)
    monkeypatch.setattr(yamlchunks, "CHUNK_CHARS", 1 << 40)
    plain = Engine(load_manifests(text), controller="ingress-nginx", seed=1)
    assert shared.snapshot.content_hash == plain.snapshot.content_hash
    for r in requests:
        assert shared.trace(r).to_dict() == plain.trace(r).to_dict()


def test_shared_values_start_afresh_every_run() -> None:
    shared = SharedValues(run=2)
    # Equal keys as distinct objects, as a parser or JSON decoder makes them.
    bodies = [shared.body({"".join(["meta", "data"]): {"".join(["name", "space"]): "team-a"}}) for _ in range(3)]
    first, second, third = (next(iter(b)) for b in bodies)
    assert first is second
    assert third is not first, "a new run: the memo was dropped"
    assert bodies[0] == bodies[2]


def test_a_big_load_trims_the_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    monkeypatch.setattr(loader_module, "release_free_memory", seen.append)
    text = stream(3)
    load_manifests(text)
    loader_module.load_files([("a.yaml", text.encode())])
    assert seen == [len(text.encode()), len(text.encode())]


def test_release_free_memory_only_after_big_loads() -> None:
    assert memory.release_free_memory(memory.TRIM_AFTER_BYTES - 1) is False
    try:
        ctypes.CDLL(None).malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        pytest.skip("not glibc: nothing to trim")
    assert memory.release_free_memory(memory.TRIM_AFTER_BYTES) is True


def test_pod_records_keep_the_manifests_label_map() -> None:
    plain = load_manifests(stream(1)).of_kind("Pod")[0]
    odd = K8sObject({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "odd", "labels": {"tier": 5, "app": "web"}}},
                    Source("pods.yaml", 1, 1))
    assert PodRecord(plain).labels is plain.metadata["labels"]
    record = PodRecord(odd)
    assert record.labels == {"tier": "5", "app": "web"}
    assert record.labels is not odd.metadata["labels"]
