"""Numba's on-disk cache for this project's compiled functions, kept from going stale across files.

Numba caches a compiled function beside its source and reuses it while that
one file is unchanged. But the cached machine code also holds every compiled
function it calls, inlined or linked in, from other files: after a change to
``ccgym/kernels.py`` alone, the vector env's cached step would go on running
the old kernels. That is the kind of silent error a benchmark cannot have.

The locators here keep Numba's cache where it always was
(``NUMBA_CACHE_DIR`` if set, else ``__pycache__``, else the user's cache
folder) but stamp each entry with a digest of every source file of
``ccgym``, ``baselines`` and ``benchmarks_tasks`` that holds compiled code:
a change to any of them makes every cached function of the project compile
afresh once. :func:`install` puts them first in Numba's list; they
claim only files of these packages and leave every other function to
Numba's own locators. ``import ccgym`` calls it before any module compiles.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from numba.core import caching

PACKAGES = ("ccgym", "baselines", "benchmarks_tasks")
COMPILED_MARKERS = (b"njit", b"uncounted", b"overload")  # a file without any of them holds no compiled code
_ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def project_digest() -> bytes:
    """SHA-256 over the paths and contents of the packages' source files that hold compiled code (once a process)."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((_ROOT / package).rglob("*.py")):
            source = path.read_bytes()
            if any(marker in source for marker in COMPILED_MARKERS):
                digest.update(str(path.relative_to(_ROOT)).encode() + b"\0" + source + b"\0")
    return digest.digest()


def _in_project(py_file: str) -> bool:
    path = Path(py_file).resolve()
    return any(path.is_relative_to(_ROOT / package) for package in PACKAGES)


class _ProjectStamp:
    """A locator mixin: the source stamp also covers the whole project's compiled code, and only its files are claimed."""

    def get_source_stamp(self) -> tuple[bytes, bytes]:
        return super().get_source_stamp(), project_digest()

    @classmethod
    def from_function(cls, py_func, py_file: str):
        return super().from_function(py_func, py_file) if _in_project(py_file) else None


class ProjectCacheLocator(_ProjectStamp, caching.InTreeCacheLocator):
    """Numba's ``__pycache__`` locator with the project-wide stamp."""


class ProjectCacheDirLocator(_ProjectStamp, caching.UserProvidedCacheLocator):
    """Numba's ``NUMBA_CACHE_DIR`` locator with the project-wide stamp (it comes first, as in Numba's list)."""


class ProjectUserWideLocator(_ProjectStamp, caching.UserWideCacheLocator):
    """Numba's per-user locator (where ``__pycache__`` is not writable, as in a system-wide install), likewise."""


def install() -> None:
    """Make Numba stamp the project's cached functions with :func:`project_digest` (idempotent)."""
    locators = caching.CacheImpl._locator_classes  # Numba's locators, tried in order
    if ProjectCacheLocator not in locators:
        locators[:0] = [ProjectCacheDirLocator, ProjectCacheLocator, ProjectUserWideLocator]
