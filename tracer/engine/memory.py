"""Hand the memory a large load freed back to the operating system.

Loading a big snapshot frees tens of megabytes of C heap on the way (the file's bytes and text, the YAML
parser's working memory). glibc keeps freed heap pages mapped until ``malloc_trim`` returns them
(https://man7.org/linux/man-pages/man3/malloc_trim.3.html), so without it a worker holding a
10,000-Ingress snapshot keeps about 25 MB it no longer uses. Other C libraries (musl) have no such call:
there this does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable

__all__ = ["TRIM_AFTER_BYTES", "release_free_memory"]

# Below this much input the heap a load frees is small, and trimming (about a millisecond) is not worth it.
TRIM_AFTER_BYTES = 4 * 1024 * 1024


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):
        return None  # not glibc
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory(loaded_bytes: int) -> bool:
    """After a load of ``loaded_bytes``: return freed heap pages to the system. True when trimmed."""
    if loaded_bytes < TRIM_AFTER_BYTES:
        return False
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
