"""Clause tests for the distributions of uniform_, normal_, trunc_normal_, xavier_* and kaiming_*.

Each example seeds a generator from a hypothesis-drawn integer, fills one tensor again and again until
it holds enough draws, and checks them against the documented law: the bounds exactly, and mean, spread
and shape at once by a Kolmogorov-Smirnov check whose false-alarm rate is bounded (see
suites/support/init_stats.py). A candidate whose random stream differs from torch's passes as long as its
draws follow the law. The law's parameters (gain, fans) are the oracle's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.init_cases import (
    NONLINEARITIES,
    TRANSPOSED,
    collect,
    seeded,
    seeds,
    shapes,
    weight_shapes,
)
from suites.support.init_stats import Law, check_law, normal, truncated_normal, uniform

# shapes of any rank with at least 64 elements, so that a few hundred calls give the sample
SAMPLE_SHAPES = shapes(0, 4, max_side=24).filter(lambda s: 64 <= math.prod(s) <= 4096) | st.just((64,))


def draw_options(data: st.DataObject, **strategies: st.SearchStrategy[Any]) -> dict[str, Any]:
    """Each option either left out (the default applies) or drawn."""
    return data.draw(st.fixed_dictionaries({}, optional=strategies), "options")


def fill_and_check(
    cand: Any, init: Any, name: str, shape: tuple[int, ...], options: dict[str, Any], seed: int, law: Law
) -> None:
    kwargs = {**options, **seeded(cand, seed)}
    what = (
        f"{name}(tensor of shape {shape}, {', '.join(f'{k}={v!r}' for k, v in options.items())}) seed {seed}"
    )
    samples = collect(cand, lambda t: getattr(init, name)(t, **kwargs), shape, what)
    check_law(samples, law, what)


@pytest.mark.clause("INIT-UNIFORM")
@given(data=st.data(), shape=SAMPLE_SHAPES, seed=seeds())
def test_uniform(nn: Any, cand: Any, data: st.DataObject, shape: tuple[int, ...], seed: int) -> None:
    options = draw_options(data, a=st.floats(-5, 0.5, allow_subnormal=False), b=st.floats(0.75, 5))
    law = uniform(options.get("a", 0.0), options.get("b", 1.0))
    fill_and_check(cand, nn.init, "uniform_", shape, options, seed, law)


@pytest.mark.clause("INIT-NORMAL")
@given(data=st.data(), shape=SAMPLE_SHAPES, seed=seeds())
def test_normal(nn: Any, cand: Any, data: st.DataObject, shape: tuple[int, ...], seed: int) -> None:
    options = draw_options(data, mean=st.floats(-5, 5, allow_subnormal=False), std=st.floats(0.01, 5))
    law = normal(options.get("mean", 0.0), options.get("std", 1.0))
    fill_and_check(cand, nn.init, "normal_", shape, options, seed, law)


@pytest.mark.clause("INIT-TRUNC-NORMAL")
@given(data=st.data(), shape=SAMPLE_SHAPES, seed=seeds())
def test_trunc_normal(nn: Any, cand: Any, data: st.DataObject, shape: tuple[int, ...], seed: int) -> None:
    if data.draw(st.booleans(), "defaults"):
        options: dict[str, Any] = {}
        law = truncated_normal(0.0, 1.0, -2.0, 2.0)
    else:
        mean = data.draw(st.floats(-2, 2, allow_subnormal=False), "mean")
        std = data.draw(st.floats(0.1, 3), "std")
        # a = mean + za * std, b = a + width * std; za <= 2 and za + width >= -2 keep mean within 2 std of
        # [a, b] (no warning), narrow widths hold little of the normal's mass
        za = data.draw(st.floats(-4, 2, allow_subnormal=False), "a in std from mean")
        width = data.draw(st.floats(max(0.05, -2 - za), 6, allow_subnormal=False), "width in std")
        a, b = mean + za * std, mean + (za + width) * std
        options = {"mean": mean, "std": std, "a": a, "b": b}
        law = truncated_normal(mean, std, a, b)
    fill_and_check(cand, nn.init, "trunc_normal_", shape, options, seed, law)


def fans(oracle_cand: Any, cand: Any, shape: tuple[int, ...]) -> tuple[int, int]:
    """The oracle's (fan_in, fan_out) for a weight of ``shape``."""
    return tuple(oracle_cand.nn.init._calculate_fan_in_and_fan_out(oracle_cand.tensor(np.zeros(shape))))


