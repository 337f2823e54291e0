"""Checkpoints written atomically, and one run at a time per output folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock, Timeout


def save(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` so that a kill at any moment leaves the previous checkpoint or this one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            torch.save(state, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path) -> dict[str, Any]:
    """A checkpoint written by :func:`save` (numpy arrays and plain data included)."""
    return torch.load(path, weights_only=False)


def hold_folder(folder: Path) -> FileLock:
    """Lock ``folder`` for this run; ``RuntimeError`` if another run holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / ".run.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RuntimeError(f"another run is writing to {folder}: wait for it, or pass another --out") from None
    return lock
