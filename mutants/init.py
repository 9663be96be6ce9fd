"""init mutants: torch with one realistic bug each in the init area (see mutants/catalog.py).

Each mutant's ``nn.init`` is a copy of ``torch.nn.init`` whose functions are rebound to a namespace in
which one function is replaced, so torch's own callers (kaiming_uniform_ calling calculate_gain, xavier_*
calling the fan function...) reach the buggy version. Where a replacement copies a torch function, the
copy differs from torch 2.13's code only where the comment says ``bug:``.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.init as torch_init

from mutants.catalog import mutant, torch_namespace

Tensor = torch.Tensor


def patched_init(**overrides: Callable[..., Any]) -> SimpleNamespace:
    """``torch.nn.init`` with the named functions replaced, everywhere they are called from."""
    env: dict[str, Any] = dict(vars(torch_init))
    for name, value in vars(torch_init).items():
        if isinstance(value, types.FunctionType) and value.__module__ == torch_init.__name__:
            copy = types.FunctionType(
                value.__code__, env, value.__name__, value.__defaults__, value.__closure__
            )
            copy.__kwdefaults__ = value.__kwdefaults__
            copy.__doc__ = value.__doc__
            env[name] = copy
    env.update(overrides)
    public = {k: v for k, v in env.items() if not k.startswith("__")}
    return SimpleNamespace(**public)


def init_namespace(**overrides: Callable[..., Any]) -> SimpleNamespace:
    return torch_namespace(init=patched_init(**overrides))


# --------------------------------------------------------------------------------------------------
# gains and fans


@mutant("init-tanh-gain-one", "init", "calculate_gain('tanh') returns 1 instead of 5/3")
def _tanh_gain_one() -> SimpleNamespace:
    def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
        if nonlinearity == "tanh":
            return 1  # bug: tanh treated as a linear function, 5/3 expected
        return torch_init.calculate_gain(nonlinearity, param)

    return init_namespace(calculate_gain=calculate_gain)


@mutant(
    "init-leaky-relu-default-slope-zero",
    "init",
    "calculate_gain('leaky_relu') without param uses slope 0 (gain sqrt(2)) instead of 0.01",
)
def _leaky_relu_default_slope_zero() -> SimpleNamespace:
    def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
        if nonlinearity == "leaky_relu" and param is None:
            param = 0  # bug: the default negative slope is 0.01
        return torch_init.calculate_gain(nonlinearity, param)

    return init_namespace(calculate_gain=calculate_gain)


@mutant(
    "init-conv-fans-swapped",
    "init",
    "_calculate_fan_in_and_fan_out swaps fan_in and fan_out for convolution kernels (3 or more dimensions)",
)
def _conv_fans_swapped() -> SimpleNamespace:
    def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
        fan_in, fan_out = torch_init._calculate_fan_in_and_fan_out(tensor)
        if tensor.dim() > 2:
            return fan_out, fan_in  # bug: (out, in, *kernel) read as (in, out, *kernel)
        return fan_in, fan_out

    return init_namespace(_calculate_fan_in_and_fan_out=_calculate_fan_in_and_fan_out)


# --------------------------------------------------------------------------------------------------
# distributions


@mutant(
    "init-kaiming-uniform-no-sqrt3", "init", "kaiming_uniform_ uses bound gain/sqrt(fan), missing the sqrt(3)"
)
def _kaiming_uniform_no_sqrt3() -> SimpleNamespace:
    def kaiming_uniform_(
        tensor: Tensor,
        a: float = 0,
        mode: str = "fan_in",
        nonlinearity: str = "leaky_relu",
        generator: torch.Generator | None = None,
    ) -> Tensor:
        if 0 in tensor.shape:
            warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
            return tensor
        fan = torch_init._calculate_correct_fan(tensor, mode)
        gain = torch_init.calculate_gain(nonlinearity, a)
        bound = gain / math.sqrt(fan)  # bug: the standard deviation used as the bound, sqrt(3) * std expected
        with torch.no_grad():
            return tensor.uniform_(-bound, bound, generator=generator)

    return init_namespace(kaiming_uniform_=kaiming_uniform_)


@mutant("init-kaiming-fan-out-default", "init", "kaiming_normal_ scales by fan_out when mode is not given")
def _kaiming_fan_out_default() -> SimpleNamespace:
    def kaiming_normal_(
        tensor: Tensor,
        a: float = 0,
        mode: str = "fan_out",  # bug: the default mode is "fan_in"
        nonlinearity: str = "leaky_relu",
        generator: torch.Generator | None = None,
    ) -> Tensor:
        return torch_init.kaiming_normal_(tensor, a, mode, nonlinearity, generator)

    return init_namespace(kaiming_normal_=kaiming_normal_)


@mutant("init-xavier-gain-ignored", "init", "xavier_normal_ ignores its gain argument")
def _xavier_gain_ignored() -> SimpleNamespace:
    def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        return torch_init.xavier_normal_(tensor, 1.0, generator)  # bug: gain not passed on

    return init_namespace(xavier_normal_=xavier_normal_)


@mutant(
    "init-trunc-normal-not-truncated",
    "init",
    "trunc_normal_ draws from the plain normal, never truncating to [a, b]",
)
def _trunc_normal_not_truncated() -> SimpleNamespace:
    def trunc_normal_(
        tensor: Tensor,
        mean: float = 0.0,
        std: float = 1.0,
        a: float = -2.0,
        b: float = 2.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        with torch.no_grad():
            return tensor.normal_(mean, std, generator=generator)  # bug: no redraw outside [a, b]

    return init_namespace(trunc_normal_=trunc_normal_)


@mutant(
    "init-uniform-ignores-generator",
    "init",
    "uniform_ draws from the global generator, ignoring its generator argument",
)
def _uniform_ignores_generator() -> SimpleNamespace:
    def uniform_(
        tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: torch.Generator | None = None
    ) -> Tensor:
        with torch.no_grad():
            return tensor.uniform_(a, b)  # bug: generator dropped

    return init_namespace(uniform_=uniform_)


# --------------------------------------------------------------------------------------------------
# structured initializers


@mutant(
    "init-orthogonal-wide-reshaped",
    "init",
    "orthogonal_ reshapes the Q factor of a wide matrix instead of transposing it: rows not orthonormal",
)
def _orthogonal_wide_reshaped() -> SimpleNamespace:
    return init_namespace(orthogonal_=_buggy_orthogonal(sign_correction=True, wide_by_reshape=True))


def _buggy_orthogonal(sign_correction: bool, wide_by_reshape: bool) -> Callable[..., Tensor]:
    """torch's orthogonal_ algorithm with the sign correction optional and, for wide matrices, the Q
    factor either transposed (right) or reshaped (a bug that scrambles its columns into rows)."""

    def orthogonal_(tensor: Tensor, gain: float = 1, generator: torch.Generator | None = None) -> Tensor:
        if tensor.ndimension() < 2:
            raise ValueError("Only tensors with 2 or more dimensions are supported")
        if tensor.numel() == 0 or tensor.is_meta:
            return tensor
        rows = tensor.size(0)
        cols = tensor.numel() // rows
        flattened = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
        if rows < cols:
            flattened.t_()
        q, r = torch.linalg.qr(flattened)
        if sign_correction:
            q *= torch.diag(r, 0).sign()
        if rows < cols:
            q = q.reshape(rows, cols) if wide_by_reshape else q.t()
        with torch.no_grad():
            tensor.view_as(q).copy_(q)
            tensor.mul_(gain)
        return tensor

    return orthogonal_


@mutant("init-sparse-zeroes-rows", "init", "sparse_ zeroes a fraction of every row instead of every column")
def _sparse_zeroes_rows() -> SimpleNamespace:
    def sparse_(
        tensor: Tensor, sparsity: float, std: float = 0.01, generator: torch.Generator | None = None
    ) -> Tensor:
        if tensor.ndimension() != 2:
            raise ValueError("Only tensors with 2 dimensions are supported")
        rows, cols = tensor.shape
        num_zeros = math.ceil(sparsity * cols)  # bug: per row, from the number of columns
        with torch.no_grad():
            tensor.normal_(0, std, generator=generator)
            for row_idx in range(rows):
                col_indices = torch.randperm(cols)
                tensor[row_idx, col_indices[:num_zeros]] = 0
        return tensor

    return init_namespace(sparse_=sparse_)


@mutant(
    "init-dirac-groups-ignored", "init", "dirac_ ignores groups and sets the identity of the first group only"
)
def _dirac_groups_ignored() -> SimpleNamespace:
    def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
        if tensor.ndimension() not in [3, 4, 5]:
            raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
        if tensor.size(0) % groups != 0:
            raise ValueError("dim 0 must be divisible by groups")
        return torch_init.dirac_(tensor)  # bug: groups not passed on

    return init_namespace(dirac_=dirac_)


@mutant(
    "init-constant-tracked",
    "init",
    "constant_ fills outside no_grad, so it fails on a leaf that requires grad",
)
def _constant_tracked() -> SimpleNamespace:
    def constant_(tensor: Tensor, val: float) -> Tensor:
        return tensor.fill_(val)  # bug: not under torch.no_grad()

    return init_namespace(constant_=constant_)


# --------------------------------------------------------------------------------------------------
# further distribution bugs


@mutant(
    "init-xavier-uniform-fan-in-twice",
    "init",
    "xavier_uniform_ computes its bound from fan_in + fan_in instead of fan_in + fan_out",
)
def _xavier_uniform_fan_in_twice() -> SimpleNamespace:
    def xavier_uniform_(
        tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None
    ) -> Tensor:
        fan_in, _fan_out = torch_init._calculate_fan_in_and_fan_out(tensor)
        std = gain * math.sqrt(2.0 / float(fan_in + fan_in))  # bug: fan_out expected in the second term
        a = math.sqrt(3.0) * std
        with torch.no_grad():
            return tensor.uniform_(-a, a, generator=generator)

    return init_namespace(xavier_uniform_=xavier_uniform_)


@mutant("init-normal-std-squared", "init", "normal_ passes std**2 (the variance) as the standard deviation")
def _normal_std_squared() -> SimpleNamespace:
    def normal_(
        tensor: Tensor,
        mean: float = 0.0,
        std: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        with torch.no_grad():
            return tensor.normal_(mean, std * std, generator=generator)  # bug: std expected

    return init_namespace(normal_=normal_)


@mutant(
    "init-kaiming-uniform-mode-ignored",
    "init",
    "kaiming_uniform_ always scales by fan_in, ignoring mode='fan_out'",
)
def _kaiming_uniform_mode_ignored() -> SimpleNamespace:
    def kaiming_uniform_(
        tensor: Tensor,
        a: float = 0,
        mode: str = "fan_in",
        nonlinearity: str = "leaky_relu",
        generator: torch.Generator | None = None,
    ) -> Tensor:
        if 0 in tensor.shape:
            warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
            return tensor
        torch_init._calculate_correct_fan(tensor, mode)  # still validates the mode
        fan = torch_init._calculate_correct_fan(tensor, "fan_in")  # bug: mode not used
        gain = torch_init.calculate_gain(nonlinearity, a)
        bound = math.sqrt(3.0) * gain / math.sqrt(fan)
        with torch.no_grad():
            return tensor.uniform_(-bound, bound, generator=generator)

    return init_namespace(kaiming_uniform_=kaiming_uniform_)


@mutant(
    "init-sparse-floor-zeros",
    "init",
    "sparse_ zeroes int(sparsity * rows) elements per column, rounding down instead of up",
)
def _sparse_floor_zeros() -> SimpleNamespace:
    def sparse_(
        tensor: Tensor, sparsity: float, std: float = 0.01, generator: torch.Generator | None = None
    ) -> Tensor:
        if tensor.ndimension() != 2:
            raise ValueError("Only tensors with 2 dimensions are supported")
        rows, cols = tensor.shape
        num_zeros = int(sparsity * rows)  # bug: math.ceil expected
        with torch.no_grad():
            tensor.normal_(0, std, generator=generator)
            for col_idx in range(cols):
                row_indices = torch.randperm(rows)
                tensor[row_indices[:num_zeros], col_idx] = 0
        return tensor

    return init_namespace(sparse_=sparse_)


def _narrow_trunc_normal(
    tensor: Tensor,
    mean: float,
    std: float,
    a: float,
    b: float,
    generator: torch.Generator | None,
    accept_generator: torch.Generator | None,
) -> None:
    """torch 2.13's rejection sampling from a uniform proposal on [a, b] (the branch taken when [a, b]
    holds at most 30% of the normal's mass), with the acceptance draws taken from ``accept_generator``;
    torch uses ``generator``."""
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2
    candidates = torch.empty_like(tensor)
    accept_buf = torch.empty_like(tensor)
    tensor.uniform_(a, b, generator=generator)
    candidates.copy_(tensor)
    candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)
    pending = accept_buf.uniform_(generator=accept_generator).log_().gt(candidates)
    result = tensor
    while pending.any():
        candidates.uniform_(a, b, generator=generator)
        result = torch.where(pending, candidates, result)
        candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)
        pending = torch.where(
            pending, accept_buf.uniform_(generator=accept_generator).log_().gt(candidates), pending
        )
    tensor.copy_(result)


def _trunc_normal_with_narrow_branch(
    narrow: Callable[[Tensor, float, float, float, float, torch.Generator | None], None],
) -> Callable[..., Tensor]:
    """trunc_normal_ that samples as torch does when [a, b] holds more than 30% of the normal's mass and
    calls ``narrow`` otherwise."""

    def trunc_normal_(
        tensor: Tensor,
        mean: float = 0.0,
        std: float = 1.0,
        a: float = -2.0,
        b: float = 2.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        def norm_cdf(x: float) -> float:
            return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

        p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
        if p > 0.3:
            return torch_init.trunc_normal_(tensor, mean, std, a, b, generator)
        if (mean < a - 2 * std) or (mean > b + 2 * std):
            warnings.warn(
                "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                "The distribution of values may be incorrect.",
                stacklevel=2,
            )
        with torch.no_grad():
            narrow(tensor, mean, std, a, b, generator)
        return tensor

    return trunc_normal_


@mutant(
    "init-trunc-normal-narrow-global-accept",
    "init",
    "trunc_normal_ on a narrow [a, b] draws its acceptance tests from the global generator, not generator",
)
def _trunc_normal_narrow_global_accept() -> SimpleNamespace:
    def narrow(t: Tensor, mean: float, std: float, a: float, b: float, gen: torch.Generator | None) -> None:
        _narrow_trunc_normal(t, mean, std, a, b, gen, None)  # bug: gen expected for the acceptance

    return init_namespace(trunc_normal_=_trunc_normal_with_narrow_branch(narrow))


@mutant(
    "init-trunc-normal-narrow-no-rejection",
    "init",
    "trunc_normal_ on a narrow [a, b] keeps every uniform proposal, filling with U(a, b) instead",
)
def _trunc_normal_narrow_no_rejection() -> SimpleNamespace:
    def narrow(t: Tensor, mean: float, std: float, a: float, b: float, gen: torch.Generator | None) -> None:
        t.uniform_(a, b, generator=gen)  # bug: no acceptance test against the normal density

    return init_namespace(trunc_normal_=_trunc_normal_with_narrow_branch(narrow))


@mutant(
    "init-orthogonal-no-sign-correction",
    "init",
    "orthogonal_ returns the raw Q factor of the QR decomposition without multiplying it by the signs of "
    "R's diagonal: still orthogonal, but M[0, 0] is always negative",
)
def _orthogonal_no_sign_correction() -> SimpleNamespace:
    return init_namespace(orthogonal_=_buggy_orthogonal(sign_correction=False, wide_by_reshape=False))


@mutant(
    "init-normal-rebinds-data",
    "init",
    "normal_ draws into a new tensor and rebinds tensor.data to it: same object, but views of the old "
    "memory keep the old values",
)
def _normal_rebinds_data() -> SimpleNamespace:
    def normal_(
        tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: torch.Generator | None = None
    ) -> Tensor:
        fresh = torch.empty_like(tensor).normal_(mean, std, generator=generator)
        tensor.data = fresh  # bug: torch writes in place with tensor.normal_
        return tensor

    return init_namespace(normal_=normal_)


@mutant(
    "init-xavier-uniform-fills-a-copy",
    "init",
    "xavier_uniform_ fills tensor.contiguous(): for a non-contiguous tensor that is a copy, so the tensor is "
    "left unwritten",
)
def _xavier_uniform_fills_a_copy() -> SimpleNamespace:
    def xavier_uniform_(
        tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None
    ) -> Tensor:
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(tensor)
        bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
        with torch.no_grad():
            # bug: contiguous() is a copy when the tensor is not contiguous
            tensor.contiguous().uniform_(-bound, bound, generator=generator)
        return tensor

    return init_namespace(xavier_uniform_=xavier_uniform_)
