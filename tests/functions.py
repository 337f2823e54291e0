"""Functions that cover every operator family the tracer supports, with input makers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

F64 = torch.float64


class SurrogateSpike(torch.autograd.Function):
    """Heaviside step forward, fast-sigmoid surrogate derivative backward."""

    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:
        return (x > 0).to(x.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad / (1.0 + 10.0 * x.abs()) ** 2


def scalar_unary(a, b):
    u = torch.sqrt(a * a + 1.0) + torch.rsqrt(b * b + 2.0) + torch.exp(-a) + torch.log(b * b + 1.0)
    v = torch.log1p(a * a) * torch.sin(b) - torch.cos(a) / (torch.tan(b * 0.3) + 3.0)
    w = torch.asin(torch.tanh(a) * 0.5) + torch.acos(torch.sigmoid(b) * 0.5) + torch.atan(a * b)
    z = torch.sinh(a * 0.5) * torch.cosh(b * 0.5) + torch.erf(a - b) + torch.abs(a) * torch.relu(b)
    return u * v, w - z, -(u ** 3) + w ** 0.5


def scalar_binary(a, b, c):
    m = torch.maximum(a, b) * torch.minimum(b, c) - a / (c * c + 1.0)
    return m * m - a * b * c + 2.0 ** c


def vector_elementwise(x, y):
    z = torch.sin(x) * y + torch.exp(y) / (1.0 + x ** 2)
    return torch.tanh(z) - x, z.sum()


def matrix_broadcasting(A, b, s):
    C = A * b + s * torch.cos(A)
    D = C / (1.0 + b.unsqueeze(0) ** 2) - A.mean()
    return torch.sigmoid(D) * s, C.sum(dim=0)


def reductions(A):
    r = torch.exp(A).sum(dim=1, keepdim=True)
    c = (A * A).mean(dim=0)
    return A / r + c, r.squeeze(1).sum() * c.mean(dim=-1)


def matmuls(W, x, y, A, B):
    h = torch.tanh(W @ x)
    k = torch.mm(W, W.T)
    d = torch.dot(h, y)
    v = torch.mv(k, y)
    b = torch.bmm(A, B)
    return d * v + torch.matmul(A[0], x), torch.relu(b).sum(dim=0), F.linear(x, W, y)


def transposes(A, B):
    P = A.permute(1, 0) @ B
    Q = (torch.transpose(B, 0, 1) @ A) * P.T
    R = torch.stack([A, B]).movedim(0, 2).swapaxes(0, 1).mT * 2.0
    return Q.sum(dim=1), (P * P).t(), R


def indexing(x, M):
    head = x[0] * x[1:3].sum()
    rows = torch.cat([M[0], M[2] * 2.0, x[:2]])
    cols = torch.stack([M[:, 1], x[1:4]], dim=1)
    return rows * head, torch.sin(cols), M[1, ::2] / (1.0 + x[3] ** 2)


def shapes_and_views(x, A):
    e = x.unsqueeze(0).expand(3, 4)
    f = (e * A).reshape(12)
    g = A.view(3, 4, 1).squeeze(-1) + e
    h = torch.stack([x, x * 2.0]).reshape(2, 2, 2).sum(0)
    return f, g.T, h


def softmaxes(z, W):
    p = torch.softmax(W @ z, dim=0)
    q = torch.log_softmax(W, dim=1)
    return -(p * q[:, 0]).sum(), torch.softmax(q, dim=0)[:, 1]


def spiking_layer(u, W, s):
    v = 0.9 * u + W @ s
    spikes = SurrogateSpike.apply(v - 0.5)
    return v * (1.0 - spikes), (spikes * v).sum()


def where_constant(x, y):
    mask = torch.tensor([True, False, True, False])
    return torch.where(mask, torch.exp(x), y * x), torch.where(mask, 1.0, y).sum()


def more_elementwise(x, y):
    a = F.gelu(x) + F.elu(y) + F.softplus(x) + F.leaky_relu(y, 0.1) + F.silu(x * y)
    b = torch.clamp(x, -0.5, 0.5) * torch.atan2(y, 1.0 + x * x) + torch.exp2(x) - torch.expm1(y)
    c = torch.log2(1.0 + x * x) + torch.log10(2.0 + y * y) + torch.erfc(x) + torch.asinh(y)
    d = torch.acosh(2.0 + x * x) + torch.atanh(torch.tanh(y) * 0.5) + torch.reciprocal(2.0 + x * x) + torch.square(y)
    return a * b, c - d + torch.clamp_min(x, 0.1) * torch.clamp_max(y, 0.2)


def shared_operands(x):
    y = x * x + x / (x * x + 1.0)
    return y, y.sum(), x


@dataclass(frozen=True)
class Case:
    """A function and a maker of inputs for it."""

    name: str
    fn: Callable
    shapes: tuple[tuple[int, ...], ...]

    def inputs(self, seed: int) -> tuple[torch.Tensor, ...]:
        generator = torch.Generator().manual_seed(seed)
        return tuple(torch.randn(shape, generator=generator, dtype=F64) * 0.8 for shape in self.shapes)


CASES = [
    Case("scalar_unary", scalar_unary, ((), ())),
    Case("scalar_binary", scalar_binary, ((), (), ())),
    Case("vector_elementwise", vector_elementwise, ((5,), (5,))),
    Case("matrix_broadcasting", matrix_broadcasting, ((3, 4), (4,), ())),
    Case("reductions", reductions, ((3, 4),)),
    Case("matmuls", matmuls, ((3, 3), (3,), (3,), (2, 3, 3), (2, 3, 2))),
    Case("transposes", transposes, ((3, 4), (3, 4))),
    Case("indexing", indexing, ((4,), (3, 2))),
    Case("shapes_and_views", shapes_and_views, ((4,), (3, 4))),
    Case("softmaxes", softmaxes, ((3,), (4, 3))),
    Case("spiking_layer", spiking_layer, ((4,), (4, 3), (3,))),
    Case("where_constant", where_constant, ((4,), (4,))),
    Case("more_elementwise", more_elementwise, ((4,), (4,))),
    Case("shared_operands", shared_operands, ((3,),)),
]
