"""Clause tests that hold for every initializer: in-place fill and return of the same tensor, no
autograd history, the generator argument, the zero-element warning and kaiming's mode argument.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.init_cases import CASES, DTYPES, RANDOM_CASES, call_text, fresh, seeded, seeds, shapes
from suites.support.naming import check_raises


def draw_case(data: st.DataObject, name: str) -> tuple[tuple[int, ...], dict[str, Any]]:
    shape = data.draw(CASES[name].shapes, "shape")
    options = data.draw(CASES[name].options(shape), "options")
    return shape, options


def apply(cand: Any, init: Any, name: str, t: Any, options: dict[str, Any], seed: int) -> Any:
    """Call the initializer; a random one draws from generators seeded with ``seed``."""
    if not CASES[name].random:
        return getattr(init, name)(t, **options)
    cand.manual_seed(seed)  # sparse_ draws its zero positions from the global generator
    return getattr(init, name)(t, **options, **seeded(cand, seed))


@pytest.mark.clause("INIT-INPLACE-RETURN")
@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data(), dtype=st.sampled_from(DTYPES), seed=seeds(), transposed=st.booleans())
def test_fills_in_place_and_returns_it(
    nn: Any, cand: Any, name: str, data: st.DataObject, dtype: str, seed: int, transposed: bool
) -> None:
    shape, options = draw_case(data, name)
    # orthogonal_ refuses non-contiguous tensors of more than two dimensions (INIT-ORTHOGONAL-NONCONTIGUOUS)
    transposed = transposed and len(shape) >= 2 and not (name == "orthogonal_" and len(shape) > 2)
    if transposed:  # a non-contiguous view: the memory of `base`, read with the last two dimensions swapped
        base = fresh(cand, (*shape[:-2], shape[-1], shape[-2]), dtype)
        t = cand.swap_last_dims(base)
    else:
        t = base = fresh(cand, shape, dtype)
    call = call_text(name, shape, options) + f" on {dtype}" + (" (a transposed view)" if transposed else "")
    # an alias of the tensor's memory (derived() needs a dimension and two elements)
    alias = cand.derived(base)["t.data"] if len(shape) >= 1 and math.prod(shape) >= 2 else None
    out = apply(cand, nn.init, name, t, options, seed)
    assert out is t, f"{call} returned {type(out).__name__} object {id(out)}, not the tensor it was given"
    assert cand.shape(t) == shape, f"{call} changed the shape to {cand.shape(t)}"
    assert cand.dtype_name(t) == dtype, f"{call} changed the dtype to {cand.dtype_name(t)}"
    unwritten = int(np.isnan(cand.to_numpy(t)).sum())
    assert unwritten == 0, f"{call} left {unwritten} elements unwritten (still NaN)"
    if transposed:
        unseen = int(np.isnan(cand.to_numpy(base)).sum())
        assert unseen == 0, f"{call}: {unseen} elements of the viewed memory stayed unwritten (copy filled?)"
    if alias is not None:
        assert cand.same_storage(alias, base) and np.array_equal(cand.to_numpy(alias), cand.to_numpy(base)), (
            f"{call} did not write into the tensor's own memory: an alias taken before the call does not see "
            "the new values (the tensor was given new data instead)"
        )


@pytest.mark.clause("INIT-NO-GRAD")
@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data(), seed=seeds())
def test_runs_outside_autograd(nn: Any, cand: Any, name: str, data: st.DataObject, seed: int) -> None:
    shape, options = draw_case(data, name)
    t = fresh(cand, shape, requires_grad=True)
    call = call_text(name, shape, options) + " on a leaf that requires grad"
    try:
        apply(cand, nn.init, name, t, options, seed)  # the return value: INIT-INPLACE-RETURN
    except RuntimeError as exc:
        raise AssertionError(f"{call} raised RuntimeError({exc}); it must run outside autograd") from exc
    assert cand.is_leaf(t), f"{call}: the tensor is no longer a leaf"
    assert cand.requires_grad(t), f"{call}: the tensor no longer requires grad"
    assert not cand.has_grad_fn(t), f"{call}: the tensor has a grad_fn"


@pytest.mark.clause("INIT-GENERATOR")
@pytest.mark.parametrize("name", RANDOM_CASES)
@given(data=st.data(), seed=seeds())
def test_same_seed_same_values(nn: Any, cand: Any, name: str, data: st.DataObject, seed: int) -> None:
    shape, options = draw_case(data, name)
    call = call_text(name, shape, options) + f" with a generator seeded {seed}"
    results = []
    for global_seed in (seed, seed + 1):  # a different global state each time: only the generator may matter
        cand.manual_seed(global_seed)
        t = fresh(cand, shape)
        getattr(nn.init, name)(t, **options, generator=cand.generator(seed))
        results.append(cand.to_numpy(t))
    first, second = results
    if (
        name == "sparse_"
    ):  # the zeroed positions come from the global generator (INIT-SPARSE-GENERATOR-POSITIONS)
        both = (first != 0) & (second != 0)
        first, second = first[both], second[both]
    differ = int((first != second).sum())
    assert differ == 0, f"{call}: two calls gave {differ} different values of {first.size}\n{first}\n{second}"


@pytest.mark.clause("INIT-GENERATOR-GLOBAL-UNTOUCHED")
@pytest.mark.parametrize("name", [n for n in RANDOM_CASES if n != "sparse_"])
@given(data=st.data(), seed=seeds())
def test_generator_leaves_global_state(nn: Any, cand: Any, name: str, data: st.DataObject, seed: int) -> None:
    shape, options = draw_case(data, name)
    probes = []
    for use in (True, False):
        cand.manual_seed(seed)
        if use:
            getattr(nn.init, name)(fresh(cand, shape), **options, generator=cand.generator(seed + 1))
        probes.append(cand.to_numpy(nn.init.uniform_(fresh(cand, (8,)))))
    assert np.array_equal(probes[0], probes[1]), (
        f"{call_text(name, shape, options)} with a generator changed the global random state: a draw after "
        f"it gave {probes[0]}, without it {probes[1]}"
    )


ZERO_SHAPES = shapes(1, 4, max_side=4).flatmap(
    lambda s: st.integers(0, len(s) - 1).map(lambda i: tuple(0 if j == i else n for j, n in enumerate(s)))
)


@pytest.mark.clause("INIT-ZERO-ELEMENT-WARN")
@given(
    shape=ZERO_SHAPES,
    name=st.sampled_from(["kaiming_uniform_", "kaiming_normal_"]),
    mode=st.sampled_from(["fan_in", "fan_out"]),
)
def test_zero_element_warns(nn: Any, cand: Any, shape: tuple[int, ...], name: str, mode: str) -> None:
    t = fresh(cand, shape)
    call = f"{name}(tensor of shape {shape}, mode={mode!r})"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = getattr(nn.init, name)(t, mode=mode)
    assert out is t, f"{call} did not return the tensor it was given"
    kinds = [w.category.__name__ for w in caught]
    assert any(issubclass(w.category, UserWarning) for w in caught), (
        f"{call} warned {kinds}, expected a UserWarning"
    )


@pytest.mark.clause("INIT-KAIMING-MODE-INVALID")
@given(
    mode=st.text(alphabet="abcdefghinotu_ ", max_size=8).filter(
        lambda m: m.lower() not in ("fan_in", "fan_out")
    ),
    name=st.sampled_from(["kaiming_uniform_", "kaiming_normal_"]),
    shape=shapes(2, 4, max_side=4),
)
def test_kaiming_mode_invalid(nn: Any, cand: Any, mode: str, name: str, shape: tuple[int, ...]) -> None:
    t = fresh(cand, shape)
    check_raises(
        ValueError,
        lambda: getattr(nn.init, name)(t, mode=mode),
        f"{name}(tensor of shape {shape}, mode={mode!r})",
    )


@pytest.mark.clause("INIT-KAIMING-MODE-CASE")
def test_kaiming_mode_case(nn: Any, cand: Any, record_property: Any) -> None:
    # quirk: recorded, never required
    try:
        nn.init.kaiming_uniform_(fresh(cand, (3, 4)), mode="FAN_OUT", **seeded(cand, 0))
        record_property("mode='FAN_OUT'", "accepted")
    except ValueError:
        record_property("mode='FAN_OUT'", "ValueError")


@pytest.mark.clause("INIT-SPARSE-GENERATOR-POSITIONS")
def test_sparse_positions_generator(nn: Any, cand: Any, record_property: Any) -> None:
    # quirk: recorded, never required
    positions = []
    for global_seed in (1, 2):
        cand.manual_seed(global_seed)
        t = nn.init.sparse_(fresh(cand, (64, 4)), 0.5, generator=cand.generator(0))
        positions.append(cand.to_numpy(t) == 0)
    record_property(
        "same generator, different global seed: same zero positions",
        bool((positions[0] == positions[1]).all()),
    )


@pytest.mark.clause("INIT-TRUNC-NORMAL-FAR-WARN")
@given(
    mean=st.floats(-2, 2, allow_subnormal=False),
    std=st.floats(0.1, 2),
    side=st.sampled_from([-1, 1]),
    distance=st.floats(2.2, 4),
    width=st.floats(0.5, 3),
    seed=seeds(),
)
def test_trunc_normal_far_mean_warns(
    nn: Any, cand: Any, mean: float, std: float, side: int, distance: float, width: float, seed: int
) -> None:
    # [a, b] lies `distance` std above the mean (side 1) or below it (side -1)
    near = mean + side * distance * std
    a, b = (near, near + width * std) if side == 1 else (near - width * std, near)
    t = fresh(cand, (4, 8))
    call = f"trunc_normal_(t, mean={mean!r}, std={std!r}, a={a!r}, b={b!r})"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.init.trunc_normal_(t, mean, std, a, b, **seeded(cand, seed))
    assert any(issubclass(w.category, UserWarning) for w in caught), f"{call} did not warn"
    values = cand.to_numpy(t).astype(np.float64)
    slack = 1e-6 * max(abs(a), abs(b))
    assert ((values >= a - slack) & (values <= b + slack)).all(), (
        f"{call} wrote values outside [a, b]: {values}"
    )
