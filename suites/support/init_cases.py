"""Strategies and helpers shared by the nn.init suites: shapes, seeds, fresh tensors, repeated draws,
and one table of every initializer with the shapes and options it accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from suites.support.init_stats import SAMPLES

NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu")
TRANSPOSED = ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
GAIN_ONE = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid")
DTYPES = ("float32", "float64")


def seeds() -> st.SearchStrategy[int]:
    """Generator seeds: drawn by hypothesis, so ``--hypothesis-seed`` (or the ci profile) fixes them."""
    return st.integers(0, 2**32 - 1)


def shapes(min_dims: int = 0, max_dims: int = 4, max_side: int = 6) -> st.SearchStrategy[tuple[int, ...]]:
    return st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


def weight_shapes(min_dims: int = 2, max_dims: int = 5) -> st.SearchStrategy[tuple[int, ...]]:
    """Weight shapes (out, in, *kernel) whose dimensions vary enough that fan_in and fan_out differ
    often, at 16 to ~4000 elements (small enough to draw fast, big enough not to need thousands of calls)."""
    sides = st.tuples(st.integers(1, 48), st.integers(1, 48))
    kernels = st.lists(st.integers(1, 5), min_size=min_dims - 2, max_size=max_dims - 2)
    return (
        st.tuples(sides, kernels).map(lambda p: (*p[0], *p[1])).filter(lambda s: 16 <= math.prod(s) <= 4096)
    )


def seeded(cand: Any, seed: int) -> dict[str, Any]:
    """``generator=`` keyword arguments drawing from a generator seeded with ``seed``; a candidate
    without generator support gets its global generator seeded instead."""
    if "init_generator" in cand.lacks:
        cand.manual_seed(seed)
        return {}
    return {"generator": cand.generator(seed)}


def fresh(cand: Any, shape: tuple[int, ...], dtype: str = "float32", requires_grad: bool = False) -> Any:
    """A new candidate tensor full of NaN, so that an element the initializer does not write shows."""
    return cand.tensor(np.full(shape, np.nan), dtype=dtype, requires_grad=requires_grad)


def collect(
    cand: Any, call: Callable[[Any], Any], shape: tuple[int, ...], what: str, n: int = SAMPLES
) -> np.ndarray:
    """Call ``call(t)`` on one tensor of ``shape`` until ``n`` values were drawn; the values ``t`` holds after
    each call, flattened and concatenated. What the call returns is not looked at: INIT-INPLACE-RETURN
    judges that, so that a wrong return value does not also fail every clause about the values."""
    t = fresh(cand, shape)
    size = max(math.prod(shape), 1)
    out = []
    for _ in range(math.ceil(n / size)):
        call(t)
        out.append(cand.to_numpy(t).astype(np.float64).ravel())
    return np.concatenate(out)


@dataclass(frozen=True)
class Case:
    """One initializer: the shapes it accepts, its options for a shape, whether it draws at random."""

    name: str
    shapes: st.SearchStrategy[tuple[int, ...]]
    options: Callable[[tuple[int, ...]], st.SearchStrategy[dict[str, Any]]]
    random: bool


def _none(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.just({})


def _fixed(
    **strategies: st.SearchStrategy[Any],
) -> Callable[[tuple[int, ...]], st.SearchStrategy[dict[str, Any]]]:
    return lambda shape: st.fixed_dictionaries({}, optional=strategies)


def _dirac_options(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    divisors = [g for g in range(1, shape[0] + 1) if shape[0] % g == 0]
    return st.fixed_dictionaries({}, optional={"groups": st.sampled_from(divisors)})


def _trunc_normal_options(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Either mean and std over the default [-2, 2], or explicit bounds a = mean + za * std and
    b = a + width * std with the mean within 2 std of [a, b] (no warning). Widths up to 0.7 std hold at
    most 28% of the normal's mass, which torch 2.13 samples by a different method than wide intervals."""

    def bounded(mean: float, std: float, za: float, width: float) -> dict[str, Any]:
        return {"mean": mean, "std": std, "a": mean + za * std, "b": mean + (za + width) * std}

    return st.one_of(
        _fixed(mean=st.floats(-0.5, 0.5, allow_subnormal=False), std=SCALES)(shape),
        st.builds(
            bounded,
            st.floats(-0.5, 0.5, allow_subnormal=False),
            SCALES,
            st.floats(-2, 2, allow_subnormal=False),
            st.floats(0.05, 0.7),
        ),
        st.builds(
            bounded,
            st.floats(-0.5, 0.5, allow_subnormal=False),
            SCALES,
            st.floats(-2, 2, allow_subnormal=False),
            st.floats(0.7, 5),
        ),
    )


def _small_weights(min_dims: int = 2, max_dims: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    return shapes(min_dims, max_dims, max_side=5)


SCALES = st.floats(0.1, 3.0)
CASES: dict[str, Case] = {
    c.name: c
    for c in (
        Case("uniform_", shapes(), _fixed(a=st.floats(-3, -0.5), b=st.floats(0.5, 3)), True),
        Case("normal_", shapes(), _fixed(mean=st.floats(-2, 2, allow_subnormal=False), std=SCALES), True),
        Case("trunc_normal_", shapes(), _trunc_normal_options, True),
        Case(
            "constant_",
            shapes(),
            lambda s: st.fixed_dictionaries({"val": st.floats(-5, 5, allow_subnormal=False)}),
            False,
        ),
        Case("ones_", shapes(), _none, False),
        Case("zeros_", shapes(), _none, False),
        Case("eye_", shapes(2, 2), _none, False),
        Case("dirac_", shapes(3, 5, max_side=4), _dirac_options, False),
        Case("xavier_uniform_", _small_weights(), _fixed(gain=SCALES), True),
        Case("xavier_normal_", _small_weights(), _fixed(gain=SCALES), True),
        Case(
            "kaiming_uniform_",
            _small_weights(),
            _fixed(a=st.floats(0, 1, allow_subnormal=False), mode=st.sampled_from(["fan_in", "fan_out"])),
            True,
        ),
        Case(
            "kaiming_normal_",
            _small_weights(),
            _fixed(a=st.floats(0, 1, allow_subnormal=False), mode=st.sampled_from(["fan_in", "fan_out"])),
            True,
        ),
        Case("orthogonal_", _small_weights(), _fixed(gain=SCALES), True),
        Case(
            "sparse_",
            shapes(2, 2),
            lambda s: st.fixed_dictionaries(
                {"sparsity": st.floats(0, 1, allow_subnormal=False)}, optional={"std": SCALES}
            ),
            True,
        ),
    )
}
RANDOM_CASES = tuple(name for name, c in CASES.items() if c.random)


def call_text(name: str, shape: tuple[int, ...], options: dict[str, Any]) -> str:
    args = "".join(f", {k}={v!r}" for k, v in options.items())
    return f"nn.init.{name}(tensor of shape {shape}{args})"
