"""Task generators: shapes, labels, determinism by seed, argument errors.

Oracles, independent of the code under test: labels recomputed with Python integer arithmetic
(``pow(b, -1, p)`` for division), Hermite polynomials from ``numpy.polynomial.hermite_e``,
influences by brute-force enumeration of the hypercube, orthonormality by direct products.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from wideproof.errors import ConfigError
from wideproof.features import (
    MultiIndexTask,
    hermite,
    modular_arithmetic,
    random_orthonormal_rows,
    sample_inputs,
    sparse_polynomial,
)

F64 = torch.float64
PY_OPS = {
    "add": lambda a, b, p: (a + b) % p,
    "sub": lambda a, b, p: (a - b) % p,
    "mul": lambda a, b, p: (a * b) % p,
    "div": lambda a, b, p: (a * pow(b, -1, p)) % p,
}


@pytest.mark.parametrize("op", list(PY_OPS))
def test_modular_dataset(op):
    p = 7
    data = modular_arithmetic(p, op, train_fraction=0.5, seed=3)
    n_pairs = p * (p - 1) if op == "div" else p * p
    assert data.inputs.shape == (n_pairs, 2 * p) and data.targets.shape == (n_pairs, p)
    assert data.inputs.dtype == F64
    for (a, b), label, x, y in zip(
        data.operands.tolist(), data.labels.tolist(), data.inputs, data.targets, strict=True
    ):
        assert label == PY_OPS[op](a, b, p)
        assert x[a] == 1 and x[p + b] == 1 and float(x.sum()) == 2
        assert y[label] == 1 and float(y.sum()) == 1
    assert data.x_train.shape[0] == int(0.5 * n_pairs)
    both = torch.cat([data.train_index, data.test_index]).sort().values
    assert torch.equal(both, torch.arange(n_pairs))
    again = modular_arithmetic(p, op, train_fraction=0.5, seed=3)
    other = modular_arithmetic(p, op, train_fraction=0.5, seed=4)
    assert torch.equal(again.train_index, data.train_index)
    assert not torch.equal(other.train_index, data.train_index)


def test_modular_full_split_and_errors():
    full = modular_arithmetic(5, "add", train_fraction=1.0)
    assert full.x_train.shape == (25, 10) and full.x_test.shape == (0, 10)
    with pytest.raises(ConfigError, match="prime"):
        modular_arithmetic(9, "div", train_fraction=0.5)
    with pytest.raises(ConfigError, match="prime"):
        modular_arithmetic(1, "add", train_fraction=0.5)
    for bad in (0.0, 1.5, -0.1, float("nan")):
        with pytest.raises(ConfigError, match="train_fraction"):
            modular_arithmetic(7, "add", train_fraction=bad)
    with pytest.raises(ConfigError, match="train_fraction"):
        modular_arithmetic(3, "add", train_fraction=0.05)  # no training pair
    with pytest.raises(ConfigError, match="op"):
        modular_arithmetic(7, "pow", train_fraction=0.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="seed"):
        modular_arithmetic(7, "add", train_fraction=0.5, seed=-1)


def test_hermite_matches_numpy():
    t = torch.linspace(-3, 3, 13, dtype=F64)
    for k in range(6):
        coef = np.zeros(k + 1)
        coef[k] = 1.0
        want = np.polynomial.hermite_e.hermeval(t.numpy(), coef)
        np.testing.assert_allclose(hermite(k, t).numpy(), want, rtol=1e-13, atol=1e-12)


def test_inputs_and_multi_index_task():
    gen = torch.Generator().manual_seed(0)
    cube = sample_inputs(200, 6, "hypercube", gen)
    assert cube.shape == (200, 6) and set(cube.unique().tolist()) == {-1.0, 1.0}
    u = random_orthonormal_rows(3, 10, seed=1)
    torch.testing.assert_close(u @ u.T, torch.eye(3, dtype=F64), rtol=0, atol=1e-14)
    assert torch.equal(u, random_orthonormal_rows(3, 10, seed=1))
    task = MultiIndexTask(u, lambda z: z[:, 0] * z[:, 1] + z[:, 2], "gaussian")
    x, y = task.sample(50, torch.Generator().manual_seed(2))
    z = x @ u.T
    torch.testing.assert_close(y, z[:, 0] * z[:, 1] + z[:, 2])
    x2, _ = task.sample(50, torch.Generator().manual_seed(2))
    assert torch.equal(x, x2) and x.shape == (50, 10)
    with pytest.raises(ConfigError, match="law"):
        sample_inputs(3, 2, "sphere", gen)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="r="):
        random_orthonormal_rows(4, 3, seed=0)
    with pytest.raises(ConfigError, match="link"):
        MultiIndexTask(u, lambda z: z, "gaussian")(x)


def test_sparse_polynomial():
    d = 5
    f = sparse_polynomial({(0,): 0.5, (1,): 0.5, (2, 0, 1): 0.5, (3, 4): -0.25}, d=d)
    assert f.degree == 3 and f.variance == pytest.approx(0.8125)
    cube = torch.tensor(list(itertools.product([-1.0, 1.0], repeat=d)), dtype=F64)
    values = f(cube)
    want = 0.5 * cube[:, 0] + 0.5 * cube[:, 1] + 0.5 * cube[:, 0] * cube[:, 1] * cube[:, 2]
    want = want - 0.25 * cube[:, 3] * cube[:, 4]
    torch.testing.assert_close(values, want)
    # Inf_j = E[(D_j f)^2] with the discrete derivative D_j f = (f(x^{j->1}) - f(x^{j->-1}))/2
    for j in range(d):
        up, down = cube.clone(), cube.clone()
        up[:, j], down[:, j] = 1.0, -1.0
        inf = float((((f(up) - f(down)) / 2) ** 2).mean())
        assert float(f.influences()[j]) == pytest.approx(inf, rel=1e-14)
    x, y = f.sample(30, torch.Generator().manual_seed(0))
    assert x.shape == (30, d) and torch.equal(y, f(x))
    for bad in ({(5,): 1.0}, {(1, 1): 1.0}, {}):
        with pytest.raises(ConfigError):
            sparse_polynomial(bad, d=d)
    with pytest.raises(ConfigError, match="twice"):
        sparse_polynomial({(0, 1): 1.0, (1, 0): 2.0}, d=d)
    with pytest.raises(ConfigError, match="coefficient"):
        sparse_polynomial({(0,): math.inf}, d=d)
