"""Appending records to their CSV files: locked, atomic, keeping every byte, writing a result only once."""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
from dataclasses import asdict
from pathlib import Path

from filelock import FileLock

from baselines.leaderboard.records import Proof, Record, Row, columns, key, proofs_path, read_records


def append_rows(path: Path, rows: list[Row]) -> list[Row]:
    """Append the rows not already in the file (see :func:`append_records`); returns those written."""
    return append_records(path, Row, rows)


def record_proofs(csv_path: Path, proofs: list[Proof]) -> None:
    """Append proofs beside a leaderboard CSV (see :func:`append_records`)."""
    append_records(proofs_path(csv_path), Proof, proofs)


def append_records(path: Path, kind: type[Record], records: list[Record]) -> list[Record]:
    """Append ``records`` under a file lock, keeping every byte already there; returns those written.

    Any number of processes may append to one file at once: each holds the
    lock while it reads the file, writes a temporary copy with the new records
    and renames it over. A record equal (by :func:`key`) to one already in the
    file, or to an earlier one of ``records``, is not written again. A file
    that is not a valid CSV of ``kind`` is refused (``ValueError``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(f".{path.name}.lock")):
        existing = path.read_bytes() if path.exists() else b""
        seen = {key(record) for record in read_records(path, kind)} if existing else set()
        new = []
        for record in records:
            if key(record) not in seen:
                seen.add(key(record))
                new.append(record)
        if existing and not new:
            return []
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns(kind), lineterminator="\n")
        if not existing:
            writer.writeheader()
        writer.writerows(asdict(record) for record in new)
        if existing and not existing.endswith(b"\n"):
            existing += b"\n"
        _replace(path, existing + buffer.getvalue().encode())
    return new


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
