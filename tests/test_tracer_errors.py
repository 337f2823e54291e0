"""The tracer refuses what it cannot represent, naming the operator and the line."""

import pytest
import torch

import ccgym
from ccgym import UnsupportedOperatorError

X = torch.randn(4, dtype=torch.float64)


def cumulative(x):
    return torch.cumsum(x, 0) * 2.0  # the offending line


class NotElementwise(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x.flip(0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        return grad.flip(0)


def test_unsupported_operator_names_operator_and_line():
    with pytest.raises(UnsupportedOperatorError, match=r"aten\.cumsum.*test_tracer_errors\.py:\d+: return torch\.cumsum"):
        ccgym.trace(cumulative, X)


def test_comparison_of_a_traced_value_has_no_derivative():
    with pytest.raises(UnsupportedOperatorError, match=r"aten\.gt.*no derivative"):
        ccgym.trace(lambda x: torch.where(x > 0, x, 2 * x), X)


def test_non_elementwise_autograd_function_is_refused():
    with pytest.raises(UnsupportedOperatorError, match="diagonal Jacobian"):
        ccgym.trace(lambda x: NotElementwise.apply(x) * 2.0, X)


def test_autograd_function_of_two_tensors_is_refused():
    class Two(torch.autograd.Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

    with pytest.raises(UnsupportedOperatorError, match="exactly one tensor"):
        ccgym.trace(lambda x: Two.apply(x, x), X)


def test_autograd_function_apply_is_restored_after_a_failed_trace():
    original = torch.autograd.Function.__dict__["apply"]
    with pytest.raises(UnsupportedOperatorError):
        ccgym.trace(lambda x: NotElementwise.apply(x), X)
    assert torch.autograd.Function.__dict__["apply"] is original


@pytest.mark.parametrize(
    ("inputs", "error", "message"),
    [
        ((), ValueError, "at least one example input"),
        ((torch.ones(3, dtype=torch.int64),), TypeError, "floating-point tensor"),
        (([1.0, 2.0],), TypeError, "floating-point tensor"),
        ((torch.ones(1, 1, 1, 1, 1, dtype=torch.float64),), ValueError, "at most 4"),
    ],
    ids=["none", "integer", "list", "five-dims"],
)
def test_bad_inputs(inputs, error, message):
    with pytest.raises(error, match=message):
        ccgym.trace(lambda *xs: xs[0] * 2.0, *inputs)


def test_bad_return_type():
    with pytest.raises(TypeError, match="return a tensor or a tuple"):
        ccgym.trace(lambda x: {"y": x * 2.0}, X)


def test_constants_are_folded_and_unused_inputs_kept():
    def f(x, unused):
        c = torch.exp(torch.ones(4, dtype=torch.float64)) * 3.0  # constant: folded
        return torch.sin(x) * c

    g = ccgym.trace(f, X, X)
    assert g.num_inputs == 2
    assert [v.op for v in g.vertices[2:]] == ["aten.sin.default", "aten.mul.Tensor"]
    jacobian, _ = ccgym.execute(g, ccgym.forward_order(g), X, X)
    torch.testing.assert_close(jacobian[1], torch.zeros(4, 4, dtype=torch.float64))


def test_output_that_is_an_input_or_feeds_on_gets_a_copy_vertex():
    def f(x):
        y = torch.sin(x)
        return x, y, y * 2.0, y

    g = ccgym.trace(f, X)
    assert g.num_outputs == 4
    assert all(not any(e.src == o for e in g.edges) for o in range(g.num_vertices - 4, g.num_vertices))
    expected = torch.func.jacrev(f)(X)
    jacobian, _ = ccgym.execute(g, ccgym.reverse_order(g), X)
    for (block,), ref in zip(jacobian, expected):
        torch.testing.assert_close(block, ref)
