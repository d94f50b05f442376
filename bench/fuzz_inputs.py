"""Hostile upload inputs for the loader fuzz harness (bench/fuzz_loader.py), generated from a seed.

``make_upload(corpus, seed, index)`` is deterministic: the same (seed, index) always gives the same files,
so a failure is reproduced from its number alone. Three families, mixed per input:

* mutations of the real manifests in tests/corpus/ and examples/ (truncation, byte flips, nesting bombs in
  flow and block style with every line-break character, alias bombs, huge scalars, odd indentation and
  tabs, BOMs, NULs, invalid UTF-8, duplicate keys, document markers and directives, tags, long lines,
  numbers and keys JSON cannot hold, objects with fields of the wrong type);
* synthetic objects with random values, written as block YAML, flow YAML or JSON, then mutated;
* archives (zip, tar, tar.gz, tar.bz2, tar.xz, gzip) of those, with path traversal, absolute and odd member
  names, symlinks, hard links, devices, nested archives, compression bombs, huge declared sizes, truncation.
"""

from __future__ import annotations

import bz2
import codecs
import functools
import gzip
import io
import json
import lzma
import random
import re
import struct
import tarfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import yaml

warnings.filterwarnings("ignore", "Duplicate name", UserWarning)  # duplicate zip member names are on purpose

ROOT = Path(__file__).resolve().parent.parent
Upload = list[tuple[str, bytes]]
BREAKS = ("\n", "\r", "\r\n", "\x85", "\u2028")
DEPTHS = (8, 63, 64, 65, 200, 255, 256, 257, 600, 2_000, 20_000, 60_000)
TAGS = (
    "!!python/object:os.system", "!!python/object/apply:os.system ['id']", "!!python/name:os.system", "!!binary",
    "!!set", "!!omap", "!!pairs", "!!timestamp", "!!float", "!!int", "!!bool", "!!null", "!!str", "!!map", "!!seq",
    "!custom", "!<tag:yaml.org,2002:str>", "!<!>", "!e!x", "!!merge", "!!value",
)
SCALARS = (
    ".inf", "-.inf", ".nan", ".NaN", "1e400", "-1e400", "9" * 30, "0x7fffffffffffffff", "0x8000000000000000",
    "0o777", "1_000", "+12", "-0", "~", "null", "Null", "yes", "no", "on", "off", "y", "n", "true", "TRUE", "''",
    '""', '"\\0"', '"\\x00"', '"\\u0000"', '"\\ud800"', '"\\udc00x"', '"\\U0010FFFF"', '"\\U00110000"', "[]", "{}",
    "2001-12-14t21:59:43.10-05:00", "*undefined", "&a", "!", "|", ">", "|-2", "? x", "<<", "- x", "'unterminated",
    '"unterminated', "{a: [", "@x", "`x", "%x", "\t", "\ufeff", "\u202e", "\U0001f600", "\x7f", "\x1b[31m",
)
KINDS = ("Service", "Ingress", "Deployment", "Pod", "ConfigMap", "Secret", "EndpointSlice", "List", "ServiceList",
         "Gateway", "HTTPRoute", "IngressRoute", "VirtualService", "Middleware", "Unknown", "")


@functools.cache
def corpus() -> tuple[tuple[str, bytes], ...]:
    """Every manifest in tests/corpus/ and examples/, small files first (most mutations use small ones)."""
    files = [
        p for base in (ROOT / "tests" / "corpus", ROOT / "examples") for p in base.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".yml", ".json")
    ]
    return tuple(sorted(((p.name, p.read_bytes()) for p in files), key=lambda f: (len(f[1]), f[0])))


def _pick_file(rng: random.Random) -> tuple[str, bytes]:
    files = corpus()
    # Mostly files under 64 KiB (fast loads, many inputs/s); sometimes any file, up to the 2 MB installs.
    small = sum(1 for _, data in files if len(data) < 65_536)
    return files[rng.randrange(small if rng.random() < 0.9 else len(files))]


# ----- text and byte mutations ----------------------------------------------------------------------


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    i = data.find(b"\n")
    while i >= 0 and len(starts) < 20_000:
        starts.append(i + 1)
        i = data.find(b"\n", i + 1)
    return starts


