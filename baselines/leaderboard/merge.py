"""Bring the rows of another board (another machine's run, a run into a scratch folder) onto this one.

Every row is checked as ``validate`` checks it (parsed strictly, verified,
replayed where its method is replayable); the rows that pass are appended
under the board's lock, those already there are skipped, the others are
refused loudly. A merged row's lower bound keeps the proofs recorded beside
the source CSV for it; without one it stays a claim until
``validate --reprove-bounds`` re-proves it. A ``runtime_us`` row comes with
its measurement recorded beside the source CSV, or is refused.
"""

from __future__ import annotations

import sys
from pathlib import Path

from baselines.leaderboard.records import Measurement, measurements_path, read_lines, read_measurements, read_proofs
from baselines.leaderboard.store import append_records, append_rows, record_proofs
from baselines.leaderboard.validate import check_rows


def merge(source: Path, csv_path: Path) -> int:
    """Append ``source``'s verified rows to ``csv_path``; 0 if every row passed, else 1."""
    if not source.is_file():
        print(f"error: {source}: no such file", file=sys.stderr)
        return 1
    if source.resolve() == csv_path.resolve():
        print(f"error: {source} is the board itself", file=sys.stderr)
        return 1
    measurements = read_measurements(source)
    outcome = check_rows(read_lines(source), measurements)
    rows = [row for _, row in outcome.accepted]
    written = append_rows(csv_path, rows)
    bounds = {(row.task, row.lower_bound, row.budget, row.seed) for row in rows if row.bound is not None}
    proofs = [proof for proof in read_proofs(source) if (proof.task, str(proof.lower_bound), proof.budget,
                                                           proof.seed) in bounds]  # fmt: skip
    record_proofs(csv_path, proofs)
    timed = {(row.task, row.method, row.seed, row.budget, row.order, row.value) for row in rows}
    measured = [m for m in measurements if (m.task, m.method, m.seed, m.budget, m.order, m.value) in timed]
    if measured:
        append_records(measurements_path(csv_path), Measurement, measured)
    print(f"merged {len(written)} rows into {csv_path} ({len(rows) - len(written)} were already there, "
          f"{outcome.rejected} REFUSED); {len(proofs)} proofs of their bounds came with them")  # fmt: skip
    return 1 if outcome.rejected else 0
