"""Validate a whole leaderboard CSV: trust nothing that can be checked, and say what could not be.

Every line is parsed strictly; every row is re-checked (:func:`verify.check`)
and, where its method is replayable, re-run (:func:`verify.replay`); a row
that repeats an earlier one is a duplicate. A lower bound above a verified cost
of its task on the board is rejected. Any other lower bound is a claim: with
``reprove`` the exact solver is re-run under the row's budget and seed and the
bound, once re-proved, is recorded beside the CSV (:func:`store.record_proofs`);
otherwise, or if re-proving fails, it is reported as UNVERIFIED. Earlier proofs
recorded beside the CSV are not consulted. A ``runtime_us`` row is a noisy
measurement: its order is verified, its value is not replayed, and its
measurement (spread, machine) must be recorded beside the CSV.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from baselines.leaderboard import verify
from baselines.leaderboard.records import RUNTIME_METRIC, Line, Measurement, Row, key, read_lines, read_measurements
from baselines.leaderboard.store import record_proofs


@dataclass
class Outcome:
    """What validating a CSV found: its rows, which were rejected and replayed, and the bounds' fate."""

    rows: int = 0
    rejected: int = 0
    replayed: int = 0
    reproved: int = 0
    unverified: int = 0
    measured: int = 0
    accepted: list[tuple[Line, Row]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the reader."""
        text = (
            f"{self.rows} rows: {self.rows - self.rejected} accepted ({self.replayed} reproduced by re-running "
            f"their method), {self.rejected} REJECTED"
        )
        if self.measured:
            text += f"; {self.measured} measured runtimes (orders verified, values not replayed)"
        if self.reproved or self.unverified:
            text += f"; lower bounds: {self.reproved} re-proved, {self.unverified} UNVERIFIED"
        return text


def validate(csv_path: Path, reprove_bounds: bool = False, trust_bounds: bool = False) -> int:
    """Print every rejection and unverified claim, then a summary; 0 if the board passes, else 1.

    Unverified bounds fail the board unless ``trust_bounds``.
    """
    if not csv_path.is_file():
        print(f"REJECTED {csv_path}: no such file", file=sys.stderr)
        return 1
    try:
        lines = read_lines(csv_path)
        measurements = read_measurements(csv_path)
    except ValueError as error:
        print(f"REJECTED {error}", file=sys.stderr)
        return 1
    if not lines:
        print(f"{csv_path}: 0 rows (only the header), nothing to check")
        return 0
    outcome = check_rows(lines, measurements)
    _check_bounds(outcome, csv_path, reprove_bounds)
    print(outcome.summary())
    if outcome.unverified:
        advice = "accepted as claims (--trust-bounds)" if trust_bounds else "the board FAILS until they are"
        print(
            f"{outcome.unverified} lower bounds are claims: re-prove them with --reprove-bounds (re-runs the exact "
            f"solver under each row's budget) or accept them with --trust-bounds; {advice}"
        )
    return 1 if outcome.rejected or (outcome.unverified and not trust_bounds) else 0


def _reject(outcome: Outcome, line: Line, reason: str) -> None:
    outcome.rejected += 1
    tqdm.write(f"REJECTED {line.name}: {reason}", file=sys.stderr)


def check_rows(lines: list[Line], measurements: Sequence[Measurement] = ()) -> Outcome:
    """Parse, deduplicate, check and replay every line; rejections are printed. A runtime row needs its measurement."""
    outcome = Outcome(rows=len(lines))
    measured = {(m.task, m.method, m.seed, m.budget, m.order, m.value) for m in measurements}
    first: dict[tuple, int] = {}
    for line in tqdm(lines, desc="validate", unit="row", file=sys.stderr):
        try:
            if line.error:
                raise verify.Rejected(line.error)
            row = line.record
            earlier = first.setdefault(key(row), line.number)
            if earlier != line.number:
                raise verify.Rejected(f"duplicate of line {earlier}")
            verify.check(row)
            if row.metric == RUNTIME_METRIC:
                if (row.task, row.method, row.seed, row.budget, row.order, row.value) not in measured:
                    raise verify.Rejected("a measured runtime without its measurement (spread, machine) beside the CSV")
                outcome.measured += 1
            outcome.replayed += verify.replay(row)
        except verify.Rejected as error:
            _reject(outcome, line, str(error))
            continue
        outcome.accepted.append((line, row))
    return outcome


def _check_bounds(outcome: Outcome, csv_path: Path, reprove: bool) -> None:
    """Reject bounds above a verified cost; re-prove or flag the others."""
    cheapest: dict[str, tuple[int, int]] = {}  # task -> (fewest verified mults, its line)
    for line, row in outcome.accepted:
        if row.metric == "mults" and (row.task not in cheapest or row.value < cheapest[row.task][0]):
            cheapest[row.task] = (row.value, line.number)
    for line, row in outcome.accepted:
        if row.bound is None:
            continue
        value, where = cheapest[row.task]
        if row.bound > value:
            _reject(outcome, line, f"lower bound {row.bound} exceeds the verified cost {value} of line {where}")
            continue
        if not reprove:
            outcome.unverified += 1
            tqdm.write(f"UNVERIFIED {line.name}: lower bound {row.bound} is a claim", file=sys.stderr)
            continue
        tqdm.write(f"re-proving {line.name}: lower bound {row.bound} under {row.budget} ...", file=sys.stderr)
        try:
            proof = verify.reprove(row, f"reprove line {line.number}")
        except verify.Unverified as error:
            outcome.unverified += 1
            tqdm.write(f"UNVERIFIED {line.name}: {error}", file=sys.stderr)
            continue
        record_proofs(csv_path, [proof])
        outcome.reproved += 1
        tqdm.write(f"re-proved {line.name}: lower bound {row.bound} in {proof.wall_time_s:.1f} s", file=sys.stderr)