def _at_line(rng: random.Random, data: bytes, chunk: bytes) -> bytes:
    pos = rng.choice(_line_starts(data))
    return data[:pos] + chunk + data[pos:]


_KEY_COLON = re.compile(rb": ")


def _at_value(rng: random.Random, data: bytes, chunk: bytes) -> bytes:
    """Replace what follows a random ``key: `` with chunk (or insert at a line start when there is none)."""
    spots = [m.end() for m in _KEY_COLON.finditer(data, 0, 200_000)]
    if not spots:
        return _at_line(rng, data, chunk)
    pos = rng.choice(spots)
    end = data.find(b"\n", pos)
    return data[:pos] + chunk + (data[end:] if end >= 0 else b"")


def _nesting(rng: random.Random) -> bytes:
    n = rng.choice(DEPTHS)
    nl = rng.choice(BREAKS)
    style = rng.randrange(9)
    if style == 0:
        text = "[" * n + "x" + "]" * n * rng.randrange(2)
    elif style == 1:
        text = "{a: " * n + "1" + "}" * n * rng.randrange(2)
    elif style == 2:
        text = "a:" + nl + "- " * n + "x"
    elif style == 3:
        text = "? " * n + "x"
    elif style == 4:  # block mappings, one more column per level
        text = nl.join(" " * i + "k:" for i in range(min(n, 3_000))) + nl + " " * min(n, 3_000) + "x"
    elif style == 5:  # compact sequences of mappings: two levels per two columns
        text = nl.join("  " * i + "- k:" for i in range(min(n, 3_000))) + nl
    elif style == 6:
        text = '{"a": ' * n + "1" + "}" * n
    elif style == 7:
        text = "- " * n + "!t x"
    else:
        text = "-\t" * n + "x"
    return (text + nl).encode("utf-8")


