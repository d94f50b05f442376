"""Manifest loading: inputs, provenance, limits, errors and Secret scrubbing."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.engine.archives import Budget
from tracer.engine.errors import LoadError
from tracer.engine.loader import Limits, load_files, load_manifests
from tracer.engine.snapshot import Snapshot


def svc(name: str, ns: str = "default") -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  ports:\n  - port: 80\n"
    )


def where(snap: Snapshot) -> list[tuple[str, str, int, int]]:
    return [(o.name, o.source.file, o.source.document, o.source.line) for o in snap]


def load_error(source: Any, **kw: Any) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_manifests(source, **kw)
    return info.value


# ----- provenance ---------------------------------------------------------------------------


def test_multi_document_yaml_lines_and_indices() -> None:
    text = textwrap.dedent(
        """\
        # leading comment
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: a
        ---

        # comment before the object
        apiVersion: v1
        kind: Service
        metadata: {name: b}
        ---
        ---
        null
        --- {apiVersion: v1, kind: Service, metadata: {name: c}}
        ...
        apiVersion: v1
        kind: Service
        metadata: {name: d}
        """
    )
    snap = load_manifests(text, name="multi.yaml")
    assert where(snap) == [
        ("a", "multi.yaml", 0, 3),
        ("b", "multi.yaml", 1, 10),
        ("c", "multi.yaml", 4, 16),  # documents 2 (empty) and 3 (null) are skipped but counted
        ("d", "multi.yaml", 5, 18),
    ]


def test_crlf_and_bom() -> None:
    data = ("\ufeff" + svc("a") + "---\n" + svc("b")).replace("\n", "\r\n").encode()
    snap = load_manifests(data, name="win.yaml")
    assert where(snap) == [("a", "win.yaml", 0, 1), ("b", "win.yaml", 1, 10)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans(), st.booleans()), min_size=1, max_size=8))
def test_provenance_line_is_the_objects_first_line(padding: list[tuple[int, bool, bool]]) -> None:
    parts, expected, line = [], [], 1
    for i, (blank, comment, marker) in enumerate(padding):
        chunk = ""
        if i or marker:
            chunk += "---\n"
        chunk += "\n" * blank + ("# note\n" if comment else "")
        line += chunk.count("\n")
        expected.append(line)
        body = svc(f"s{i}")
        chunk += body
        line += body.count("\n")
        parts.append(chunk)
    snap = load_manifests("".join(parts))
    assert [o.source.line for o in snap] == expected
    assert [o.source.document for o in snap] == list(range(len(padding)))


def test_json_single_object_list_and_array() -> None:
    items = [yaml.safe_load(svc(n)) for n in ("a", "b")]
    kubectl_json = json.dumps({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {}}, indent=4)
    starts = [i + 1 for i, line in enumerate(kubectl_json.splitlines()) if line == "        {"]
    assert where(load_manifests(kubectl_json, name="l.json")) == [
        ("a", "l.json", 0, starts[0]),
        ("b", "l.json", 0, starts[1]),
    ]
    array = json.dumps(items, indent=2)
    starts = [i + 1 for i, line in enumerate(array.splitlines()) if line == "  {"]
    assert where(load_manifests(array, name="a.json")) == [("a", "a.json", 0, starts[0]), ("b", "a.json", 0, starts[1])]
    assert where(load_manifests(json.dumps(items[0]), name="o.json")) == [("a", "o.json", 0, 1)]
    # Minified: every item is on line 1.
    assert [o.source.line for o in load_manifests(json.dumps({"kind": "List", "items": items}))] == [1, 1]


def test_json_that_yaml_rejects_still_loads() -> None:
    snap = load_manifests('{"apiVersion":\t"v1", "kind": "Service", "metadata": {"name": "tabs"}}')
    assert [o.name for o in snap] == ["tabs"]


def test_yaml_list_items_keep_their_lines() -> None:
    items = [yaml.safe_load(svc(n)) for n in ("a", "b", "c")]
    text = yaml.safe_dump({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {}}, sort_keys=False)
    lines = text.splitlines()
    expected = [i + 1 for i, line in enumerate(lines) if line.startswith("- ")]
    snap = load_manifests(text, name="list.yaml")
    assert [(o.name, o.source.line) for o in snap] == list(zip("abc", expected, strict=True))
    indented = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: x}\n"
    assert where(load_manifests(indented)) == [("x", "<input>", 0, 4)]


def test_typed_list_items_get_kind_and_api_version() -> None:
    text = json.dumps(
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressList", "items": [{"metadata": {"name": "i"}}]}
    )
    (obj,) = load_manifests(text).objects
    assert (obj.kind, obj.api_version, obj.name) == ("Ingress", "networking.k8s.io/v1", "i")


def test_list_item_errors_name_the_item() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n- kind: Service\n"
    err = load_error(text)
    assert (err.field, err.line) == ("items[1].apiVersion", 7)


# ----- sources ------------------------------------------------------------------------------


def test_folder_recursion_is_sorted_and_skips_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "z.yaml").write_text(svc("z"))
    (tmp_path / "a.yml").write_text(svc("a1") + "---\n" + svc("a2"))
    (tmp_path / "b" / "deep" / "c.json").write_text(json.dumps(yaml.safe_load(svc("c"))))
    (tmp_path / "b" / "notes.txt").write_text("not yaml: [")
    (tmp_path / ".git" / "x.yaml").write_text("not: a manifest\n")
    snap = load_manifests(tmp_path)
    assert [(o.name, Path(o.source.file).relative_to(tmp_path).as_posix(), o.source.document) for o in snap] == [
        ("a1", "a.yml", 0),
        ("a2", "a.yml", 1),
        ("c", "b/deep/c.json", 0),
        ("z", "z.yaml", 0),
    ]
    assert load_manifests(str(tmp_path)).content_hash == snap.content_hash


def test_single_file_path_str_and_path(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(svc("a"))
    assert where(load_manifests(str(path))) == [("a", str(path), 0, 1)]
    assert where(load_manifests(path)) == [("a", str(path), 0, 1)]


def _zip(path: Path, members: dict[str, str | bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)


def _tar(path: Path, members: dict[str, str | bytes]) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for name, content in members.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_zip_archive(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    members = {"dir/b.yaml": svc("b"), "a.yaml": "---\n" + svc("a"), "README.md": "x", "__MACOSX/._a.yaml": b"\x00\x05"}
    _zip(archive, members)
    assert where(load_manifests(archive)) == [
        ("a", f"{archive}!a.yaml", 0, 2),
        ("b", f"{archive}!dir/b.yaml", 0, 1),
    ]
    # Web upload: recognised by magic bytes even without the extension.
    snap = load_files([("upload", archive.read_bytes()), ("extra.yaml", svc("c").encode())])
    assert [(o.name, o.source.file) for o in snap] == [
        ("a", "upload!a.yaml"),
        ("b", "upload!dir/b.yaml"),
        ("c", "extra.yaml"),
    ]


@pytest.mark.parametrize("suffix", [".tar.gz", ".tgz"])
def test_tar_gz_archive(tmp_path: Path, suffix: str) -> None:
    archive = tmp_path / f"bundle{suffix}"
    _tar(archive, {"./x/b.yaml": svc("b"), "./a.json": json.dumps(yaml.safe_load(svc("a"))), "./bin": b"\x00"})
    assert where(load_manifests(archive)) == [
        ("a", f"{archive}!a.json", 0, 1),
        ("b", f"{archive}!x/b.yaml", 0, 1),
    ]
    assert [o.name for o in load_files([(archive.name, archive.read_bytes())])] == ["a", "b"]


@pytest.mark.parametrize("binary", [True, False])
def test_stdin(monkeypatch: pytest.MonkeyPatch, binary: bool) -> None:
    text = svc("a") + "---\n" + svc("b")
    stream = io.TextIOWrapper(io.BytesIO(text.encode())) if binary else io.StringIO(text)
    monkeypatch.setattr(sys, "stdin", stream)
    assert where(load_manifests("-")) == [("a", "<stdin>", 0, 1), ("b", "<stdin>", 1, 10)]


def test_list_of_dicts_and_mixed_list(tmp_path: Path) -> None:
    objs = [yaml.safe_load(svc("a")), yaml.safe_load(svc("b"))]
    assert where(load_manifests(objs)) == [("a", "<input>", 0, 1), ("b", "<input>", 1, 1)]
    path = tmp_path / "c.yaml"
    path.write_text(svc("c"))
    assert where(load_manifests([objs[0], path, svc("d")])) == [
        ("a", "<input>", 0, 1),
        ("c", str(path), 0, 1),
        ("d", "<input>[2]", 0, 1),
    ]


def test_bytes_and_text_classification(tmp_path: Path) -> None:
    assert where(load_manifests(svc("a").encode(), name="up.yaml")) == [("a", "up.yaml", 0, 1)]
    assert [o.name for o in load_manifests('{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "j"}}')] == [
        "j"
    ]
    err = load_error(str(tmp_path / "missing.yaml"))
    assert err.file == str(tmp_path / "missing.yaml") and "no such file" in str(err)
    assert len(load_manifests("")) == 0


# ----- limits -------------------------------------------------------------------------------

BILLION_LAUGHS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.timeout(10)  # a guard against a hang only; bench/bench_load.py --hostile times the refusal
def test_alias_bomb_refused_before_the_parser_expands_it(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    monkeypatch.setattr(yaml_rs, "loads", lambda text, **kw: parsed.append(text))
    err = load_error(svc("ok") + "---\n" + BILLION_LAUGHS, name="bomb.yaml")
    assert err.message == "aliases expand to more than 100000 nodes (alias bomb?)"
    # Line 19 is `f:`, the first key whose aliases push the running total past the cap.
    assert (err.file, err.document, err.line) == ("bomb.yaml", 1, 19)
    assert parsed == []  # the libyaml event check refused it: yaml-rs never replayed an alias


@pytest.mark.timeout(10)
def test_alias_limit_is_configurable_and_plain_aliases_work() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &l {app: x, tier: y}\n  annotations: *l\n"
    (obj,) = load_manifests(text).objects
    assert obj.annotations == {"app": "x", "tier": "y"}
    with pytest.raises(LoadError, match="alias"):
        load_manifests(text, limits=Limits(max_alias_expansion=2))


def test_merge_keys_are_applied() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\nbase: &b {x: 1, y: 2}\ndata:\n  <<: *b\n  y: 3\n"
    (obj,) = load_manifests(text).objects
    assert obj.body["data"] == {"x": 1, "y": 3}


def test_oversized_input_rejected(tmp_path: Path) -> None:
    limits = Limits(max_total_bytes=1000)
    text = svc("a") * 1 + "# " + "x" * 1000 + "\n"
    assert "size limit" in load_error(text, limits=limits).message
    assert "size limit" in load_error(text.encode(), limits=limits).message
    (tmp_path / "a.yaml").write_text(svc("a"))
    (tmp_path / "b.yaml").write_text(text)
    err = load_error(tmp_path, limits=limits)
    assert err.file == os.path.join(str(tmp_path), "b.yaml")  # the file that crossed the limit, not a.yaml


def test_zip_bomb_stops_one_byte_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "bomb.zip"
    _zip(archive, {"a.yaml": svc("a"), "huge.yaml": b"#" * (20 * 1024 * 1024)})
    assert archive.stat().st_size < 100_000
    taken: list[int] = []
    take = Budget.take

    def counting_take(self: Budget, n: int, file: str, *, expanding: bool = False) -> None:
        taken.append(n)
        take(self, n, file, expanding=expanding)

    monkeypatch.setattr(Budget, "take", counting_take)
    limit = 1024 * 1024
    err = load_error(archive, limits=Limits(max_total_bytes=limit))
    assert err.file == f"{archive}!huge.yaml"
    assert err.message == f"archive expands beyond the total size limit of {limit} bytes (zip bomb?)"
    # Decompression is bounded by the budget, not by the 20 MiB the member header claims.
    assert sum(taken) == limit + 1


def test_tar_bomb_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.tgz"
    _tar(archive, {"skipped.bin": b"\x00" * (5 * 1024 * 1024), "huge.yaml": b"#" * (5 * 1024 * 1024)})
    err = load_error(archive, limits=Limits(max_total_bytes=1024 * 1024))
    assert "bomb" in err.message


def test_too_many_documents_and_files(tmp_path: Path) -> None:
    err = load_error("---\n".join(svc(f"s{i}") for i in range(6)), limits=Limits(max_documents=5))
    assert (err.document, "5 documents" in err.message) == (5, True)
    for i in range(3):
        (tmp_path / f"{i}.yaml").write_text(svc(f"s{i}"))
    assert "files" in load_error(tmp_path, limits=Limits(max_files=2)).message


def _nested(depth: int) -> str:
    """A Service whose spec holds mappings nested so that the document is `depth` deep."""
    body = "x: 1\n"
    for _ in range(depth - 2):
        body = "k:\n" + textwrap.indent(body, "  ")
    return "apiVersion: v1\nkind: Service\nmetadata: {name: deep}\nspec:\n" + textwrap.indent(body, "  ")


def test_depth_limit_block_style() -> None:
    assert len(load_manifests(_nested(10), limits=Limits(max_depth=10))) == 1
    err = load_error(_nested(11), limits=Limits(max_depth=10), name="deep.yaml")
    assert err.file == "deep.yaml" and "deeper than 10" in err.message
    assert err.field == "spec" + ".k" * 9  # the path to the first node at depth 11
    assert "deeper than 64" in load_error(_nested(65)).message


def test_depth_limit_counts_alias_expansion() -> None:
    # Documents with anchors take the exact libyaml-event path; it must agree with the walk.
    anchored = _nested(10).replace("metadata: {name: deep}", "metadata: &m {name: deep}")
    assert len(load_manifests(anchored, limits=Limits(max_depth=10))) == 1
    assert "deeper than 10" in load_error(anchored.replace("x: 1", "x: {y: 1}"), limits=Limits(max_depth=10)).message
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: &x {a: {b: {c: 1}}}\ny: {p: {q: *x}}\n"
    assert len(load_manifests(text, limits=Limits(max_depth=6))) == 1
    err = load_error(text, limits=Limits(max_depth=5))
    assert "deeper than 5" in err.message and err.line == 5


def test_depth_limit_flow_style_and_json() -> None:
    flow = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: " + "[" * 70 + "]" * 70 + "\n"
    assert "deeper than 64" in load_error(flow).message
    deep_json = (
        '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": ' + "[" * 100 + "]" * 100 + "}"
    )
    assert "deeper" in load_error(deep_json).message
    assert (
        "deeper"
        in load_error([{"kind": "Service", "spec": {"a": {"b": {"c": {}}}}}], limits=Limits(max_depth=3)).message
    )


@pytest.mark.timeout(60)
def test_pathological_nesting_does_not_crash_the_process() -> None:
    # yaml-rs overflows the C stack on block nesting this deep; the loader must refuse it first.
    code = (
        "from tracer.engine.loader import load_manifests\n"
        "from tracer.engine.errors import LoadError\n"
        "for text in ['- ' * 200000 + 'a\\n', ''.join('  ' * i + '- \\n' for i in range(3000))]:\n"
        "    try:\n"
        "        load_manifests(text)\n"
        "    except LoadError as e:\n"
        "        print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("deeper than 64") == 2


# ----- errors -------------------------------------------------------------------------------


def test_duplicate_key_names_the_field() -> None:
    nested = svc("a") + "    name: http\n    port: 81\n"
    err = load_error(svc("ok") + "---\n" + nested, name="dup.yaml")
    assert (err.file, err.document, err.line, err.field) == ("dup.yaml", 1, 19, "spec.ports[0].port")
    top = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {}\n  name: b\n"
    err = load_error(top)
    assert (err.field, err.line) == ("metadata.name", 6)
    assert "name" in err.message
    assert load_error('{"kind": "Service", "metadata": {"name": "a", "name": "b"}}').field == "metadata.name"


def test_syntax_error_names_file_document_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("foo: [1, 2\n")
    err = load_error(bad)
    assert str(err).startswith(f"{bad}, document 0, line 1: ")
    bad.write_text(svc("a") + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n   oops: 1\n")
    err = load_error(bad)
    assert (err.file, err.document, err.line) == (str(bad), 1, 14)
    assert str(err).startswith(f"{bad}, document 1, line 14: YAML syntax error")


def test_syntax_error_does_not_echo_source_text() -> None:
    err = load_error("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: hunter2\n bad\n")
    assert "hunter2" not in str(err)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("apiVersion: v1\nmetadata: {name: a}\n", "kind"),
        ("kind: Service\nmetadata: {name: a}\n", "apiVersion"),
        ("apiVersion: v1\nkind: Service\nmetadata: {}\n", "metadata.name"),
        ("apiVersion: v1\nkind: Service\n", "metadata.name"),
        ("apiVersion: v1\nkind: 3\nmetadata: {name: a}\n", "kind"),
    ],
)
def test_missing_required_fields(text: str, field: str) -> None:
    err = load_error(svc("ok") + "---\n" + text, name="m.yaml")
    assert (err.field, err.document, err.line) == (field, 1, 10)
    assert f"field {field}" in str(err)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_non_mapping_document(text: str) -> None:
    assert "not a mapping" in load_error(text).message


def test_invalid_utf8_names_line() -> None:
    err = load_error(svc("a").encode() + b"# \xff\n", name="bin.yaml")
    assert (err.file, err.line) == ("bin.yaml", 9)


def test_unknown_kind_kept_with_one_warning_per_kind() -> None:
    text = "---\n".join(
        f"apiVersion: example.com/v1\nkind: {kind}\nmetadata: {{name: {name}}}\n"
        for kind, name in [("Widget", "a"), ("Widget", "b"), ("Gadget", "c")]
    )
    snap = load_manifests(svc("s") + "---\n" + text)
    assert snap.unknown_kinds() == ["Gadget", "Widget"]
    assert len(snap) == 4
    messages = [w.message for w in snap.warnings]
    assert messages == [
        "kind Widget is not modelled by tracer; kept but not used",
        "kind Gadget is not modelled by tracer; kept but not used",
    ]
    assert (snap.warnings[0].document, snap.warnings[0].line) == (1, 10)


# ----- secrets ------------------------------------------------------------------------------

PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEsecret\n-----END PRIVATE KEY-----\n"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_secret_values_dropped_except_public_certificates() -> None:
    docs = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": "opaque",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"data":{"password":"x"}}'},
            },
            "data": {"password": b64("hunter2"), "tls.crt": b64(PEM_CERT), "ca.crt": b64(PEM_CERT)},
            "stringData": {"token": "plain-secret"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": "tls"},
            "data": {"tls.crt": b64(PEM_KEY + PEM_CERT), "tls.key": b64(PEM_KEY)},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": "string-tls"},
            "stringData": {"tls.crt": PEM_CERT, "tls.key": PEM_KEY, "ca.crt": "not a pem"},
        },
    ]
    text = "---\n".join(yaml.safe_dump(d) for d in docs)
    for snap in (load_manifests(text), load_manifests(docs)):
        opaque = snap.get("Secret", "default", "opaque")
        tls = snap.get("Secret", "default", "tls")
        string_tls = snap.get("Secret", "default", "string-tls")
        assert opaque and tls and string_tls
        assert opaque.body["data"] == {"ca.crt": b64(PEM_CERT)}  # tls.crt only kept for TLS Secrets
        assert opaque.body["type"] == "Opaque" and "stringData" not in opaque.body
        assert opaque.annotations == {}
        assert tls.body["data"] == {"tls.crt": b64(PEM_CERT)}  # the pasted key is cut out
        assert string_tls.body["data"] == {"tls.crt": b64(PEM_CERT)}
        assert "stringData" not in string_tls.body
        dump = json.dumps([o.body for o in snap])
        for secret_value in ("hunter2", b64("hunter2"), "plain-secret", "MIIEsecret", b64(PEM_KEY)):
            assert secret_value not in dump
        assert [w.message for w in snap.warnings] == ["7 Secret values dropped; tracer never stores secret data"]
    assert docs[0]["data"]["password"] == b64("hunter2")  # the caller's dicts are left alone


def test_secret_inside_list_is_scrubbed() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": b64("v")}}
    snap = load_manifests(json.dumps({"apiVersion": "v1", "kind": "List", "items": [secret]}, indent=2))
    assert "data" not in snap.objects[0].body
    assert snap.warnings[0].message == "1 Secret value dropped; tracer never stores secret data"


# ----- snapshot -----------------------------------------------------------------------------


def test_content_hash_independent_of_document_order() -> None:
    docs = [svc("a"), svc("b", "other"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n"]
    forward = load_manifests("---\n".join(docs))
    backward = load_manifests("---\n".join(reversed(docs)))
    assert forward.content_hash == backward.content_hash
    changed = load_manifests("---\n".join([*docs[:2], docs[2].replace("k: v", "k: w")]))
    assert changed.content_hash != forward.content_hash


def test_non_string_keys_become_strings_like_kubernetes() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  80: x\n  true: y\n  b: z\n"
    snap = load_manifests(text)
    assert snap.objects[0].body["data"] == {"80": "x", "true": "y", "b": "z"}
    assert snap.content_hash  # mixed int/str keys would break sorted JSON
    err = load_error(text.replace("  b: z", '  "80": z'))
    assert (err.field, "duplicate" in err.message) == ("data.80", True)
    assert load_error("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {[a, b]: c}\n").field == "data"
    caller = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {1: "x"}}
    assert load_manifests([caller]).objects[0].body["data"] == {"1": "x"}
    assert caller["data"] == {1: "x"}  # not mutated


def test_timestamps_stay_strings() -> None:
    text = svc("a").replace("metadata:\n", "metadata:\n  creationTimestamp: 2024-01-02T03:04:05Z\n")
    (obj,) = load_manifests(text).objects
    assert obj.creation_timestamp == "2024-01-02T03:04:05Z"


def test_folder_skips_build_tool_files_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [svc.yaml]\n")
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 1.0.0\n")
    (tmp_path / "values-prod.yaml").write_text("replicas: 3\n")
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n")
    snap = load_manifests(tmp_path)
    assert [o.name for o in snap] == ["web"]
    skipped = {Path(w.file or "").name: w.message for w in snap.warnings}
    assert "Kustomize" in skipped["kustomization.yaml"]
    assert "Helm chart" in skipped["Chart.yaml"] and "Helm values" in skipped["values-prod.yaml"]


# ----- folders as people have them (Helm charts) -------------------------------------------

HELM_TEMPLATE = """apiVersion: v1
kind: Service
metadata:
  name: {{ include "shop.fullname" . }}
