"""Clause tests for the deterministic initializers: constant_, ones_, zeros_, eye_ and dirac_.

Each result is compared with the documented structure and with the oracle's result, element by element.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.init_cases import DTYPES, fresh, shapes
from suites.support.naming import check_raises


def run(
    cand: Any, init: Any, name: str, shape: tuple[int, ...], dtype: str, *args: Any, **kwargs: Any
) -> np.ndarray:
    """The values a fresh tensor holds after the call (its return value is INIT-INPLACE-RETURN's)."""
    t = fresh(cand, shape, dtype)
    getattr(init, name)(t, *args, **kwargs)
    return cand.to_numpy(t)


def assert_same(got: np.ndarray, expected: np.ndarray, oracle: np.ndarray, call: str) -> None:
    assert got.shape == expected.shape, f"{call}: result has shape {got.shape}, expected {expected.shape}"
    diff = np.argwhere(got != expected)
    assert diff.size == 0, (
        f"{call}: {len(diff)} elements differ from the expected fill, first at index {tuple(diff[0])}: "
        f"{got[tuple(diff[0])]!r}, expected {expected[tuple(diff[0])]!r}"
    )
    assert np.array_equal(got, oracle), f"{call}: result differs from the oracle's\n{got}\noracle:\n{oracle}"


@pytest.mark.clause("INIT-CONSTANT")
@given(
    shape=shapes(),
    dtype=st.sampled_from(DTYPES),
    val=st.one_of(st.floats(-1e6, 1e6, allow_subnormal=False), st.integers(-100, 100)),
)
def test_constant(
    nn: Any, cand: Any, oracle_cand: Any, shape: tuple[int, ...], dtype: str, val: float
) -> None:
    got = run(cand, nn.init, "constant_", shape, dtype, val)
    oracle = run(oracle_cand, oracle_cand.nn.init, "constant_", shape, dtype, val)
    expected = np.full(shape, val, dtype=dtype)
    assert_same(got, expected, oracle, f"constant_(tensor of shape {shape}, dtype {dtype}, val={val!r})")


@pytest.mark.clause("INIT-ONES", "INIT-ZEROS")
@given(shape=shapes(), dtype=st.sampled_from(DTYPES), name=st.sampled_from(["ones_", "zeros_"]))
def test_ones_zeros(
    nn: Any, cand: Any, oracle_cand: Any, shape: tuple[int, ...], dtype: str, name: str
) -> None:
    got = run(cand, nn.init, name, shape, dtype)
    oracle = run(oracle_cand, oracle_cand.nn.init, name, shape, dtype)
    expected = np.full(shape, 1.0 if name == "ones_" else 0.0, dtype=dtype)
    assert_same(got, expected, oracle, f"{name}(tensor of shape {shape}, dtype {dtype})")


@pytest.mark.clause("INIT-EYE")
@given(shape=shapes(2, 2, max_side=12), dtype=st.sampled_from(DTYPES))
def test_eye(nn: Any, cand: Any, oracle_cand: Any, shape: tuple[int, ...], dtype: str) -> None:
    got = run(cand, nn.init, "eye_", shape, dtype)
    oracle = run(oracle_cand, oracle_cand.nn.init, "eye_", shape, dtype)
    assert_same(got, np.eye(*shape, dtype=dtype), oracle, f"eye_(tensor of shape {shape}, dtype {dtype})")


@pytest.mark.clause("INIT-EYE-NOT-2D")
@given(shape=shapes(0, 5, max_side=4).filter(lambda s: len(s) != 2))
def test_eye_not_2d(nn: Any, cand: Any, shape: tuple[int, ...]) -> None:
    check_raises(ValueError, lambda: nn.init.eye_(fresh(cand, shape)), f"eye_(tensor of shape {shape})")


def expected_dirac(shape: tuple[int, ...], groups: int) -> np.ndarray:
    out = np.zeros(shape)
    per_group = shape[0] // groups
    centre = tuple(k // 2 for k in shape[2:])
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            out[(g * per_group + d, d, *centre)] = 1
    return out


@pytest.mark.clause("INIT-DIRAC")
@given(shape=shapes(3, 5, max_side=5), dtype=st.sampled_from(DTYPES))
def test_dirac(nn: Any, cand: Any, oracle_cand: Any, shape: tuple[int, ...], dtype: str) -> None:
    got = run(cand, nn.init, "dirac_", shape, dtype)
    oracle = run(oracle_cand, oracle_cand.nn.init, "dirac_", shape, dtype)
    assert_same(got, expected_dirac(shape, 1).astype(dtype), oracle, f"dirac_(tensor of shape {shape})")


@pytest.mark.clause("INIT-DIRAC-GROUPS")
@given(data=st.data(), shape=shapes(3, 5, max_side=5).map(lambda s: (s[0] * 2, *s[1:])))
def test_dirac_groups(
    nn: Any, cand: Any, oracle_cand: Any, data: st.DataObject, shape: tuple[int, ...]
) -> None:
    groups = data.draw(st.sampled_from([g for g in range(1, shape[0] + 1) if shape[0] % g == 0]), "groups")
    got = run(cand, nn.init, "dirac_", shape, "float32", groups=groups)
    oracle = run(oracle_cand, oracle_cand.nn.init, "dirac_", shape, "float32", groups=groups)
    expected = expected_dirac(shape, groups).astype("float32")
    assert_same(got, expected, oracle, f"dirac_(tensor of shape {shape}, groups={groups})")


@pytest.mark.clause("INIT-DIRAC-ERRORS")
@given(data=st.data())
def test_dirac_errors(nn: Any, cand: Any, data: st.DataObject) -> None:
    bad_dims = data.draw(shapes(0, 6, max_side=3).filter(lambda s: len(s) not in (3, 4, 5)), "shape")
    check_raises(
        ValueError, lambda: nn.init.dirac_(fresh(cand, bad_dims)), f"dirac_(tensor of shape {bad_dims})"
    )
    shape = data.draw(shapes(3, 5, max_side=6), "conv shape")
    groups = data.draw(st.integers(2, 8).filter(lambda g: shape[0] % g != 0), "groups not dividing dim 0")
    t = fresh(cand, shape)
    check_raises(
        ValueError, lambda: nn.init.dirac_(t, groups), f"dirac_(tensor of shape {shape}, groups={groups})"
    )
    assert np.isnan(cand.to_numpy(t)).all() or math.prod(shape) == 0, (
        f"dirac_(tensor of shape {shape}, groups={groups}) raised but wrote into the tensor"
    )
