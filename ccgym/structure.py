"""Labelled Jacobian structures: the Python view of a kernel structure code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ccgym import kernels


@dataclass(frozen=True)
class Structure:
    """Canonical structure of an edge Jacobian of shape ``out_shape + in_shape``.

    ``labels[a]`` is the label of axis ``a`` (output axes first); the value
    tensor is stored over ``carried`` (sorted labels), in that order.
    """

    labels: tuple[int, ...]
    carried: tuple[int, ...]
    out_shape: tuple[int, ...]
    in_shape: tuple[int, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Size of every axis."""
        return self.out_shape + self.in_shape

    def label_size(self, label: int) -> int:
        """Size of the axes that carry ``label``."""
        return self.sizes[self.labels.index(label)]

    @property
    def value_shape(self) -> tuple[int, ...]:
        """Shape of the stored value tensor."""
        return tuple(self.label_size(label) for label in self.carried)

    @property
    def code(self) -> int:
        """The kernel's integer encoding."""
        code = 0
        for axis, label in enumerate(self.labels):
            code |= label << (4 * axis)
        for label in self.carried:
            code |= 1 << (kernels._CARRY_SHIFT + label)
        return code

    @classmethod
    def from_code(cls, code: int, out_shape: tuple[int, ...], in_shape: tuple[int, ...]) -> Structure:
        """Decode a kernel structure code."""
        n_axes = len(out_shape) + len(in_shape)
        labels = tuple((code >> (4 * a)) & 15 for a in range(n_axes))
        carried = tuple(sorted({lab for lab in labels if (code >> (kernels._CARRY_SHIFT + lab)) & 1}))
        return cls(labels, carried, tuple(out_shape), tuple(in_shape))

    @classmethod
    def dense(cls, out_shape: tuple[int, ...], in_shape: tuple[int, ...]) -> Structure:
        """The structure that stores every entry."""
        n = len(out_shape) + len(in_shape)
        return canonicalize(list(range(n)), set(range(n)), out_shape, in_shape)[0]


def canonicalize(
    raw_labels: list[int],
    raw_carried: set[int],
    out_shape: tuple[int, ...],
    in_shape: tuple[int, ...],
) -> tuple[Structure, dict[int, int]]:
    """Canonical structure of arbitrary labels, and the map raw -> canonical label."""
    sizes = tuple(out_shape) + tuple(in_shape)
    if len(raw_labels) != len(sizes):
        raise ValueError(f"{len(raw_labels)} labels for a Jacobian with {len(sizes)} axes")
    if len(sizes) > kernels.MAX_AXES:
        raise ValueError(f"an edge Jacobian has at most {kernels.MAX_AXES} axes, got {len(sizes)}")
    ids = {raw: n for n, raw in enumerate(dict.fromkeys(raw_labels))}
    size_of: dict[int, int] = {}
    for raw, size in zip(raw_labels, sizes):
        if size_of.setdefault(raw, size) != size:
            raise ValueError(f"label {raw} is shared by axes of sizes {size_of[raw]} and {size}")
    carried = np.zeros(max(len(ids), 1), np.bool_)
    for raw in raw_carried:
        if raw not in ids:
            raise ValueError(f"carried label {raw} is on no axis")
        carried[ids[raw]] = True
    code = kernels.canonical_code(
        np.array([ids[r] for r in raw_labels] or [0], np.int64), carried, np.array(sizes or (1,), np.int64), len(sizes)
    )
    structure = Structure.from_code(code, tuple(out_shape), tuple(in_shape))
    mapping = {raw: structure.labels[raw_labels.index(raw)] for raw in ids if size_of[raw] > 1}
    return structure, mapping


def make_local(
    raw_labels: list[int],
    value_labels: list[int],
    value: torch.Tensor,
    out_shape: tuple[int, ...],
    in_shape: tuple[int, ...],
) -> tuple[Structure, torch.Tensor]:
    """Canonical structure and value of a local Jacobian given with raw labels.

    ``value`` is indexed by ``value_labels`` (one raw label per dimension).
    Dimensions of size one are dropped: canonical structures carry no label of
    size one.
    """
    if value.dim() != len(value_labels):
        raise ValueError(f"value of shape {tuple(value.shape)} for labels {value_labels}")
    structure, mapping = canonicalize(raw_labels, set(value_labels), out_shape, in_shape)
    keep = [d for d, raw in enumerate(value_labels) if raw in mapping]
    value = value.reshape([value.shape[d] for d in keep]) if len(keep) < value.dim() else value
    kept_labels = [mapping[value_labels[d]] for d in keep]
    permutation = sorted(range(len(kept_labels)), key=kept_labels.__getitem__)
    value = value.permute(permutation) if permutation != list(range(len(permutation))) else value
    if tuple(value.shape) != structure.value_shape:
        raise ValueError(f"value of shape {tuple(value.shape)} does not fit structure {structure}")
    return structure, value
