"""Leaderboard rows and the CSV file that keeps them (append-only, locked, atomic)."""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from filelock import FileLock


@dataclass(frozen=True)
class Row:
    """One verified result: ``method`` reached ``value`` of ``metric`` on ``task`` with ``order``.

    ``seed`` and ``budget`` are empty for deterministic methods; ``lower_bound``
    is a proven lower bound on the optimum, empty unless an exact solver gave
    one (it equals ``value`` when the order is proven optimal). ``order`` is
    the elimination order as space-separated intermediate indices.
    """

    task: str
    method: str
    metric: str
    value: int
    seed: str
    budget: str
    wall_time_s: float
    order: str
    ccgym_version: str
    date: str
    lower_bound: str = ""

    @property
    def actions(self) -> list[int]:
        """The order as a list of intermediate indices."""
        return [int(a) for a in self.order.split()]

    @property
    def bound(self) -> int | None:
        """The proven lower bound, if any."""
        return int(self.lower_bound) if self.lower_bound else None


COLUMNS = [f.name for f in fields(Row)]


def read_rows(path: Path) -> list[Row]:
    """All rows of a leaderboard CSV (none if the file does not exist); ``ValueError`` on a malformed file."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path}: columns {reader.fieldnames} are not the leaderboard's {COLUMNS}")
        try:
            return [
                Row(**{**record, "value": int(record["value"]), "wall_time_s": float(record["wall_time_s"])})
                for record in reader
            ]
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: malformed row: {error}") from error


def append_rows(path: Path, rows: list[Row]) -> None:
    """Append ``rows`` under a file lock, keeping every byte already in the file.

    Any number of processes may append to one file at once: each holds the
    lock while it reads the file, writes a temporary copy with the new rows and
    renames it over. A file that is not a leaderboard is refused (``ValueError``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(f".{path.name}.lock")):
        existing = path.read_bytes() if path.exists() else b""
        if existing:
            read_rows(path)  # refuse to extend a file that is not a leaderboard
            if not existing.endswith(b"\n"):
                existing += b"\n"
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        if not existing:
            writer.writeheader()
        writer.writerows(asdict(row) for row in rows)
        _replace(path, existing + buffer.getvalue().encode())


def _replace(path: Path, content: bytes) -> None:
    """Write ``content`` to a temporary file and rename it over ``path``, with ordinary permissions."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _default_mode()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fchmod(out.fileno(), mode)  # mkstemp creates 0600
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _default_mode() -> int:
    """The mode a newly created file gets: ``0666`` less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
