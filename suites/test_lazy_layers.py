"""Clause tests for the lazy layers torch ships: LazyLinear, the lazy (transposed) convolutions and the
lazy batch and instance norms.

Each test draws a layer configuration (suites/support/lazy_layers.py: sizes, groups, kernel, stride,
padding, bias, affine, track_running_stats, batched or not) and an input that fits it, calls the
candidate's lazy layer and checks what it inferred. LAZY-LAYER-FORWARD and LAZY-LAYER-REPR compare the
candidate with the oracle.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suites.support.lazy_layers import (
    FLOAT_DTYPES,
    LayerCase,
    conv_cases,
    fan_in,
    is_initialized_parameter,
    is_uninitialized,
    layer_cases,
    linear_cases,
    norm_cases,
    sample_input,
    shape_of,
)


def check_entries(cand: Any, module: Any, case: LayerCase) -> None:
    """The parameters and buffers have the shapes the case expects, and no more are there."""
    for name, want in {**case.params, **case.buffers}.items():
        got = shape_of(cand, getattr(module, name))
        assert got == want, f"{case.describe()}: {name} has shape {got}, want {want}"
    for name in ("weight", "bias"):
        if name not in case.params:
            assert getattr(module, name) is None, f"{case.describe()}: {name} is not None"
    params = sorted(name for name, _ in module.named_parameters())
    assert params == sorted(case.params), f"{case.describe()}: named_parameters() gave {params}"
    buffers = sorted(name for name, _ in module.named_buffers())
    assert buffers == sorted(case.buffers), f"{case.describe()}: named_buffers() gave {buffers}"


def check_inferred(cand: Any, nn: Any, case: LayerCase, module: Any) -> None:
    assert type(module) is getattr(nn, case.target), (
        f"{case.describe()}: the module is a {type(module).__name__} after the first call, want {case.target}"
    )
    got = getattr(module, case.inferred_attr)
    assert got == case.inferred, f"{case.describe()}: {case.inferred_attr} is {got}, want {case.inferred}"
    check_entries(cand, module, case)
    for name, p in module.named_parameters():
        assert is_initialized_parameter(nn, p), f"{case.describe()}: parameter {name} is a {type(p).__name__}"


@pytest.mark.clause("LAZY-LINEAR-INFER")
@given(case=linear_cases())
def test_lazy_linear_infers_in_features(nn: Any, cand: Any, case: LayerCase) -> None:
    module = case.build(nn)
    out = module(sample_input(cand, case.input_shape))
    check_inferred(cand, nn, case, module)
    want = (*case.input_shape[:-1], case.kwargs["out_features"])
    assert shape_of(cand, out) == want, f"{case.describe()}: output shape {shape_of(cand, out)}, want {want}"


@pytest.mark.clause("LAZY-CONV-INFER")
@given(case=conv_cases(transposed=False))
def test_lazy_conv_infers_in_channels(nn: Any, cand: Any, case: LayerCase) -> None:
    module = case.build(nn)
    out = module(sample_input(cand, case.input_shape))
    check_inferred(cand, nn, case, module)
    channel_dim = len(case.input_shape) - len(case.params["weight"]) + 1
    got = shape_of(cand, out)[channel_dim]
    assert got == case.kwargs["out_channels"], f"{case.describe()}: output has {got} channels"


@pytest.mark.clause("LAZY-CONVT-INFER")
@given(case=conv_cases(transposed=True))
def test_lazy_conv_transpose_infers_in_channels(nn: Any, cand: Any, case: LayerCase) -> None:
    module = case.build(nn)
    out = module(sample_input(cand, case.input_shape))
    check_inferred(cand, nn, case, module)
    channel_dim = len(case.input_shape) - len(case.params["weight"]) + 1
    got = shape_of(cand, out)[channel_dim]
    assert got == case.kwargs["out_channels"], f"{case.describe()}: output has {got} channels"


@pytest.mark.clause("LAZY-NORM-INFER")
@given(case=norm_cases(), training=st.booleans())
def test_lazy_norm_infers_num_features(nn: Any, cand: Any, case: LayerCase, training: bool) -> None:
    module = case.build(nn)
    module.train(training)
    module(sample_input(cand, case.input_shape))
    check_inferred(cand, nn, case, module)
    if "weight" in case.params:
        assert (cand.to_numpy(module.weight) == 1).all(), f"{case.describe()}: weight is not all ones"
    if "bias" in case.params:
        assert (cand.to_numpy(module.bias) == 0).all(), f"{case.describe()}: bias is not all zeros"
    if case.buffers and not training:  # eval mode reads the running statistics without updating them
        mean, var = cand.to_numpy(module.running_mean), cand.to_numpy(module.running_var)
        assert (mean == 0).all() and (var == 1).all(), (
            f"{case.describe()} in eval mode: running_mean {mean}, running_var {var}, want zeros and ones"
        )
        count = cand.to_numpy(module.num_batches_tracked)
        assert count == 0, f"{case.describe()}: num_batches_tracked is {count} after an eval call"


@pytest.mark.clause("LAZY-INSTNORM-DEFAULTS")
@given(dims=st.integers(1, 3), channels=st.integers(1, 4), batched=st.booleans())
def test_lazy_instance_norm_defaults(nn: Any, cand: Any, dims: int, channels: int, batched: bool) -> None:
    module = getattr(nn, f"LazyInstanceNorm{dims}d")()
    assert module.affine is True and module.track_running_stats is True, (
        f"LazyInstanceNorm{dims}d(): affine={module.affine}, track_running_stats={module.track_running_stats}"
    )
    shape = (2, channels, *(2,) * dims)
    module(sample_input(cand, shape))
    for name in ("weight", "bias", "running_mean", "running_var"):
        got = shape_of(cand, getattr(module, name))
        assert got == (channels,), f"LazyInstanceNorm{dims}d() on {shape}: {name} has shape {got}"


@pytest.mark.clause("LAZY-MATERIALIZE-INPLACE", "LAZY-MATERIALIZE-REQUIRES-GRAD")
@given(case=layer_cases(), data=st.data())
def test_first_call_materializes_the_registered_objects(
    nn: Any, cand: Any, case: LayerCase, data: st.DataObject
) -> None:
    module = case.build(nn)
    before = dict(module.named_parameters())
    held = list(before.values())  # e.g. what an optimizer built before the dry run holds
    frozen = (
        data.draw(st.sets(st.sampled_from(sorted(before))), label="requires_grad=False") if before else set()
    )
    for name in frozen:
        before[name].requires_grad = False
    module(sample_input(cand, case.input_shape))
    after = dict(module.named_parameters())
    for name, obj in before.items():
        assert after[name] is obj, f"{case.describe()}: the first call replaced {name} by another object"
        assert is_initialized_parameter(nn, obj), (
            f"{case.describe()}: {name} held before the call is a {type(obj).__name__}"
        )
        assert obj.requires_grad is (name not in frozen), (
            f"{case.describe()}: {name} had requires_grad={name not in frozen}, now {obj.requires_grad}"
        )
    shapes = [shape_of(cand, p) for p in held]
    want = [case.params[name] for name in before]
    assert shapes == want, (
        f"{case.describe()}: the objects held before the call have shapes {shapes}, want {want}"
    )


@pytest.mark.clause("LAZY-CONV-INPUT-DIM")
@given(case=conv_cases(), rank_change=st.sampled_from((-1, 1)))
def test_lazy_conv_wrong_rank_raises(nn: Any, cand: Any, case: LayerCase, rank_change: int) -> None:
    dims = len(case.params["weight"]) - 2
    unbatched = len(case.input_shape) == dims + 1
    if rank_change < 0:
        shape = case.input_shape[1:] if unbatched else case.input_shape[2:]
    else:
        shape = (1, *case.input_shape) if not unbatched else (1, 1, *case.input_shape)
    module = case.build(nn)
    with pytest.raises(RuntimeError):
        module(sample_input(cand, shape))
    assert type(module) is getattr(nn, case.lazy), (
        f"{case.lazy} called on rank {len(shape)}: now {type(module)}"
    )
    assert module.has_uninitialized_params(), f"{case.lazy} called on rank {len(shape)} got initialized"


@pytest.mark.clause("LAZY-CONV-GROUPS")
@given(case=conv_cases(), groups=st.integers(2, 3), remainder=st.integers(1, 2))
def test_lazy_conv_channels_not_divisible_by_groups(
    nn: Any, cand: Any, case: LayerCase, groups: int, remainder: int
) -> None:
    remainder = min(remainder, groups - 1)
    in_channels = groups + remainder
    kwargs = {**case.kwargs, "groups": groups, "out_channels": groups}
    dims = len(case.params["weight"]) - 2
    batch_dims = len(case.input_shape) - dims - 1
    shape = (*case.input_shape[:batch_dims], in_channels, *case.input_shape[batch_dims + 1 :])
    module = getattr(nn, case.lazy)(**kwargs)
    with pytest.raises(ValueError):
        module(sample_input(cand, shape))
    assert type(module) is getattr(nn, case.lazy), (
        f"{case.lazy}(groups={groups}) on {shape}: now {type(module)}"
    )
    assert module.has_uninitialized_params(), f"{case.lazy}(groups={groups}) on {shape} got initialized"


@pytest.mark.clause("LAZY-LAYER-INIT-VALUES")
@given(case=st.one_of(linear_cases(), conv_cases()), seed=st.integers(0, 3))
def test_lazy_layer_initial_values(nn: Any, cand: Any, case: LayerCase, seed: int) -> None:
    torch.manual_seed(seed)
    module = case.build(nn)
    module(sample_input(cand, case.input_shape))
    bound = 1 / math.sqrt(fan_in(case.params["weight"]))
    for name in case.params:
        values = cand.to_numpy(getattr(module, name))
        assert np.isfinite(values).all() and (np.abs(values) <= bound * (1 + 1e-6)).all(), (
            f"{case.describe()}: {name} has values outside +-{bound:.4f}: {values.ravel()[:6]}"
        )
    weight = cand.to_numpy(module.weight)
    if weight.size >= 4:
        assert len(np.unique(weight)) > 1, f"{case.describe()}: every weight entry is {weight.ravel()[0]}"


@pytest.mark.clause("LAZY-LAYER-FACTORY")
@given(case=layer_cases(), dtype=st.sampled_from(FLOAT_DTYPES))
def test_lazy_layer_factory_dtype(nn: Any, cand: Any, case: LayerCase, dtype: str) -> None:
    module = case.build(nn, dtype=getattr(torch, dtype), device="cpu")
    for name, p in module.named_parameters():
        assert cand.dtype_name(p) == dtype, f"{case.lazy}(dtype={dtype}): uninitialized {name} is {p.dtype}"
    module(sample_input(cand, case.input_shape, dtype))
    for name, t in [*module.named_parameters(), *module.named_buffers()]:
        if name == "num_batches_tracked":
            continue
        assert cand.dtype_name(t) == dtype, f"{case.describe()} with dtype={dtype}: {name} is {t.dtype}"
        assert cand.device_name(t) == "cpu", f"{case.describe()}: {name} is on {cand.device_name(t)}"


CONVERSIONS = {
    "double()": (lambda m: m.double(), "float64"),
    "to(torch.float64)": (lambda m: m.to(torch.float64), "float64"),
    "to(dtype=torch.float64)": (lambda m: m.to(dtype=torch.float64), "float64"),
    "half().float()": (lambda m: m.half().float(), "float32"),
}


@pytest.mark.clause("LAZY-LAYER-TRANSFER")
@given(case=layer_cases(), conversion=st.sampled_from(sorted(CONVERSIONS)))
def test_conversion_before_first_call(nn: Any, cand: Any, case: LayerCase, conversion: str) -> None:
    module = case.build(nn)
    convert, dtype = CONVERSIONS[conversion]
    returned = convert(module)
    assert returned is module, f"{case.lazy}.{conversion} returned another module"
    for name, p in module.named_parameters():
        assert is_uninitialized(nn, p), f"{case.lazy}.{conversion} initialized {name}"
        assert cand.dtype_name(p) == dtype, f"{case.lazy}.{conversion}: uninitialized {name} is {p.dtype}"
    module(sample_input(cand, case.input_shape, dtype))
    for name, t in [*module.named_parameters(), *module.named_buffers()]:
        if name != "num_batches_tracked":
            assert cand.dtype_name(t) == dtype, f"{case.describe()} after {conversion}: {name} is {t.dtype}"


def transfer_state(src: Any, src_cand: Any, dst_cand: Any) -> dict[str, Any]:
    """A state dict of ``src`` rebuilt with the other candidate's tensors (same values and dtypes)."""
    return {
        key: dst_cand.tensor(src_cand.to_numpy(value), src_cand.dtype_name(value))
        for key, value in src.state_dict().items()
    }


