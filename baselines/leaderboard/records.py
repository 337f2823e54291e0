"""Leaderboard rows and proven bounds: what a record is, and how its CSV file is read (strictly)."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TypeVar

from baselines.budget import NUMBER, Budget

RUNTIME_METRIC = "runtime_us"


@dataclass(frozen=True)
class Row:
    """One verified result: ``method`` reached ``value`` of ``metric`` on ``task`` with ``order``.

    ``seed`` and ``budget`` are empty for deterministic methods; ``lower_bound``
    is a lower bound on the optimum that the exact solver claims, empty for
    every other method (it equals ``value`` when the order is claimed optimal;
    whether it was proven here is kept apart, in :class:`Proof` records).
    ``order`` is the elimination order as space-separated intermediate indices.
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
        """The claimed lower bound, if any."""
        return int(self.lower_bound) if self.lower_bound else None


@dataclass(frozen=True)
class Proof:
    """A lower bound on ``task``'s optimum that ``baselines.exact.solve`` proved on this machine.

    ``source`` says how: ``run`` (the run that wrote the row proved it) or
    ``reprove line N`` (:func:`verify.reprove` re-proved line N's bound, as
    ``validate --reprove-bounds`` does for every bound).
    """

    task: str
    lower_bound: int
    budget: str
    seed: str
    wall_time_s: float
    source: str
    ccgym_version: str
    date: str


@dataclass(frozen=True)
class Measurement:
    """How the value of a ``runtime_us`` row was measured: its spread, the settings and the machine.

    A ``runtime_us`` row's value is the median wall time of one call of the
    order's compiled Jacobian (``ccgym.compile_jacobian``, at the task's
    example inputs, ``batch`` copies of them under ``torch.vmap`` when
    ``batch > 1``), rounded to a microsecond; this record, kept beside the CSV
    (:func:`measurements_path`), names the row by its task, method, seed,
    budget, order and value and holds the quartiles and the machine
    (``ccgym.timing``). A runtime cannot be replayed: validating checks the
    order and that its measurement is recorded, never the value.
    """

    task: str
    method: str
    seed: str
    budget: str
    order: str
    value: int
    median_us: float
    q1_us: float
    q3_us: float
    repeats: int
    warmup: int
    batch: int
    dtype: str
    machine: str
    ccgym_version: str
    date: str


Record = TypeVar("Record", Row, Proof, Measurement)


def today() -> str:
    """Today's date (UTC) as the records write it."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def proofs_path(csv_path: Path) -> Path:
    """Where the proofs of a leaderboard CSV's bounds are kept: ``leaderboard.csv`` -> ``leaderboard.proofs.csv``."""
    return csv_path.with_name(f"{csv_path.stem}.proofs.csv")


def measurements_path(csv_path: Path) -> Path:
    """Where the measurements of a leaderboard's runtime rows are kept: ``leaderboard.runtime.csv``."""
    return csv_path.with_name(f"{csv_path.stem}.runtime.csv")


def read_measurements(csv_path: Path) -> list[Measurement]:
    """The measurements recorded beside a leaderboard CSV (none if there is no such file)."""
    return read_records(measurements_path(csv_path), Measurement)


def read_proofs(csv_path: Path) -> list[Proof]:
    """The proofs recorded beside a leaderboard CSV (none if there is no such file)."""
    return read_records(proofs_path(csv_path), Proof)


def _name(text: str) -> str:
    if not text or text != text.strip():
        raise ValueError("is empty or has surrounding spaces")
    return text


