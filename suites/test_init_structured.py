"""Clause tests for orthogonal_ and sparse_: exact structure (orthonormality, zeros per column), the
error on unsupported shapes, and the law of sparse_'s non-zero values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.init_cases import DTYPES, fresh, seeded, seeds, shapes
from suites.support.init_stats import ALPHA, check_law, normal
from suites.support.naming import check_raises

ORTHO_TOLERANCE = {"float32": 1e-4, "float64": 1e-10}


def flattened(cand: Any, t: Any) -> np.ndarray:
    values = cand.to_numpy(t).astype(np.float64)
    return values.reshape(values.shape[0], -1)


@pytest.mark.clause("INIT-ORTHOGONAL")
@given(
    data=st.data(),
    shape=shapes(2, 4, max_side=40).filter(lambda s: math.prod(s) <= 4096),
    dtype=st.sampled_from(DTYPES),
    seed=seeds(),
)
def test_orthogonal(
    nn: Any, cand: Any, data: st.DataObject, shape: tuple[int, ...], dtype: str, seed: int
) -> None:
    options = data.draw(st.fixed_dictionaries({}, optional={"gain": st.floats(0.1, 4)}), "options")
    gain = options.get("gain", 1.0)
    t = fresh(cand, shape, dtype)
    nn.init.orthogonal_(t, **options, **seeded(cand, seed))  # the return value: INIT-INPLACE-RETURN
    call = f"orthogonal_(tensor of shape {shape}, dtype {dtype}, {options}) seed {seed}"
    m = flattened(cand, t)
    rows, cols = m.shape
    product, kind = (m.T @ m, "M^T M") if rows >= cols else (m @ m.T, "M M^T")
    expected = gain**2 * np.eye(min(rows, cols))
    error = float(np.abs(product - expected).max())
    assert error <= ORTHO_TOLERANCE[dtype] * max(1.0, gain**2), (
        f"{call}: the flattened {rows}x{cols} matrix M has {kind} off gain**2 * I by {error:.3g} "
        f"(diagonal {np.round(np.diag(product)[:4], 6)}, expected {gain**2:.6g})"
    )


# draws per example for the sign test; each diagonal position is a fair coin over the draws
SIGN_DRAWS = 80


def binomial_two_sided(k: int, n: int) -> float:
    """P(|X - n/2| >= |k - n/2|) for X ~ Binomial(n, 1/2)."""
    distance = abs(k - n / 2)
    tail = sum(math.comb(n, j) for j in range(n + 1) if abs(j - n / 2) >= distance)
    return min(1.0, tail / 2**n)


@pytest.mark.clause("INIT-ORTHOGONAL-SIGNS")
@given(shape=shapes(2, 3, max_side=6), seed=seeds())
def test_orthogonal_signs_are_unbiased(nn: Any, cand: Any, shape: tuple[int, ...], seed: int) -> None:
    """Over repeated draws from one seeded generator, every diagonal entry of the flattening is as often
    negative as positive (a binomial test per position; its false-alarm rate is below ALPHA per position)."""
    kwargs = seeded(cand, seed)
    diagonals = []
    for _ in range(SIGN_DRAWS):
        t = fresh(cand, shape, "float64")
        nn.init.orthogonal_(t, **kwargs)
        diagonals.append(np.diag(flattened(cand, t)))
    negatives = (np.array(diagonals) < 0).sum(axis=0)
    for position, k in enumerate(negatives.tolist()):
        p = binomial_two_sided(k, SIGN_DRAWS)
        assert p >= ALPHA, (
            f"orthogonal_(tensor of shape {shape}) seed {seed}: M[{position}, {position}] was negative in "
            f"{k} of {SIGN_DRAWS} draws (two-sided binomial p = {p:.2g}); its sign must be a fair coin"
        )


@pytest.mark.clause("INIT-ORTHOGONAL-LOW-DIM")
@given(shape=shapes(0, 1, max_side=8))
def test_orthogonal_low_dim(nn: Any, cand: Any, shape: tuple[int, ...]) -> None:
    check_raises(
        ValueError, lambda: nn.init.orthogonal_(fresh(cand, shape)), f"orthogonal_(tensor of shape {shape})"
    )


# draws of N(0, std**2) gathered from the non-zero entries before the fit is checked; examples with fewer
# non-zero entries (sparsity near 1, small matrices) check the structure and the bounds-free fit is skipped
SPARSE_FIT_MIN = 2000
SPARSE_MAX_CALLS = 60


@pytest.mark.clause("INIT-SPARSE")
@given(
    data=st.data(),
    shape=shapes(2, 2, max_side=40),
    sparsity=st.floats(0, 1, allow_subnormal=False) | st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]),
    seed=seeds(),
)
def test_sparse(
    nn: Any, cand: Any, data: st.DataObject, shape: tuple[int, ...], sparsity: float, seed: int
) -> None:
    options = data.draw(st.fixed_dictionaries({}, optional={"std": st.floats(0.001, 3)}), "options")
    std = options.get("std", 0.01)
    rows = shape[0]
    zeros = math.ceil(sparsity * rows)
    cand.manual_seed(seed)  # sparse_ picks the zeroed rows from the global generator
    kwargs = {**options, **seeded(cand, seed)}
    call = f"sparse_(tensor of shape {shape}, sparsity={sparsity!r}, {options}) seed {seed}"
    t = fresh(cand, shape)
    values: list[np.ndarray] = []
    for _ in range(SPARSE_MAX_CALLS):
        nn.init.sparse_(t, sparsity, **kwargs)  # the return value: INIT-INPLACE-RETURN
        m = cand.to_numpy(t).astype(np.float64)
        per_column = (m == 0).sum(axis=0)
        assert (per_column == zeros).all(), (
            f"{call}: zeros per column {per_column.tolist()}, expected ceil(sparsity * rows) = {zeros}"
        )
        values.append(m[m != 0])
        if sum(v.size for v in values) >= SPARSE_FIT_MIN or zeros == rows:
            break
    nonzero = np.concatenate(values)
    if nonzero.size >= SPARSE_FIT_MIN:
        check_law(nonzero, normal(0.0, std), f"{call}: the non-zero values")


@pytest.mark.clause("INIT-SPARSE-NOT-2D")
@given(
    shape=shapes(0, 5, max_side=4).filter(lambda s: len(s) != 2),
    sparsity=st.floats(0, 1, allow_subnormal=False),
)
def test_sparse_not_2d(nn: Any, cand: Any, shape: tuple[int, ...], sparsity: float) -> None:
    check_raises(
        ValueError,
        lambda: nn.init.sparse_(fresh(cand, shape), sparsity),
        f"sparse_(tensor of shape {shape}, {sparsity})",
    )


@pytest.mark.clause("INIT-ORTHOGONAL-NONCONTIGUOUS")
@given(shape=shapes(3, 4, max_side=4).filter(lambda s: s[-1] != s[-2] and s[-1] > 1 and s[-2] > 1))
def test_orthogonal_refuses_non_contiguous_kernels(nn: Any, cand: Any, shape: tuple[int, ...]) -> None:
    base = fresh(cand, shape)
    check_raises(
        RuntimeError,
        lambda: nn.init.orthogonal_(cand.swap_last_dims(base)),
        f"orthogonal_(a transposed view of a tensor of shape {shape})",
    )