def _alias_bomb(rng: random.Random) -> bytes:
    width, levels = rng.choice(((9, 9), (10, 6), (2, 40), (100, 3), (3, 20)))
    flow = rng.random() < 0.5
    lines = ['a0: &a0 ["lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]" if flow else f"a{i}: &a{i}\n" + "".join(f"  - *a{i - 1}\n" for _ in range(width)))
    if rng.random() < 0.3:  # merge-key bomb
        lines.append("m: {<<: [" + ", ".join(f"*a{levels - 1}" for _ in range(width)) + "]}")
    if rng.random() < 0.2:
        lines.append("u: *never_defined")
    body = "\n".join(lines) + "\n"
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n" if rng.random() < 0.7 else ""
    return (head + ("data:\n" + "".join("  " + ln + "\n" for ln in body.splitlines()) if head else body)).encode()


def _huge_scalar(rng: random.Random) -> bytes:
    size = rng.choice((70_000, 1 << 20, 3 << 20))
    body = "x" * size
    style = rng.randrange(5)
    if style == 0:
        return f"big: {body}\n".encode()
    if style == 1:
        return f'big: "{body}"\n'.encode()
    if style == 2:
        return ("big: |\n" + "".join(f"  {body[:100]}\n" for _ in range(size // 100))).encode()
    if style == 3:
        return f"{body}: key\n".encode()
    return ("# " + body + "\n").encode()


def _reindent(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(lines))
        if rng.random() < 0.5:
            lines[i] = b" " * rng.randint(1, 9) + lines[i]
        else:
            lines[i] = lines[i].replace(b"  ", b"\t", rng.randint(1, 3))
    return b"\n".join(lines)


def _with_bom(rng: random.Random, data: bytes) -> bytes:
    choice = rng.randrange(7)
    if choice == 0:
        return codecs.BOM_UTF8 + data
    text = data.decode("utf-8", "replace")
    if choice == 1:
        return text.encode("utf-16")  # with its BOM
    if choice == 2:
        return text.encode("utf-32")
    if choice == 3:
        return codecs.BOM_UTF16_LE + data  # a BOM that lies
    if choice == 4:
        return codecs.BOM_UTF8 * 2 + data
    if choice == 5:
        return text.encode("utf-16-le")  # no BOM
    return _at_line(rng, data, codecs.BOM_UTF8)


def _breaks(rng: random.Random, data: bytes) -> bytes:
    new = rng.choice(BREAKS[1:]).encode("utf-8")
    return data.replace(b"\n", new)


def _dup_line(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    keyed = [i for i, ln in enumerate(lines) if b": " in ln or ln.rstrip().endswith(b":")]
    if not keyed:
        return data
    i = rng.choice(keyed)
    lines.insert(i + rng.randint(0, 2), lines[i])
    return b"\n".join(lines)


def _marker(rng: random.Random) -> bytes:
    return rng.choice((
        "---\n", "...\n", "--- |\n", "--- >\n", "--- # c\n", "---\t\n", "%YAML 1.2\n---\n", "%YAML 1.1\n---\n",
        "%YAML 2.0\n---\n", "%TAG ! tag:x,2000:\n---\n", "%FOO bar\n---\n", "--- !!map\n", "--- &x\n", "---\r",
        "--- [a, b]\n", "--- {kind: List}\n", "---\n---\n---\n", "... ---\n", "----\n", " ---\n",
    )).encode()


def _structure(rng: random.Random) -> bytes:
    """A Kubernetes-looking object whose well-known fields have the wrong types."""
    def odd() -> str:
        return rng.choice(("[]", "{}", "5", "true", "null", "~", '""', "[a, 1]", "{a: b}", "x" * 300, ".inf", "-1"))
    kind = odd() if rng.random() < 0.3 else rng.choice(KINDS)
    meta = odd() if rng.random() < 0.2 else f"{{name: {odd() if rng.random() < 0.3 else 'n'}, namespace: {odd()}}}"
    items = f"\nitems: {odd()}" if rng.random() < 0.5 else "\nitems:\n- " + odd() + "\n- {metadata: {name: i}}"
    return f"apiVersion: {odd() if rng.random() < 0.2 else 'v1'}\nkind: {kind}\nmetadata: {meta}{items}\n".encode()


def _flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(buf))
        buf[i] = rng.randrange(256) if rng.random() < 0.5 else buf[i] ^ (1 << rng.randrange(8))
    return bytes(buf)


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "truncate": lambda rng, d: d[: rng.randrange(len(d) + 1)],
    "flip": _flip,
    "nest": lambda rng, d: _at_line(rng, d, _nesting(rng)) if rng.random() < 0.5 else _at_value(rng, d, _nesting(rng)),
    "alias": lambda rng, d: d + b"\n---\n" + _alias_bomb(rng) if rng.random() < 0.5 else _alias_bomb(rng),
    "anchor": lambda rng, d: _at_value(rng, d, rng.choice((b"&a x", b"*a", b"&a [*a]", b"<<: *a", b"&a {<<: *a}"))),
    "huge": lambda rng, d: _at_line(rng, d, _huge_scalar(rng)),
    "indent": _reindent,
    "bom": _with_bom,
    "nul": lambda rng, d: _at_value(rng, d, rng.choice((b"\x00", b'"a\\0b"', b'"\\x00"', b'"\\u0000"', b"a\x00b"))),
    "utf8": lambda rng, d: _at_value(rng, d, rng.choice((b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82", b"\xf4\x90\x80\x80"))),
    "dup": _dup_line,
    "marker": lambda rng, d: _at_line(rng, d, _marker(rng)),
    "tag": lambda rng, d: _at_value(rng, d, (rng.choice(TAGS) + " " + rng.choice(("x", "[a, b]", "{a: b}", "aGk=", "1"))).encode()),
    "long": lambda rng, d: _at_line(rng, d, b"k" * rng.choice((5_000, 300_000, 2_000_000)) + b": v\n"),
    "scalar": lambda rng, d: _at_value(rng, d, rng.choice(SCALARS).encode("utf-8", "surrogatepass")),
    "key": lambda rng, d: _at_line(rng, d, rng.choice((
        "? [a, b]\n: c\n", "{a: 1}: x\n", "~: x\n", "<<: x\n", "<<: [1, 2]\n", "1: a\n'1': b\n", "true: a\n",
        "? !!set {a, b}\n: c\n", "[a]: b\n", "? - a\n  - b\n: c\n", ".inf: x\n", "1.5: x\n", "null: a\n~: b\n",
    )).encode()),
    "breaks": _breaks,
    "splice": lambda rng, d: _at_line(rng, d, _pick_file(rng)[1][: rng.randrange(4_000)]),
    "structure": lambda rng, d: d + b"\n---\n" + _structure(rng),
    "set": lambda rng, d: _at_value(rng, d, rng.choice((b"!!set {a, b}", b"!!set\n  ? a\n  ? b", b"!!omap [a: 1, b: 2]", b"!!pairs [a: 1]"))),
    "json": lambda rng, d: _as_json(rng, d),
}


def _as_json(rng: random.Random, data: bytes) -> bytes:
    if len(data) > 65_536 or b"&" in data:  # PyYAML is slow on big files; anchors can make self-referencing values
        return data
    try:
        docs = [doc for doc in yaml.safe_load_all(data.decode("utf-8")) if doc is not None]
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError, ValueError):
        return data
    if not docs:
        return data
    value = docs[0] if len(docs) == 1 and rng.random() < 0.6 else docs
    text = json.dumps(value, default=str, indent=rng.choice((None, 1, 2, "\t")))
    bad = rng.randrange(8)
    if bad == 0:
        text = text.replace("1", "NaN", 1)
    elif bad == 1:
        text = text.rstrip("}") + ", }" if text.endswith("}") else text
    elif bad == 2:
        text = "// comment\n" + text
    elif bad == 3 and text.startswith("{"):
        text = '{"kind": "x", ' + text[1:]  # a duplicate key
    return text.encode()


def mutate(rng: random.Random, data: bytes, rounds: int) -> tuple[bytes, list[str]]:
    names = []
    for _ in range(rounds):
        name = rng.choice(tuple(MUTATIONS))
        names.append(name)
        try:
            data = MUTATIONS[name](rng, data)
        except Exception:  # a mutation that cannot apply to this input leaves it as it was
            names[-1] += "(skipped)"
        if len(data) > 12_000_000:  # keep inputs to a size one worker loads in well under a second or two
            data = data[:12_000_000]
    return data, names


# ----- synthetic objects ------------------------------------------------------------------------------


def _value(rng: random.Random, depth: int) -> object:
    roll = rng.random()
    if depth > 4 or roll < 0.45:
        return rng.choice((0, -1, 2**63 - 1, 2**63, 1.5, True, None, "", "x", "80", "a b", "é", "x" * 50, "0x1F"))
    if roll < 0.75:
        return {rng.choice(("name", "spec", "port", "host", "paths", "k", "1", "true")): _value(rng, depth + 1)
                for _ in range(rng.randint(0, 4))}
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def synthetic(rng: random.Random) -> bytes:
    docs = []
    for i in range(rng.randint(1, 4)):
        doc = {"apiVersion": rng.choice(("v1", "networking.k8s.io/v1", "apps/v1", 5)),
               "kind": rng.choice(KINDS), "metadata": {"name": f"o{i}", "namespace": rng.choice(("default", "a", 3))},
               "spec": _value(rng, 1)}
        if doc["kind"] in ("List", "ServiceList"):
            doc["items"] = [_value(rng, 2) for _ in range(rng.randint(0, 3))]
        docs.append(doc)
    style = rng.randrange(3)
    if style == 0:
        return json.dumps(docs if len(docs) > 1 else docs[0]).encode()
    return yaml.safe_dump_all(docs, default_flow_style=style == 1, allow_unicode=True).encode()


# ----- archives ---------------------------------------------------------------------------------------

MEMBER_NAMES = (
    "a.yaml", "dir/b.yml", "c.json", "../../etc/evil.yaml", "/abs/evil.yaml", "a/../../x.yaml", "C:\\win\\x.yaml",
    "__MACOSX/._a.yaml", ".hidden/a.yaml", "values.yaml", "kustomization.yaml", "ü/名前.yaml", "a" * 300 + ".yaml",
    "dir/", "x.txt", "nested.zip", "nested.tar.gz", "a.yaml",  # duplicate name on purpose
)


@functools.cache
def _bomb_member() -> bytes:
    return b"#" * (65 * 1024 * 1024)  # one byte-run past the 64 MiB total-size limit once expanded


def _members(rng: random.Random, bomb: bool = False) -> list[tuple[str, bytes]]:
    out = []
    for _ in range(rng.randint(1, 5)):
        name = rng.choice(MEMBER_NAMES)
        data = _pick_file(rng)[1] if rng.random() < 0.7 else synthetic(rng)
        if rng.random() < 0.5:
            data, _ = mutate(rng, data, rng.randint(1, 2))
        out.append((name, data))
    if bomb and rng.random() < 0.02:  # only where compressing 65 MiB is quick (zip, gzip)
        out.append(("bomb.yaml", _bomb_member()))
    return out


def _zip(rng: random.Random, members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    method = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA))
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            if name.endswith("/"):
                zf.writestr(name, b"")
            else:
                zf.writestr(name, data)
    raw = bytearray(buf.getvalue())
    if rng.random() < 0.3 and len(raw) > 30:  # a local header that claims a huge uncompressed size
        i = raw.find(b"PK\x03\x04")
        raw[i + 22 : i + 26] = struct.pack("<I", 0xFFFFFFF0)
    return bytes(raw)


def _tar(rng: random.Random, members: list[tuple[str, bytes]], mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=rng.choice((tarfile.GNU_FORMAT, tarfile.PAX_FORMAT))) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            special = rng.random()
            if special < 0.1:
                info.type, info.linkname = tarfile.SYMTYPE, rng.choice(("/etc/passwd", "../a.yaml", "a.yaml"))
                tf.addfile(info)
            elif special < 0.15:
                info.type, info.linkname = tarfile.LNKTYPE, "a.yaml"
                tf.addfile(info)
            elif special < 0.18:
                info.type = rng.choice((tarfile.CHRTYPE, tarfile.FIFOTYPE, tarfile.DIRTYPE))
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    raw = bytearray(buf.getvalue())
    if rng.random() < 0.2 and len(raw) >= 512:  # a header whose size field claims 64 GiB (octal, checksum kept stale)
        raw[124:136] = b"%011o\x00" % (64 << 30)
    data = bytes(raw)
    if mode == "gz":
        return gzip.compress(data, compresslevel=1)
    if mode == "bz2":
        return bz2.compress(data, 1)
    if mode == "xz":
        return lzma.compress(data, preset=0)
    return data


def archive(rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(("zip", "tar", "tar.gz", "tgz", "tar.bz2", "tar.xz", "gz"))
    members = _members(rng, bomb=kind in ("zip", "tar.gz"))
    if rng.random() < 0.1:  # an archive inside the archive
        members.append(("inner.zip", _zip(rng, _members(rng))))
    if kind == "zip":
        data = _zip(rng, members)
    elif kind == "gz":
        data = gzip.compress(members[0][1], compresslevel=1)
        kind = "yaml.gz"
    else:
        data = _tar(rng, members, {"tar": "", "tar.gz": "gz", "tgz": "gz", "tar.bz2": "bz2", "tar.xz": "xz"}[kind])
    roll = rng.random()
    if roll < 0.15:
        data = data[: rng.randrange(len(data) + 1)]
    elif roll < 0.3:
        data = _flip(rng, data)
    name = f"upload.{kind}" if rng.random() < 0.9 else rng.choice(("upload.yaml", "upload.zip", "upload.tgz", "x"))
    return name, data


# ----- one upload -------------------------------------------------------------------------------------


def make_upload(seed: int, index: int) -> tuple[Upload, str]:
    """The files of input ``index`` and a short description of how they were made."""
    rng = random.Random(f"{seed}:{index}")
    files: Upload = []
    how: list[str] = []
    for n in range(1 if rng.random() < 0.85 else rng.randint(2, 3)):
        roll = rng.random()
        if roll < 0.2:
            name, data = archive(rng)
            how.append(f"archive {name}")
        elif roll < 0.35:
            data, ops = mutate(rng, synthetic(rng), rng.randint(0, 2))
            name = "synthetic.json" if data[:1] in (b"[", b"{") else "synthetic.yaml"
            how.append("synthetic+" + "+".join(ops))
        else:
            base, data = _pick_file(rng)
            data, ops = mutate(rng, data, rng.choice((1, 1, 1, 2, 2, 3, 4)))
            name = base if rng.random() < 0.9 else rng.choice(("x.zip", "x.tar.gz", "x", "..", "a\x00b.yaml", "pasted.yaml"))
            how.append(f"{base}+" + "+".join(ops))
        files.append((name if n == 0 else f"{n}-{name}", data))
    return files, "; ".join(how)
