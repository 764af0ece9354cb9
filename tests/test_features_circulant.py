"""Circulant deviation (both orientations) and discrete-log reordering.

Oracles, independent of the code under test: matrices built explicitly from their defining
pattern (circulant: entry depends on m - l; Hankel: on l + m; a multiplication-type matrix: on
log_g(a) + log_g(b), the logarithm tabulated here by brute force), the closed form of the
deviation written with Python loops, and ``sympy.ntheory`` for primitive roots.
"""

from __future__ import annotations

import pytest
import sympy.ntheory as nt
import torch

from wideproof.errors import ConfigError, NumericalError
from wideproof.features import (
    circulant_deviation,
    discrete_log_order,
    discrete_log_reorder,
    primitive_root,
)

F64 = torch.float64


def pattern(p: int, rule) -> torch.Tensor:
    gen = torch.Generator().manual_seed(p)
    values = torch.randn(2 * p, generator=gen, dtype=F64)
    return torch.tensor(
        [[float(values[rule(i, j)]) for j in range(p)] for i in range(p)], dtype=F64
    )


def loop_deviation(a: torch.Tensor, sign: int) -> float:
    p = a.shape[0]
    total = 0.0
    for k in range(p):
        col = [float(a[ell, (k + sign * ell) % p]) for ell in range(p)]
        mean = sum(col) / p
        total += sum((v - mean) ** 2 for v in col)
    return total / float((a * a).sum())


@pytest.mark.parametrize("p", [5, 7, 23])
def test_circulant_and_hankel_blocks(p):
    circ = pattern(p, lambda i, j: (j - i) % p)
    hank = pattern(p, lambda i, j: (i + j) % p)
    assert circulant_deviation(circ, shift="left") < 1e-28
    assert circulant_deviation(hank, shift="right") < 1e-28
    assert circulant_deviation(circ, shift="right") > 0.3
    assert circulant_deviation(hank, shift="left") > 0.3
    rand = torch.randn(p, p, generator=torch.Generator().manual_seed(1), dtype=F64)
    for shift, sign in (("left", 1), ("right", -1)):
        got = circulant_deviation(rand, shift=shift)
        assert got == pytest.approx(loop_deviation(rand, sign), rel=1e-12)
        assert 0 < got <= 1
        assert circulant_deviation(-7.5 * rand, shift=shift) == pytest.approx(got, rel=1e-12)


def test_deviation_errors():
    with pytest.raises(NumericalError):
        circulant_deviation(torch.zeros(3, 3, dtype=F64), shift="left")
    with pytest.raises(ConfigError, match="shift"):
        circulant_deviation(torch.eye(3, dtype=F64), shift="up")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="square"):
        circulant_deviation(torch.ones(2, 3, dtype=F64), shift="left")


@pytest.mark.parametrize("p", [5, 7, 11, 13, 59, 61, 97])
def test_primitive_root_matches_sympy(p):
    assert primitive_root(p) == nt.primitive_root(p)
    assert primitive_root(59) == 2 and primitive_root(61) == 2 and primitive_root(97) == 5


@pytest.mark.parametrize("p", [7, 11, 13])
def test_discrete_log_reorder_makes_multiplication_circulant(p):
    g = primitive_root(p)
    log = {pow(g, k, p): k for k in range(p - 1)}  # brute-force discrete log
    gen = torch.Generator().manual_seed(0)
    values = torch.randn(p - 1, generator=gen, dtype=F64)
    block = torch.zeros(p, p, dtype=F64)
    for a in range(1, p):
        for b in range(1, p):
            block[a, b] = values[(log[a] + log[b]) % (p - 1)]  # depends on a * b only
    full = torch.zeros(2 * p, 2 * p, dtype=F64)
    full[p:, :p] = block
    full[:p, p:] = block.T
    reordered = discrete_log_reorder(full, p)
    sub = reordered[p + 1 :, 1:p]  # the nonzero residues of the bottom-left block
    assert circulant_deviation(sub, shift="right") < 1e-28  # log a + log b: Hankel in log order
    assert circulant_deviation(block[1:, 1:], shift="right") > 0.1  # not before reordering
    # Lemma J.1: the structure does not depend on the generator
    others = [h for h in range(2, p) if h != g and nt.is_primitive_root(h, p)]
    for h in others:
        sub_h = discrete_log_reorder(block, p, generator=h)[1:, 1:]
        assert circulant_deviation(sub_h, shift="right") < 1e-28
    # entries depending on a / b only (log a - log b) are circulant in log order
    div = torch.zeros(p, p, dtype=F64)
    for a in range(1, p):
        for b in range(1, p):
            div[a, b] = values[(log[b] - log[a]) % (p - 1)]
    assert circulant_deviation(discrete_log_reorder(div, p)[1:, 1:], shift="left") < 1e-28


def test_discrete_log_order_and_errors():
    assert discrete_log_order(7).tolist() == [0, 1, 3, 2, 6, 4, 5]  # powers of 3 mod 7
    with pytest.raises(ConfigError, match="generate"):
        discrete_log_order(7, generator=2)  # 2 has order 3 mod 7
    with pytest.raises(ConfigError, match="prime"):
        primitive_root(9)
    with pytest.raises(ConfigError, match="multiple"):
        discrete_log_reorder(torch.eye(8, dtype=F64), 7)
