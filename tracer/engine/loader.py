"""Load Kubernetes manifests from text, files, folders, archives or stdin into a Snapshot.

Every object keeps its provenance (file, 0-based document index, 1-based line). Input is bounded
by ``Limits`` and bad input raises ``LoadError`` naming file, document, line and field. Secret
values are dropped here, before anything else can see them (see ``tracer.engine.secrets``).
Parsing itself lives in ``tracer.engine.yamlload``; archive handling in ``tracer.engine.archives``.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import gc
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tracer.engine.admission import admit, valid_namespace
from tracer.engine.archives import MANIFEST_SUFFIXES, Budget, is_manifest_name, read_archive, sniff, tooling_file
from tracer.engine.errors import LoadError
from tracer.engine.fieldlines import field_line, helm_template_line
from tracer.engine.k8s import GENERIC_POD_MAKER, POD_MAKERS, pod_maker
from tracer.engine.limits import Limits
from tracer.engine.memory import release_free_memory
from tracer.engine.regex_risk import regex_warnings
from tracer.engine.secrets import sanitize_secret
from tracer.engine.shapes import shape_problem
from tracer.engine.snapshot import CLUSTER_SCOPED_KINDS, KNOWN_KINDS, K8sObject, LoadWarning, Snapshot, Source
from tracer.engine.yamldocs import Document
from tracer.engine.yamlload import ParsedText, TreeProblem, format_path, normalise, parse_text

__all__ = ["Limits", "load_files", "load_manifests"]  # Limits lives in limits.py; re-exported


# Lengths Kubernetes allows (apimachinery validation: DNS-1123 subdomain names, label namespaces); kinds are short
# identifiers, and these bounds are the columns a stored snapshot keeps them in.
MAX_NAME = 253
MAX_NAMESPACE = 63
MAX_KIND = 100
MAX_FILE = 500  # a file's name as an object keeps it (archive members can nest deeper than anyone reads)


def _file_shown(file: str) -> str:
    """The file name an object keeps: its end when very long (the end names the file and its folder)."""
    return file if len(file) <= MAX_FILE else "…" + file[-(MAX_FILE - 1):]

def load_manifests(
    source: Any, *, name: str | None = None, limits: Limits | None = None, namespace: str | None = None
) -> Snapshot:
    """Load manifests from ``source``.

    ``source`` is YAML/JSON text (str), bytes, a path (str or Path) to a file, folder (recursive,
    ``*.yaml|*.yml|*.json``) or ``.zip``/``.tar.gz``/``.tgz`` archive, ``"-"`` for stdin, a list of
    already-parsed dicts, or a list mixing any of these. ``name`` is the display file name for
    text, bytes, stdin and dicts (default ``<input>``/``<stdin>``). ``namespace`` is what
    ``kubectl apply -n`` gives: the namespace of namespaced objects without one (else ``default``).
    """
    loader = _Loader(limits or Limits(), namespace)
    with _gc_paused():
        loader.add_source(source, name)
        snapshot = loader.snapshot()
    loader.parsed = None  # the last file's text
    release_free_memory(loader.budget.bytes)  # a big load's freed parser memory goes back (memory.py)
    return snapshot


def load_files(
    files: list[tuple[str, bytes]], limits: Limits | None = None, namespace: str | None = None
) -> Snapshot:
    """Load uploaded files, each a display name and its content; archives are unpacked.
    ``namespace`` is as for :func:`load_manifests`."""
    loader = _Loader(limits or Limits(), namespace)
    with _gc_paused():
        for filename, content in files:
            # A display name only; PostgreSQL cannot store a NUL in text (the upload path takes the browser's name).
            filename = filename.replace("\x00", "\ufffd")
            loader.budget.add_file(filename)
            loader.add_blob(filename, content)
        snapshot = loader.snapshot()
    loader.parsed = None
    release_free_memory(loader.budget.bytes)
    return snapshot


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector: manifests hold no cycles, and with millions of fresh dicts
    alive every generation-2 pass re-walks them all (this alone more than doubles load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def looks_like_text(source: str) -> bool:
    """Whether a str argument is manifest text rather than a path."""
    head = source.lstrip(" \t\r\n\ufeff")
    return "\n" in source or not head or head.startswith(("{", "[", "apiVersion", "kind", "---"))


def decode(data: bytes, file: str) -> str:
    """Text of a manifest file: UTF-8 (BOM optional), or UTF-16/32 when a BOM says so."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise LoadError(f"not valid {codec.upper()} text: {exc.reason}", file=file) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LoadError(
            f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); is this a binary file?",
            file=file,
            line=line,
        ) from None


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "mapping", list: "sequence", str: "string", bool: "boolean"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A wrong value as people read it: short text quoted, anything else by its YAML type (never a Python repr)."""
    if isinstance(value, str):
        return f'"{value[:40]}"' if value else "an empty string"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return f"a {_type_name(value)}"


def _is_list_kind(body: dict[str, Any], kind: str) -> bool:
    # `kind: List` (kubectl), or a typed API list (ServiceList...) which has items but no name.
    if kind == "List":
        return True
    if not kind.endswith("List") or not isinstance(body.get("items"), list):
        return False
    meta = body.get("metadata")
    return not (isinstance(meta, dict) and meta.get("name"))


class _Loader:
    """Accumulates objects from any number of sources under one budget."""

    def __init__(self, limits: Limits, namespace: str | None = None) -> None:
        if namespace is not None and not valid_namespace(namespace):
            raise LoadError(f'namespace "{namespace}" is not a valid namespace name (a DNS-1123 label)')
        self.limits = limits
        self.namespace = namespace or None
        self.budget = Budget(limits)
        self.objects: list[K8sObject] = []
        self.warnings: list[LoadWarning] = []
        self.secret_values_dropped = 0
        # Inside folders and archives, files that are not manifests (Helm templates, values files,
        # documents without kind) are skipped with a warning instead of failing the whole load.
        self.lenient = False
        self.parsed: tuple[ParsedText, Document] | None = None  # where the current object's text is

    # ----- sources -------------------------------------------------------------------------

    def add_source(self, source: Any, name: str | None) -> None:
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.add_blob(name or "<input>", bytes(source))
        elif isinstance(source, os.PathLike):
            self.add_path(Path(source), name or os.fspath(source))
        elif isinstance(source, str):
            if source == "-":
                self.add_stdin(name or "<stdin>")
            elif looks_like_text(source):
                self.add_text(name or "<input>", source)
            elif os.path.exists(source):
                self.add_path(Path(source), name or source)
            else:
                raise LoadError("no such file or directory", file=source)
        elif isinstance(source, dict):
            self.add_dict(source, name or "<input>", 0)
        elif isinstance(source, (list, tuple)):
            for i, item in enumerate(source):
                if isinstance(item, dict):
                    self.add_dict(item, name or "<input>", i)
                elif isinstance(item, (bytes, bytearray, memoryview)) or (
                    isinstance(item, str) and item != "-" and looks_like_text(item)
                ):
                    self.add_source(item, f"{name or '<input>'}[{i}]")
                else:
                    self.add_source(item, None)
        else:
            raise LoadError(f"cannot load manifests from a {type(source).__name__}")

    def add_stdin(self, display: str) -> None:
        stream = sys.stdin
        if stream is None:
            raise LoadError("no standard input to read", file=display)
        raw = getattr(stream, "buffer", None)
        if raw is not None:
            data = raw.read(self.budget.remaining + 1)
        else:  # a text stream (tests, embedding)
            data = stream.read(self.budget.remaining + 1).encode("utf-8")
        self.add_blob(display, data)

    def add_path(self, path: Path, display: str) -> None:
        if path.is_dir():
            self._add_folder(path, display)
        elif path.is_file():
            self.budget.add_file(display)
            self._add_file(path, display)
        else:
            raise LoadError("no such file or directory", file=display)

    def _add_folder(self, root: Path, display: str) -> None:
        lenient, self.lenient = self.lenient, True
        try:
            self._walk_folder(root, display)
        finally:
            self.lenient = lenient

    def _walk_folder(self, root: Path, display: str) -> None:
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]  # .git, .github...
            rel_dir = os.path.relpath(dirpath, root)
            for filename in filenames:
                rel = filename if rel_dir == "." else f"{rel_dir}{os.sep}{filename}"
                if not filename.lower().endswith(MANIFEST_SUFFIXES):
                    continue
                if is_manifest_name(rel):
                    found.append(rel)
                    self.budget.add_file(os.path.join(display, rel))
                elif (what := tooling_file(filename)) is not None:
                    self.warnings.append(LoadWarning(f"skipped: {what}", file=os.path.join(display, rel)))
        for rel in sorted(found, key=lambda r: r.split(os.sep)):
            self._add_file(root / rel, os.path.join(display, rel))

    def _add_file(self, path: Path, display: str) -> None:
        try:
            size = path.stat().st_size
            with path.open("rb") as fh:
                head = fh.read(512)
                kind = sniff(display, head)
                if kind is not None:
                    # The compressed archive must fit; its members are counted as they expand.
                    if size > self.limits.max_total_bytes:
                        raise LoadError(
                            f"archive is larger than the total size limit of {self.limits.max_total_bytes} bytes",
                            file=display,
                        )
                    fh.seek(0)
                    self._add_archive(read_archive(kind, fh, display, self.budget), counted=False)
                    return
                if size > self.budget.remaining:
                    raise LoadError(
                        f"input exceeds the total size limit of {self.limits.max_total_bytes} bytes", file=display
                    )
                data = head + fh.read(self.budget.remaining + 1 - len(head))
        except OSError as exc:
            raise LoadError(f"cannot read: {exc.strerror or exc}", file=display) from None
        self.budget.take(len(data), display)
        self.add_bytes(display, data, counted=True)

    def add_blob(self, display: str, data: bytes) -> None:
        """Bytes that may be an archive (by magic bytes or name) or a manifest."""
        kind = sniff(display, data[:512])
        if kind is None:
            self.add_bytes(display, data)
            return
        if len(data) > self.limits.max_total_bytes:
            raise LoadError(
                f"archive is larger than the total size limit of {self.limits.max_total_bytes} bytes", file=display
            )
        self._add_archive(read_archive(kind, io.BytesIO(data), display, self.budget), counted=True)

    def _add_archive(self, members: list[tuple[str, bytes]], *, counted: bool) -> None:
        lenient, self.lenient = self.lenient, True
        try:
            for member, content in members:
                self.add_bytes(member, content, counted=counted)
        finally:
            self.lenient = lenient

    def add_bytes(self, display: str, data: bytes, *, counted: bool = False) -> None:
        if not counted:
            self.budget.take(len(data), display)
        self._add_manifest_text(display, decode(data, display))

    def add_text(self, display: str, text: str) -> None:
        # Bytes as UTF-8; exact only when it could matter (a char is at most 4 bytes).
        size = len(text) if len(text) * 4 <= self.budget.remaining else len(text.encode("utf-8", "surrogatepass"))
        self.budget.take(size, display)
        self._add_manifest_text(display, text.removeprefix("\ufeff"))

    def _add_manifest_text(self, display: str, text: str) -> None:
        try:
            parsed = parse_text(text, display, self.limits)
        except LoadError:
            # A Helm template is not YAML until rendered: name it rather than report the syntax error.
            line = helm_template_line(text)
            if line is None:
                raise
            message = "this is a Helm chart template; render it with `helm template` first"
            if not self.lenient:
                raise LoadError(message, file=display, line=line) from None
            self.warnings.append(LoadWarning(f"skipped: {message}", file=display, line=line))
            return
        self._add_parsed(parsed)

    def add_dict(self, body: dict[str, Any], file: str, document: int) -> None:
        try:
            body = normalise(body, self.limits.depth_cap)
        except TreeProblem as problem:
            raise LoadError(
                problem.message, file=file, document=document, line=1, field=format_path(problem.path)
            ) from None
        self.parsed = None
        self._add_body(body, file, document, 1, "", None)

    # ----- objects -------------------------------------------------------------------------

    def _add_parsed(self, pt: ParsedText) -> None:
        for doc in pt.documents:
            value = doc.value
            if value is None:
                continue  # empty or null document
            self.parsed = (pt, doc)
            if isinstance(value, dict):
                self._add_body(value, pt.file, doc.index, doc.line, "", functools.partial(pt.item_lines, doc, in_key=True))
            elif isinstance(value, list) and pt.first_char(doc) == "[":
                # A JSON array of objects.
                lines = pt.item_lines(doc, len(value), False) if value else None
                for i, item in enumerate(value):
                    line = lines[i] if lines else doc.line
                    if not isinstance(item, dict):
                        raise LoadError(
                            f"array item is a {_type_name(item)}, not a mapping",
                            file=pt.file,
                            document=doc.index,
                            line=line,
                            field=f"[{i}]",
                        )
                    self._add_body(item, pt.file, doc.index, line, f"[{i}].", None)
            elif self.lenient and (value == [] or isinstance(value, str)):
                self._skip(pt.file, doc.index, doc.line, "not a Kubernetes object (no apiVersion and kind)")
            else:
                raise LoadError(
                    f"document is a {_type_name(value)}, not a mapping", file=pt.file, document=doc.index, line=doc.line
                )

    def _add_body(
        self,
        body: dict[str, Any],
        file: str,
        document: int,
        line: int,
        prefix: str,
        item_lines: Callable[[int], list[int] | None] | None,
    ) -> None:
        def fail(message: str, field: str) -> LoadError:
            return LoadError(message, file=file, document=document, line=line, field=prefix + field)

        kind = body.get("kind")
        if self.lenient and not prefix and (kind is None or body.get("apiVersion") is None):
            # Helm values, Kustomize components, app configs: YAML that is not a Kubernetes object.
            self._skip(file, document, line, "not a Kubernetes object (no apiVersion and kind)")
            return
        if not isinstance(kind, str) or not kind:
            raise fail("missing kind" if kind is None else f"kind must be a non-empty string, not {_shown(kind)}", "kind")
        if _is_list_kind(body, kind):
            self._add_list(body, kind, file, document, line, prefix, item_lines)
            return
        api_version = body.get("apiVersion")
        if not isinstance(api_version, str) or not api_version:
            raise fail("missing apiVersion" if api_version is None else "apiVersion must be a string", "apiVersion")
        meta = body.get("metadata")
        if not isinstance(meta, dict):
            raise fail("missing metadata.name" if meta is None else "metadata must be a mapping", "metadata.name")
        name = meta.get("name") or meta.get("generateName")
        if not isinstance(name, str) or not name:
            raise fail("missing metadata.name" if name is None else "metadata.name must be a string", "metadata.name")
        for field, value, most in (("metadata.name", name, MAX_NAME), ("metadata.namespace", meta.get("namespace"),
                                                                     MAX_NAMESPACE), ("kind", kind, MAX_KIND),
                                   ("apiVersion", api_version, MAX_NAME)):
            if isinstance(value, str) and len(value) > most:
                # The API server refuses these (a DNS subdomain of 253, a namespace label of 63); a snapshot
                # could not store them either.
                raise fail(f"{field} is {len(value):,} characters long; Kubernetes allows at most {most}", field)
        for section in ("annotations", "labels"):
            # map[string]string in ObjectMeta: the API server refuses any other shape, and every reader
            # of labels and annotations expects a mapping.
            value = meta.get(section)
            if value and type(value) is not dict:
                raise fail(f"metadata.{section} must be a mapping, not {_shown(value)}", f"metadata.{section}")
        shape = shape_problem(body, kind)  # pod templates of the wrong type (shapes.py)
        if shape is not None:
            raise fail(shape[1], shape[0])
        cluster_scoped = kind in CLUSTER_SCOPED_KINDS
        if self.namespace is not None and not cluster_scoped:
            body = self._with_namespace(body, meta, fail)
        findings, body = admit(body, kind, api_version, cluster_scoped)
        if findings is not None:
            self._warn_findings(findings, file, document, line, prefix)
        if kind == "Secret":
            body, dropped = sanitize_secret(body)
            self.secret_values_dropped += dropped
        if len(self.objects) >= self.limits.max_documents:
            raise LoadError(f"more than {self.limits.max_documents} objects", file=file, document=document, line=line)
        self.objects.append(K8sObject(body, Source(_file_shown(file), document, line)))

    def _with_namespace(
        self, body: dict[str, Any], meta: dict[str, Any], fail: Callable[[str, str], LoadError]
    ) -> dict[str, Any]:
        """As `kubectl apply -n`: fill in a missing namespace, refuse a different one."""
        ns = meta.get("namespace")
        if not ns:
            return {**body, "metadata": {**meta, "namespace": self.namespace}}
        if ns != self.namespace:
            raise fail(
                f'the namespace from the provided object ("{ns}") does not match the namespace sent on the '
                f'request ("{self.namespace}")',
                "metadata.namespace",
            )
        return body

    def _warn_findings(self, findings: list[Any], file: str, document: int, line: int, prefix: str) -> None:
        parsed = self.parsed
        for finding in findings:
            at = line
            if parsed is not None and parsed[0].file == file and not prefix:
                at = field_line(parsed[0].text, parsed[1], finding.line_path or finding.path, line)
            field = prefix + format_path(list(finding.path))
            self.warnings.append(LoadWarning(finding.message, file=file, document=document, line=at, field=field))

    def _skip(self, file: str, document: int, line: int, why: str) -> None:
        self.warnings.append(LoadWarning(f"skipped: {why}", file=file, document=document, line=line))

    def _add_list(
        self,
        body: dict[str, Any],
        kind: str,
        file: str,
        document: int,
        line: int,
        prefix: str,
        item_lines: Callable[[int], list[int] | None] | None,
    ) -> None:
        items = body.get("items")
        if items is None:
            return
        if not isinstance(items, list):
            raise LoadError(
                f"items of a {kind} must be a sequence", file=file, document=document, line=line, field=prefix + "items"
            )
        lines = item_lines(len(items)) if item_lines and items else None
        # Typed lists (IngressList...) omit kind and apiVersion on their items.
        item_kind = kind.removesuffix("List") if kind != "List" else None
        for i, item in enumerate(items):
            item_line = lines[i] if lines else line
            if not isinstance(item, dict):
                raise LoadError(
                    f"List item is a {_type_name(item)}, not a mapping",
                    file=file,
                    document=document,
                    line=item_line,
                    field=f"{prefix}items[{i}]",
                )
            if item_kind and ("kind" not in item or "apiVersion" not in item):
                item = {"kind": item_kind, "apiVersion": body.get("apiVersion"), **item}
            self._add_body(item, file, document, item_line, f"{prefix}items[{i}].", None)

    def snapshot(self) -> Snapshot:
        warnings: list[LoadWarning] = self.warnings
        seen: set[str] = set()
        # Kinds outside the workload table that still have a pod template: Services get endpoints from them.
        pod_template_kinds = {
            o.kind
            for o in self.objects
            if (o.kind not in KNOWN_KINDS or o.kind in POD_MAKERS) and pod_maker(o) is GENERIC_POD_MAKER
        }
        for obj in self.objects:
            if obj.kind in pod_template_kinds and obj.kind not in seen:
                seen.add(obj.kind)
                warnings.append(
                    LoadWarning(
                        f"treated kind {obj.kind} as a workload because it has a pod template (spec.template "
                        "with labels, and spec.selector)",
                        file=obj.source.file,
                        document=obj.source.document,
                        line=obj.source.line,
                    )
                )
            elif obj.kind not in KNOWN_KINDS and obj.kind not in seen:
                seen.add(obj.kind)
                warnings.append(
                    LoadWarning(
                        f"kind {obj.kind} is not modelled by tracer; kept but not used",
                        file=obj.source.file,
                        document=obj.source.document,
                        line=obj.source.line,
                    )
                )
        n = self.secret_values_dropped
        if n:
            warnings.append(
                LoadWarning(f"{n} Secret value{'s' if n != 1 else ''} dropped; tracer never stores secret data")
            )
        warnings.extend(regex_warnings(self.objects))  # regexes that cannot be bounded (regex_risk.py)
        return Snapshot(self.objects, warnings)