@pytest.mark.clause("INIT-XAVIER-UNIFORM")
@given(data=st.data(), shape=weight_shapes(), seed=seeds())
def test_xavier_uniform(
    nn: Any, cand: Any, oracle_cand: Any, data: st.DataObject, shape: tuple[int, ...], seed: int
) -> None:
    options = draw_options(data, gain=st.floats(0.1, 4))
    fan_in, fan_out = fans(oracle_cand, cand, shape)
    bound = options.get("gain", 1.0) * math.sqrt(6.0 / (fan_in + fan_out))
    fill_and_check(cand, nn.init, "xavier_uniform_", shape, options, seed, uniform(-bound, bound))


@pytest.mark.clause("INIT-XAVIER-NORMAL")
@given(data=st.data(), shape=weight_shapes(), seed=seeds())
def test_xavier_normal(
    nn: Any, cand: Any, oracle_cand: Any, data: st.DataObject, shape: tuple[int, ...], seed: int
) -> None:
    options = draw_options(data, gain=st.floats(0.1, 4))
    fan_in, fan_out = fans(oracle_cand, cand, shape)
    std = options.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    fill_and_check(cand, nn.init, "xavier_normal_", shape, options, seed, normal(0.0, std))


KAIMING_OPTIONS = {
    "a": st.floats(0, 3, allow_subnormal=False) | st.integers(0, 2),
    "mode": st.sampled_from(["fan_in", "fan_out"]),
    "nonlinearity": st.sampled_from(NONLINEARITIES + TRANSPOSED),
}


def kaiming_std(oracle_cand: Any, cand: Any, shape: tuple[int, ...], options: dict[str, Any]) -> float:
    """gain / sqrt(fan), with the oracle's gain and fans and torch's defaults for missing options."""
    fan_in, fan_out = fans(oracle_cand, cand, shape)
    fan = fan_out if options.get("mode", "fan_in") == "fan_out" else fan_in
    gain = oracle_cand.nn.init.calculate_gain(options.get("nonlinearity", "leaky_relu"), options.get("a", 0))
    return gain / math.sqrt(fan)


@pytest.mark.clause("INIT-KAIMING-UNIFORM")
@given(data=st.data(), shape=weight_shapes(), seed=seeds())
def test_kaiming_uniform(
    nn: Any, cand: Any, oracle_cand: Any, data: st.DataObject, shape: tuple[int, ...], seed: int
) -> None:
    options = draw_options(data, **KAIMING_OPTIONS)
    bound = math.sqrt(3.0) * kaiming_std(oracle_cand, cand, shape, options)
    fill_and_check(cand, nn.init, "kaiming_uniform_", shape, options, seed, uniform(-bound, bound))


@pytest.mark.clause("INIT-KAIMING-NORMAL")
@given(data=st.data(), shape=weight_shapes(), seed=seeds())
def test_kaiming_normal(
    nn: Any, cand: Any, oracle_cand: Any, data: st.DataObject, shape: tuple[int, ...], seed: int
) -> None:
    options = draw_options(data, **KAIMING_OPTIONS)
    std = kaiming_std(oracle_cand, cand, shape, options)
    fill_and_check(cand, nn.init, "kaiming_normal_", shape, options, seed, normal(0.0, std))


@pytest.mark.clause("INIT-KAIMING-MODE")
@given(
    data=st.data(),
    shape=weight_shapes(),
    seed=seeds(),
    name=st.sampled_from(["kaiming_uniform_", "kaiming_normal_"]),
)
def test_kaiming_mode_picks_the_fan(
    nn: Any, cand: Any, oracle_cand: Any, data: st.DataObject, shape: tuple[int, ...], seed: int, name: str
) -> None:
    """The mode alone (given or left to its default), with the default nonlinearity: the tests of each
    distribution draw the nonlinearity too, and a refused one is theirs to report, not the mode's."""
    options = draw_options(data, mode=KAIMING_OPTIONS["mode"])
    std = kaiming_std(oracle_cand, cand, shape, options)
    law = (
        normal(0.0, std)
        if name == "kaiming_normal_"
        else uniform(-math.sqrt(3.0) * std, math.sqrt(3.0) * std)
    )
    fill_and_check(cand, nn.init, name, shape, options, seed, law)
