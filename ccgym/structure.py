"""Labelled Jacobian structures: the Python view of a kernel structure code."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ccgym import kernels


@dataclass(frozen=True)
class Structure:
    """Canonical structure of an edge Jacobian of shape ``out_shape + in_shape``.

    ``labels[a]`` is the label of axis ``a`` (output axes first); the value
    tensor is stored over ``carried`` (sorted labels), in that order. ``unit``
    says the Jacobian is exactly the identity (a copy): the structure must then
    be the identity's (equal shapes, each output axis labelled like its input
    axis, nothing carried) and its value 1; products with it are free.
    """

    labels: tuple[int, ...]
    carried: tuple[int, ...]
    out_shape: tuple[int, ...]
    in_shape: tuple[int, ...]
    unit: bool = False

    def __post_init__(self) -> None:
        if not self.unit:
            return
        n = len(self.out_shape)
        diagonal = all(self.labels[a] == self.labels[n + a] for a in range(n) if self.out_shape[a] > 1)
        if self.out_shape != self.in_shape or not diagonal or self.carried:
            raise ValueError(f"a unit edge must have the identity's structure, not {self.labels}, {self.carried}")

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
            code |= 1 << (kernels.CARRY_SHIFT + label)
        return code | (kernels.UNIT if self.unit else 0)

    @classmethod
    def from_code(cls, code: int, out_shape: tuple[int, ...], in_shape: tuple[int, ...]) -> Structure:
        """Decode a kernel structure code."""
        n_axes = len(out_shape) + len(in_shape)
        labels = tuple((code >> (4 * a)) & 15 for a in range(n_axes))
        carried = tuple(sorted({lab for lab in labels if (code >> (kernels.CARRY_SHIFT + lab)) & 1}))
        return cls(labels, carried, tuple(out_shape), tuple(in_shape), bool(code & kernels.UNIT))

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
    for raw in raw_carried:
        if raw not in ids:
            raise ValueError(f"carried label {raw} is on no axis")
    labels: list[int] = []  # numbered by first appearance
    label_of: dict[int, int] = {}
    carried = set()
    for raw, size in zip(raw_labels, sizes):
        if size == 1:  # an axis of size one gets a label of its own, never carried
            labels.append(len(set(labels)))
            continue
        if raw not in label_of:
            label_of[raw] = len(set(labels))
            if raw in raw_carried:
                carried.add(label_of[raw])
        labels.append(label_of[raw])
    code = Structure(tuple(labels), tuple(sorted(carried)), tuple(out_shape), tuple(in_shape)).code
    structure = Structure.from_code(code, tuple(out_shape), tuple(in_shape))
    mapping = {raw: structure.labels[raw_labels.index(raw)] for raw in ids if size_of[raw] > 1}
    return structure, mapping


Class = tuple[str, int]  # a label class of a product: ("a", label of J[j,k]) or ("b", label of J[k,i]), its root


@dataclass(frozen=True)
class ProductClasses:
    """How ``J[j,k] . J[k,i]`` unifies its factors' labels (``docs/cost-model.md``, "What a product costs").

    ``left`` and ``right``: the class of each carried label of the two factors,
    in their value tensors' order; ``carried``: the classes either carries
    (the left factor's first); ``result``: the class of each axis of the
    result (``j``'s axes, then ``i``'s); ``size``: every class's size;
    ``constant``: the product of the sizes of the classes carried by neither
    factor and on no result axis (a constant summed over).
    """

    left: list[Class]
    right: list[Class]
    carried: list[Class]
    result: list[Class]
    size: dict[Class, int]

    @property
    def constant(self) -> int:
        return math.prod(n for c, n in self.size.items() if c not in self.carried and c not in self.result)


def product_classes(left: Structure, right: Structure) -> ProductClasses:
    """Unify the labels of ``k``'s axes on ``J[j,k]`` (``left``) and ``J[k,i]`` (``right``): a union-find."""
    nd_j, nd_k = len(left.out_shape), len(right.out_shape)
    parent: dict[Class, Class] = {}

    def find(x: Class) -> Class:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for axis in range(nd_k):
        parent[find(("b", right.labels[axis]))] = find(("a", left.labels[nd_j + axis]))
    size = {find(("a", label)): n for label, n in zip(left.labels, left.sizes)}
    size.update({find(("b", label)): n for label, n in zip(right.labels, right.sizes)})
    left_classes = [find(("a", label)) for label in left.carried]
    right_classes = [find(("b", label)) for label in right.carried]
    result = [find(("a", label)) for label in left.labels[:nd_j]]
    result += [find(("b", label)) for label in right.labels[nd_k:]]
    return ProductClasses(left_classes, right_classes, list(dict.fromkeys(left_classes + right_classes)), result, size)
