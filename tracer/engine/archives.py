"""Reading manifest bytes out of zip and tar archives without trusting their headers.

Uncompressed bytes are counted as they are read, so a zip/gzip bomb stops at the total-size
limit rather than at the size its header claims. Members are returned sorted by name so the
load order, and every document index derived from it, is deterministic.
"""

from __future__ import annotations

import gzip
import lzma
import tarfile
import zipfile
import zlib
from typing import IO, Protocol

from tracer.engine.errors import LoadError
from tracer.engine.limits import Limits

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar", ".gz", ".tar.bz2", ".tar.xz")
_CHUNK = 1 << 20


class Budget:
    """Running totals of bytes and files read for one load, checked against the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.bytes = 0
        self.files = 0

    @property
    def remaining(self) -> int:
        return self.limits.max_total_bytes - self.bytes

    def take(self, n: int, file: str, *, expanding: bool = False) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_total_bytes:
            what = "archive expands beyond" if expanding else "input exceeds"
            hint = " (zip bomb?)" if expanding else ""
            raise LoadError(f"{what} the total size limit of {self.limits.max_total_bytes} bytes{hint}", file=file)

    def add_file(self, file: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise LoadError(f"more than {self.limits.max_files} files", file=file)


# Build-tool inputs that sit beside manifests in repositories: not Kubernetes objects. Each name maps
# to what it is, for the warning that says why it was skipped.
TOOLING_FILES: dict[str, str] = {
    "kustomization.yaml": "a Kustomize file; render the folder with `kubectl kustomize` first",
    "kustomization.yml": "a Kustomize file; render the folder with `kubectl kustomize` first",
    "chart.yaml": "a Helm chart's metadata; render the chart with `helm template` first",
    "values.yaml": "a Helm values file; render the chart with `helm template` first",
    "values.yml": "a Helm values file; render the chart with `helm template` first",
    "skaffold.yaml": "a Skaffold configuration",
}


def tooling_file(name: str) -> str | None:
    """What a build-tool input is (Helm values, Chart.yaml, kustomization.yaml...), or None."""
    base = name.replace("\\", "/").rpartition("/")[2].lower()
    known = TOOLING_FILES.get(base)
    if known is None and base.startswith(("values-", "values.", "values_")) and base.endswith(MANIFEST_SUFFIXES):
        return TOOLING_FILES["values.yaml"]
    return known


def is_manifest_name(name: str) -> bool:
    """A YAML/JSON file that is not hidden, macOS archive debris (``__MACOSX/._x.yaml``) or a build-tool input."""
    parts = name.replace("\\", "/").split("/")
    if any((p.startswith(".") and p not in (".", "..")) or p == "__MACOSX" for p in parts):
        return False
    if tooling_file(parts[-1]) is not None:
        return False
    return parts[-1].lower().endswith(MANIFEST_SUFFIXES)


def sniff(name: str, head: bytes) -> str | None:
    """'zip', 'tar' or 'gzip' from magic bytes, falling back to the file name; None for text."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[257:262] == b"ustar" or head.startswith((b"BZh", b"\xfd7zXZ\x00")):
        return "tar"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    lower = name.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith(ARCHIVE_SUFFIXES):
        return "tar"
    return None


class _Readable(Protocol):
    """What member reading needs: zip, tar and gzip member streams all qualify."""

    def read(self, size: int, /) -> bytes: ...


def _read_member(fh: _Readable, member: str, budget: Budget) -> bytes:
    chunks = []
    while chunk := fh.read(min(_CHUNK, budget.remaining + 1)):
        budget.take(len(chunk), member, expanding=True)
        chunks.append(chunk)
    return b"".join(chunks)


def read_archive(kind: str, fileobj: IO[bytes], display: str, budget: Budget) -> list[tuple[str, bytes]]:
    """``(display!member, bytes)`` for each manifest in the archive, sorted by member name."""
    try:
        if kind == "zip":
            return _read_zip(fileobj, display, budget)
        if kind == "gzip":
            start = fileobj.tell()
            try:
                return _read_tar(fileobj, display, budget)
            except tarfile.ReadError:
                fileobj.seek(start)  # gzip, but not a tarball: one compressed manifest
                with gzip.GzipFile(fileobj=fileobj) as gz:
                    return [(display, _read_member(gz, display, budget))]
        return _read_tar(fileobj, display, budget)
    except LoadError:
        raise
    except (
        zipfile.BadZipFile,
        tarfile.TarError,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        OSError,
        RuntimeError,
        TypeError,
        ValueError,
    ) as exc:
        # LZMAError: a corrupt .tar.xz or LZMA zip member (bz2 and gzip raise OSError). TypeError: tarfile's
        # header parsing on some corrupt headers (ord() of a multi-character field).
        raise LoadError(f"cannot read {kind} archive: {exc}", file=display) from None
    except NotImplementedError as exc:  # unsupported zip compression
        raise LoadError(f"cannot read {kind} archive: {exc}", file=display) from None


def _read_zip(fileobj: IO[bytes], display: str, budget: Budget) -> list[tuple[str, bytes]]:
    out = []
    with zipfile.ZipFile(fileobj) as zf:
        infos = sorted(
            (i for i in zf.infolist() if not i.is_dir() and is_manifest_name(i.filename)), key=lambda i: i.filename
        )
        for info in infos:
            member = f"{display}!{info.filename}"
            budget.add_file(member)
            with zf.open(info) as fh:
                out.append((member, _read_member(fh, member, budget)))
    return out


def _read_tar(fileobj: IO[bytes], display: str, budget: Budget) -> list[tuple[str, bytes]]:
    # Skipping a member still decompresses it, so bound everything the stream makes us read,
    # using the sizes tar itself relies on to find the next header.
    scan_cap = 4 * budget.limits.max_total_bytes
    out = []
    with tarfile.open(fileobj=fileobj, mode="r|*") as tf:
        for info in tf:
            member = f"{display}!{info.name.removeprefix('./')}"
            if info.offset_data + info.size > scan_cap:
                raise LoadError(f"archive expands beyond {scan_cap} bytes while scanning (tar bomb?)", file=member)
            if not info.isfile() or not is_manifest_name(info.name):
                continue
            budget.add_file(member)
            if info.size > budget.remaining:
                raise LoadError(
                    f"archive expands beyond the total size limit of {budget.limits.max_total_bytes} bytes",
                    file=member,
                )
            fh = tf.extractfile(info)
            if fh is not None:
                out.append((member, _read_member(fh, member, budget)))
    out.sort(key=lambda m: m[0])
    return out