def _natural(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise ValueError("is not a non-negative integer")
    return int(text)


def _optional_natural(text: str) -> str:
    if text:
        _natural(text)
    return text


def _seconds(text: str) -> float:
    if not re.fullmatch(NUMBER, text) or not math.isfinite(float(text)):
        raise ValueError("is not a finite non-negative number of seconds")
    return float(text)


def _microseconds(text: str) -> float:
    if not re.fullmatch(NUMBER, text) or not math.isfinite(float(text)):
        raise ValueError("is not a finite non-negative number of microseconds")
    return float(text)


def _budget(text: str) -> str:
    if text:
        Budget.parse(text)
    return text


def _order(text: str) -> str:
    if not re.fullmatch(r"(?:[0-9]+(?: [0-9]+)*)?", text):
        raise ValueError("is not a list of intermediate indices separated by single spaces")
    return text


def _date(text: str) -> str:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError("is not a date YYYY-MM-DD")
    date.fromisoformat(text)
    return text


_COMMON = {
    "task": _name,
    "seed": _optional_natural,
    "budget": _budget,
    "wall_time_s": _seconds,
    "ccgym_version": _name,
    "date": _date,
}
PARSERS: dict[type, dict[str, Callable[[str], object]]] = {
    Row: {
        **_COMMON,
        "method": _name,
        "metric": _name,
        "value": _natural,
        "order": _order,
        "lower_bound": _optional_natural,
    },
    Proof: {**_COMMON, "lower_bound": _natural, "source": _name},
    Measurement: {
        **{name: parse for name, parse in _COMMON.items() if name != "wall_time_s"},
        "method": _name,
        "order": _order,
        "value": _natural,
        "median_us": _microseconds,
        "q1_us": _microseconds,
        "q3_us": _microseconds,
        "repeats": _natural,
        "warmup": _natural,
        "batch": _natural,
        "dtype": _name,
        "machine": _name,
    },
}
def columns(kind: type) -> list[str]:
    """The CSV header of a record type."""
    return [f.name for f in fields(kind)]


def key(record: Row | Proof) -> tuple:
    """What makes two records the same result: every field but the wall time and the date."""
    return tuple(value for name, value in asdict(record).items() if name not in ("wall_time_s", "date"))


@dataclass(frozen=True)
class Line:
    """One line of a CSV after its header: the raw fields, and the record or why it is malformed."""

    number: int
    raw: dict[str, str]
    record: Row | Proof | None
    error: str = ""

    @property
    def name(self) -> str:
        """``line N (task / method / seed S)``, as far as the line gives them."""
        parts = [self.raw.get("task"), self.raw.get("method"), self.raw.get("seed") and f"seed {self.raw['seed']}"]
        named = " / ".join(part for part in parts if part)
        return f"line {self.number}" + (f" ({named})" if named else "")


def read_lines(path: Path, kind: type[Record] = Row) -> list[Line]:
    """Every line after the header, parsed strictly; ``ValueError`` if the file is not such a CSV at all."""
    header = columns(kind)
    lines = []
    try:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            first = next(reader, None)
            if first is None:
                raise ValueError(f"{path}: empty file, not even a header line")
            if first != header:
                raise ValueError(f"{path}: the first line is not the header {','.join(header)}")
            start = reader.line_num + 1
            for values in reader:
                lines.append(_parse(kind, header, start, values))
                start = reader.line_num + 1
    except (csv.Error, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a readable CSV: {error}") from None
    return lines


def _parse(kind: type[Record], header: list[str], number: int, values: list[str]) -> Line:
    if not any(value.strip() for value in values):
        return Line(number, {}, None, "blank line")
    if len(values) != len(header):
        return Line(number, {}, None, f"{len(values)} fields, the header has {len(header)}")
    raw = dict(zip(header, values))
    parsed = {}
    for name, parse in PARSERS[kind].items():
        try:
            parsed[name] = parse(raw[name])
        except ValueError as error:
            return Line(number, raw, None, f"{name}={raw[name]!r} {error}")
    return Line(number, raw, kind(**parsed))


def read_records(path: Path, kind: type[Record] = Row) -> list[Record]:
    """All records of a CSV (none if the file does not exist); ``ValueError`` naming the first malformed line."""
    if not path.exists():
        return []
    lines = read_lines(path, kind)
    if bad := next((line for line in lines if line.error), None):
        raise ValueError(f"{path}: {bad.name}: {bad.error}")
    return [line.record for line in lines]


def read_rows(path: Path) -> list[Row]:
    """All rows of a leaderboard CSV (see :func:`read_records`)."""
    return read_records(path, Row)
