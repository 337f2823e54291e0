"""Seed 003's worked example, counted by hand.

f(x1, x2) = (log sin x1x2, x1x2 + sin x1x2) with the tape
v1 = x1 * x2, v2 = sin v1, v3 = log v2 (output), v4 = v1 + v2 (output).
Every vertex is a scalar, so eliminating v costs |pred(v)| * |succ(v)|.
"""

import torch

import ccgym


def f(x1, x2):
    v1 = x1 * x2
    v2 = torch.sin(v1)
    return torch.log(v2), v1 + v2


X1 = torch.tensor(0.7, dtype=torch.float64)
X2 = torch.tensor(1.3, dtype=torch.float64)


def test_graph_is_the_tape():
    g = ccgym.trace(f, X1, X2)
    assert (g.num_inputs, g.num_intermediates, g.num_outputs) == (2, 2, 2)
    names = [(v.name, v.kind) for v in g.vertices]
    assert names[:2] == [("x1", "input"), ("x2", "input")]
    edges = {(g.vertices[e.src].op, g.vertices[e.dst].op) for e in g.edges}
    assert len(g.edges) == 6  # x1->v1, x2->v1, v1->v2, v2->v3, v1->v4, v2->v4
    assert ("aten.sin.default", "aten.log.default") in edges


def test_hand_counted_costs():
    g = ccgym.trace(f, X1, X2)
    # Forward: v1 has preds {x1, x2}, succs {v2, v4}: 4. Then v2 has preds {x1, x2}, succs {v3, v4}: 4.
    assert ccgym.cost(g, ccgym.forward_order(g)).mults == 8
    # Reverse: v2 has preds {v1}, succs {v3, v4}: 2. Then v1 has preds {x1, x2}, succs {v3, v4}: 4.
    assert ccgym.cost(g, ccgym.reverse_order(g)).mults == 6
    # Six scalar edges at the start; no state has more.
    assert ccgym.cost(g, ccgym.forward_order(g)).peak_memory == 6
    assert ccgym.cost(g, ccgym.reverse_order(g)).peak_memory == 6


def test_jacobian_by_hand():
    g = ccgym.trace(f, X1, X2)
    v1 = X1 * X2
    c = torch.cos(v1) / torch.sin(v1)  # d log sin v1 / d v1
    e = 1.0 + torch.cos(v1)  # d (v1 + sin v1) / d v1
    jacobian, mults = ccgym.execute(g, ccgym.reverse_order(g), X1, X2)
    torch.testing.assert_close(jacobian[0][0], c * X2)
    torch.testing.assert_close(jacobian[0][1], c * X1)
    torch.testing.assert_close(jacobian[1][0], e * X2)
    torch.testing.assert_close(jacobian[1][1], e * X1)
    assert mults == 6