@pytest.mark.clause("LAZY-LAYER-FORWARD")
@given(case=layer_cases(), dtype=st.sampled_from(FLOAT_DTYPES), training=st.booleans())
def test_initialized_lazy_layer_matches_the_oracle(
    nn: Any, cand: Any, oracle_cand: Any, case: LayerCase, dtype: str, training: bool
) -> None:
    module = case.build(nn, dtype=getattr(torch, dtype))
    module(sample_input(cand, case.input_shape, dtype))
    # the oracle's layer is initialized by a call too, then gets the candidate's state
    reference = case.build(oracle_cand.nn, dtype=getattr(torch, dtype))
    reference(sample_input(oracle_cand, case.input_shape, dtype))
    reference.load_state_dict(transfer_state(module, cand, oracle_cand))
    module.train(training)
    reference.train(training)
    out = module(sample_input(cand, case.input_shape, dtype, seed=7))
    want = reference(sample_input(oracle_cand, case.input_shape, dtype, seed=7))
    got, expected = cand.to_numpy(out), oracle_cand.to_numpy(want)
    tol = 1e-5 if dtype == "float32" else 1e-10
    assert got.shape == expected.shape, (
        f"{case.describe()}: output shape {got.shape}, oracle {expected.shape}"
    )
    assert np.allclose(got, expected, rtol=tol, atol=tol), (
        f"{case.describe()} ({dtype}, training={training}): output differs from the oracle's by "
        f"{np.abs(got - expected).max()}"
    )