spec:
  ports:
  {{- range .Values.ports }}
  - port: {{ . }}
  {{- end }}
"""


def test_single_helm_template_is_named_not_a_yaml_syntax_error() -> None:
    # Helm templates are Go templates that only become YAML once `helm template` renders them.
    err = load_error(HELM_TEMPLATE, name="templates/service.yaml")
    assert "Helm chart template" in err.message and "helm template" in err.message
    assert err.file == "templates/service.yaml" and err.line == 4


def test_folder_skips_helm_templates_and_documents_without_kind_with_warnings(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "service.yaml").write_text(HELM_TEMPLATE)
    (tmp_path / "app-config.yaml").write_text("logLevel: debug\n---\n" + svc("web"))
    snap = load_manifests(tmp_path)
    assert [o.name for o in snap] == ["web"]
    messages = [str(w) for w in snap.warnings]
    assert any("service.yaml, line 4: skipped: this is a Helm chart template" in m for m in messages)
    assert any("app-config.yaml, document 0, line 1: skipped: not a Kubernetes object" in m for m in messages)


def test_single_file_without_kind_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("logLevel: debug\n")
    assert load_error(tmp_path / "config.yaml").field == "kind"


# ----- namespace given on the command line or upload, as `kubectl apply -n` ----------------


def test_namespace_option_fills_namespaced_objects_only() -> None:
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\n"
    )
    snap = load_manifests(text, namespace="shop")
    assert snap.get("Service", "shop", "web") is not None
    (cls,) = snap.of_kind("IngressClass")
    assert cls.namespace is None and "namespace" not in cls.metadata
    # Without the option namespaced objects land in `default`, as kubectl without -n does.
    assert load_manifests(text).get("Service", "default", "web") is not None


def test_namespace_option_conflicting_with_the_object_is_an_error_as_kubectl_reports() -> None:
    err = load_error(svc("web", "other"), namespace="shop")
    assert "does not match the namespace sent on the request" in err.message
    assert err.field == "metadata.namespace" and err.line == 1
    assert load_manifests(svc("web", "shop"), namespace="shop").get("Service", "shop", "web") is not None


def test_invalid_namespace_option_is_refused() -> None:
    assert "not a valid namespace" in load_error(svc("web"), namespace="Shop_1").message
