"""Issue 11: numbers no Kubernetes object can hold are refused at load, naming file, document, line and field;
the CLI prints the error and exits 2 (bad input), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracer.engine.errors import LoadError
from tracer.engine.loader import load_files, load_manifests

ROOT = Path(__file__).resolve().parents[2]
HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\ndata:\n  x: \"1\"\nspec:\n"


def error_of(name: str, text: str) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_files([(name, text.encode())])
    return info.value


@pytest.mark.parametrize("value", [".inf", "-.inf", ".Inf", ".nan", ".NaN", "9" * 5000, "1" + "0" * 19, "-" + "9" * 20])
def test_yaml_numbers_outside_json_and_int64_are_refused(value: str) -> None:
    err = error_of("bad.yaml", f"---\n{HEAD}  replicas: {value}\n")
    assert (err.file, err.document, err.line, err.field) == ("bad.yaml", 0, 8, "spec.replicas")
    assert "Kubernetes" in err.message


def test_int64_bounds_are_kept() -> None:
    snap = load_files([("ok.yaml", f"{HEAD}  a: {2**63 - 1}\n  b: {-(2**63)}\n".encode())])
    assert snap.objects[0].body["spec"] == {"a": 2**63 - 1, "b": -(2**63)}


@pytest.mark.parametrize("word", ["Infinity", "-Infinity", "NaN"])
def test_json_constants_are_refused_with_their_line_and_field(word: str) -> None:
    text = '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "a"},\n "data": {"x": "NaN"},\n'
    text += f' "spec": {{"list": [1, {word}]}}}}\n'
    err = error_of("cm.json", text)
    assert (err.file, err.document, err.line, err.field) == ("cm.json", 0, 4, "spec.list[1]")
    assert word in err.message


def test_json_huge_integer_is_refused() -> None:
    err = error_of("cm.json", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "spec": {"n": '
                              + "7" * 5000 + "}}")
    assert (err.file, err.field) == ("cm.json", "spec.n")


def test_the_words_as_strings_still_load() -> None:
    json_text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"x": "Infinity NaN"}}'
    flow = "{apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: {x: NaN}}"
    snap = load_manifests([json_text.encode(), flow.encode()])
    assert [o.body["data"]["x"] for o in snap.objects] == ["Infinity NaN", "NaN"]


def test_dicts_are_checked_too() -> None:
    with pytest.raises(LoadError) as info:
        load_manifests([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "x": float("nan")}])
    assert info.value.field == "x"


@pytest.mark.parametrize(("name", "text", "where"), [
    ("bad.yaml", f"{HEAD}  replicas: .inf\n", "bad.yaml, document 0, line 7, field spec.replicas"),
    ("big.yaml", f"{HEAD}  n: {'9' * 5000}\n", "big.yaml, document 0, line 7, field spec.n"),
    ("nan.json", '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "a"}, "spec": {"v": NaN}}',
     "nan.json, document 0, line 2, field spec.v"),
])
def test_cli_prints_the_error_and_exits_2(tmp_path: Path, name: str, text: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY", "test-secret-key-not-for-production-0123456789")}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "trace", "-f", str(path), "--request", "GET http://a.example.com/"],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT, env=env,
    )
    assert proc.returncode == 2, proc.stderr
    assert where in proc.stderr and "Traceback" not in proc.stderr


def test_names_longer_than_kubernetes_allows_are_refused_and_long_file_names_kept_short() -> None:
    import io
    import tarfile

    from tracer.engine import LoadError, load_manifests

    long_name = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + "n" * 254 + ", namespace: default}\n"
    with pytest.raises(LoadError) as info:
        load_manifests(long_name)
    assert info.value.field == "metadata.name" and "at most 253" in info.value.message
    with pytest.raises(LoadError) as info:
        load_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: " + "s" * 64 + "}\n")
    assert info.value.field == "metadata.namespace" and "at most 63" in info.value.message
    buf = io.BytesIO()
    data = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n"
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        member = tarfile.TarInfo("d/" * 300 + "x.yaml")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    from tracer.engine.loader import load_files

    (obj,) = load_files([("deep.tar.gz", buf.getvalue())]).objects
    assert len(obj.source.file) == 500 and obj.source.file.endswith("d/x.yaml") and obj.source.file[0] == "…"