@pytest.mark.clause("LAZY-LAYER-REPR")
@given(case=layer_cases())
def test_lazy_layer_repr(nn: Any, cand: Any, oracle_cand: Any, case: LayerCase) -> None:
    module = case.build(nn)
    reference = case.build(oracle_cand.nn)
    before = repr(module)
    assert before.startswith(case.lazy + "("), f"repr of {case.lazy}(...) is {before!r}"
    assert before == repr(reference), (
        f"repr of {case.lazy}(...) is {before!r}, the oracle's {repr(reference)!r}"
    )
    module(sample_input(cand, case.input_shape))
    reference(sample_input(oracle_cand, case.input_shape))
    after = repr(module)
    assert after.startswith(case.target + "("), f"{case.describe()}: repr afterwards is {after!r}"
    assert after == repr(reference), f"{case.describe()}: repr is {after!r}, the oracle's {repr(reference)!r}"


INFER_CLAUSE = {"linear": "LAZY-LINEAR-INFER", "conv": "LAZY-CONV-INFER", "norm": "LAZY-NORM-INFER"}


def observe(cand: Any, nn: Any, module: Any, case: LayerCase, dtype: str) -> dict[str, Any]:
    """What a lazy layer shows before and after its first call: class, entries, state keys, output shape."""

    def entries() -> list[tuple[Any, ...]]:
        found = []
        for name, t in [*module.named_parameters(), *module.named_buffers()]:
            if is_uninitialized(nn, t):
                found.append((name, "uninitialized", cand.dtype_name(t)))
            else:
                found.append((name, shape_of(cand, t), cand.dtype_name(t)))
        return found

    seen: dict[str, Any] = {"class before": type(module).__name__, "entries before": entries()}
    seen["state keys before"] = list(module.state_dict())
    out = module(sample_input(cand, case.input_shape, dtype))
    seen["class after"] = type(module).__name__
    seen["entries after"] = entries()
    seen["state keys after"] = list(module.state_dict())
    seen[case.inferred_attr] = getattr(module, case.inferred_attr)
    seen["output shape"] = shape_of(cand, out)
    return seen


@pytest.mark.clause("LAZY-LINEAR-INFER", "LAZY-CONV-INFER", "LAZY-CONVT-INFER", "LAZY-NORM-INFER")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # it records the latest failure only
@given(case=layer_cases(), dtype=st.sampled_from(FLOAT_DTYPES))
def test_lazy_layer_observations_match_the_oracle(
    nn: Any, cand: Any, oracle_cand: Any, failure_context: Any, case: LayerCase, dtype: str
) -> None:
    clause = INFER_CLAUSE[case.kind]
    if case.kind == "conv" and case.lazy.startswith("LazyConvTranspose"):
        clause = "LAZY-CONVT-INFER"
    got = observe(cand, nn, case.build(nn, dtype=getattr(torch, dtype)), case, dtype)
    want = observe(
        oracle_cand, oracle_cand.nn, case.build(oracle_cand.nn, dtype=getattr(torch, dtype)), case, dtype
    )
    failure_context.record(clauses=[clause], program=case.describe(), oracle=want, candidate=got)
    for key, value in want.items():
        assert got.get(key) == value, (
            f"{case.describe()} ({dtype}): {key} is {got.get(key)!r}, the oracle's {value!r}"
        )
