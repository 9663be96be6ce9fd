"""Strategies and expectations for the lazy layers: which lazy class, its arguments, an input that fits
it, and what the layer must look like after its first call.

A :class:`LayerCase` is plain data, so one drawn case builds the same layer in the candidate and in the
oracle. Shapes follow the documented layouts: Linear (out, in); convolution (out, in / groups, *k);
transposed convolution (in, out / groups, *k); norms (num_features,).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

FLOAT_DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class LayerCase:
    """One lazy layer configuration and an input for its first call."""

    lazy: str  # the lazy class name in the nn namespace, e.g. "LazyConv2d"
    target: str  # the class it becomes, e.g. "Conv2d"
    kwargs: dict[str, Any]
    input_shape: tuple[int, ...]
    inferred_attr: str  # in_features / in_channels / num_features
    inferred: int  # the value it must get from the input
    params: dict[str, tuple[int, ...]]  # parameter name -> shape after the first call
    buffers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    kind: str = "linear"  # linear | conv | norm

    def build(self, nn: Any, **extra: Any) -> Any:
        return getattr(nn, self.lazy)(**self.kwargs, **extra)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"nn.{self.lazy}({args}) called on input of shape {self.input_shape}"


UNINITIALIZED_CLASSES = ("UninitializedParameter", "UninitializedBuffer")


def is_uninitialized(nn: Any, value: Any) -> bool:
    """Whether ``value`` is an uninitialized parameter or buffer of the candidate: an instance of its
    ``nn.UninitializedParameter``/``nn.UninitializedBuffer`` or of a class of that name (the lazy layers
    may make them from the framework's own classes while the namespace holds a subclass)."""
    if isinstance(value, (nn.UninitializedParameter, nn.UninitializedBuffer)):
        return True
    return any(base.__name__ in UNINITIALIZED_CLASSES for base in type(value).__mro__)


def is_parameter(nn: Any, value: Any) -> bool:
    """Whether ``value`` is a Parameter of the candidate (an instance of ``nn.Parameter`` or of a class
    named Parameter: the lazy layers make them from the framework's own class)."""
    return isinstance(value, nn.Parameter) or any(
        base.__name__ == "Parameter" for base in type(value).__mro__
    )


def is_initialized_parameter(nn: Any, value: Any) -> bool:
    """A Parameter that is not (any more) an uninitialized one."""
    return is_parameter(nn, value) and not is_uninitialized(nn, value)


def lazy_mixin(nn: Any) -> type:
    """The candidate's LazyModuleMixin (torch exports it only from ``torch.nn.modules.lazy``; its
    adapter puts it in the namespace, as every adapter must)."""
    found = getattr(nn, "LazyModuleMixin", None)
    if found is None:
        raise AssertionError("the candidate's nn namespace has no LazyModuleMixin: its adapter must add it")
    return found


@st.composite
def linear_cases(draw: st.DrawFn) -> LayerCase:
    out_features = draw(st.integers(1, 5), label="out_features")
    in_features = draw(st.integers(1, 6), label="in_features")
    bias = draw(st.booleans(), label="bias")
    leading = draw(st.lists(st.integers(1, 3), max_size=2), label="leading dims")
    params = {"weight": (out_features, in_features)}
    if bias:
        params["bias"] = (out_features,)
    return LayerCase(
        "LazyLinear",
        "Linear",
        {"out_features": out_features, "bias": bias},
        (*leading, in_features),
        "in_features",
        in_features,
        params,
    )


@st.composite
def conv_cases(draw: st.DrawFn, transposed: bool | None = None) -> LayerCase:
    dims = draw(st.integers(1, 3), label="spatial dims")
    if transposed is None:
        transposed = draw(st.booleans(), label="transposed")
    groups = draw(st.sampled_from((1, 1, 2)), label="groups")
    in_channels = groups * draw(st.integers(1, 3), label="in per group")
    out_channels = groups * draw(st.integers(1, 2), label="out per group")
    kernel = tuple(draw(st.lists(st.integers(1, 3), min_size=dims, max_size=dims), label="kernel_size"))
    stride = draw(st.integers(1, 2), label="stride")
    # at most (k - 1) // 2, so that a transposed convolution's output is not empty
    padding = draw(st.integers(0, min(1, (min(kernel) - 1) // 2)), label="padding")
    bias = draw(st.booleans(), label="bias")
    batched = draw(st.booleans(), label="batched")
    spatial = tuple(k + draw(st.integers(0, 2), label="extra size") for k in kernel)
    batch = (draw(st.integers(1, 2), label="batch"),) if batched else ()
    name = ("ConvTranspose" if transposed else "Conv") + f"{dims}d"
    kwargs: dict[str, Any] = {
        "out_channels": out_channels,
        "kernel_size": kernel if len(set(kernel)) > 1 else kernel[0],
        "stride": stride,
        "padding": padding,
        "groups": groups,
        "bias": bias,
    }
    if transposed:
        weight = (in_channels, out_channels // groups, *kernel)
    else:
        weight = (out_channels, in_channels // groups, *kernel)
    params = {"weight": weight}
    if bias:
        params["bias"] = (out_channels,)
    return LayerCase(
        "Lazy" + name,
        name,
        kwargs,
        (*batch, in_channels, *spatial),
        "in_channels",
        in_channels,
        params,
        kind="conv",
    )


@st.composite
def norm_cases(draw: st.DrawFn) -> LayerCase:
    family = draw(st.sampled_from(("BatchNorm", "InstanceNorm")), label="family")
    dims = draw(st.integers(1, 3), label="dims")
    num_features = draw(st.integers(1, 4), label="num_features")
    affine = draw(st.booleans(), label="affine")
    track = draw(st.booleans(), label="track_running_stats")
    bias = draw(st.booleans(), label="bias") if affine else True
    batch = draw(st.integers(2, 3), label="batch")
    if family == "BatchNorm" and dims == 1 and draw(st.booleans(), label="2d input"):
        spatial: tuple[int, ...] = ()
    else:
        spatial = tuple(draw(st.lists(st.integers(2, 3), min_size=dims, max_size=dims), label="spatial"))
    name = f"{family}{dims}d"
    kwargs: dict[str, Any] = {"affine": affine, "track_running_stats": track}
    if not bias:
        kwargs["bias"] = False
    params = {}
    if affine:
        params["weight"] = (num_features,)
        if bias:
            params["bias"] = (num_features,)
    buffers = {}
    if track:
        buffers = {"running_mean": (num_features,), "running_var": (num_features,), "num_batches_tracked": ()}
    return LayerCase(
        "Lazy" + name,
        name,
        kwargs,
        (batch, num_features, *spatial),
        "num_features",
        # with nothing lazy (neither affine nor running statistics) nothing is inferred: it stays 0
        num_features if affine or track else 0,
        params,
        buffers,
        kind="norm",
    )


def layer_cases() -> st.SearchStrategy[LayerCase]:
    return st.one_of(linear_cases(), conv_cases(), norm_cases())


def sample_input(cand: Any, shape: tuple[int, ...], dtype: str = "float32", seed: int = 0) -> Any:
    """A candidate tensor of ``shape`` with deterministic values from ``seed``."""
    rng = np.random.default_rng(seed)
    return cand.tensor(rng.standard_normal(shape), dtype)


def fan_in(shape: tuple[int, ...]) -> int:
    """Fan-in of a weight shape: dim 1 times the receptive field."""
    return shape[1] * math.prod(shape[2:])


def shape_of(cand: Any, t: Any) -> tuple[int, ...]:
    return tuple(cand.shape(t))


def class_names(module: Any) -> str:
    return type(module).__name__
