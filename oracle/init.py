"""The oracle's ``nn.init``: gains, fans and the in-place initializers (spec area: init).

Exposed to the suites as ``nn.init``. Every initializer fills its tensor in place under
``torch.no_grad()`` (so a leaf that requires grad stays a leaf without history) and returns that same
tensor. Random draws go through the tensor's own sampling methods with the caller's ``generator``;
the distributions are stated in the docstrings and in spec/init.yaml.
"""

from __future__ import annotations

import math
import warnings

import torch

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

Tensor = torch.Tensor
Generator = torch.Generator

# nonlinearities whose recommended gain is 1: the linear maps and the sigmoid
_GAIN_ONE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
_DEFAULT_NEGATIVE_SLOPE = 0.01
_ZERO_ELEMENT_MESSAGE = "Initializing zero-element tensors is a no-op"


# --------------------------------------------------------------------------------------------------
# gains and fans


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scaling of a weight's standard deviation for ``nonlinearity``.

    Clauses: INIT-GAIN-LINEAR, INIT-GAIN-CONV-TRANSPOSE, INIT-GAIN-TANH, INIT-GAIN-RELU,
    INIT-GAIN-LEAKY-RELU, INIT-GAIN-SELU, INIT-GAIN-PARAM-IGNORED, INIT-GAIN-SLOPE-INVALID,
    INIT-GAIN-UNSUPPORTED, INIT-GAIN-INT-ONE.
    """
    if nonlinearity in _GAIN_ONE:
        return 1  # an int, as torch returns (INIT-GAIN-INT-ONE)
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = _DEFAULT_NEGATIVE_SLOPE
        elif isinstance(param, float) or (isinstance(param, int) and not isinstance(param, bool)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel): in and out times the kernel's size.

    Clauses: INIT-FAN-2D, INIT-FAN-CONV, INIT-FAN-LOW-DIM.
    """
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    """The fan ``mode`` names ('fan_in' or 'fan_out', any letter case).

    Clauses: INIT-KAIMING-MODE, INIT-KAIMING-MODE-INVALID, INIT-KAIMING-MODE-CASE.
    """
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# --------------------------------------------------------------------------------------------------
# plain distributions


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill from U(a, b). Clauses: INIT-UNIFORM, INIT-INPLACE-RETURN, INIT-NO-GRAD, INIT-GENERATOR."""
    with torch.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill from N(mean, std**2). Clauses: INIT-NORMAL, INIT-INPLACE-RETURN, INIT-NO-GRAD, INIT-GENERATOR."""
    with torch.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill from N(mean, std**2) conditioned on [a, b], by inverting the normal CDF.

    A uniform draw between the CDF values of a and b is mapped back through the normal quantile
    function (written with ``erfinv``) and clamped onto [a, b] against rounding.
    Clauses: INIT-TRUNC-NORMAL, INIT-TRUNC-NORMAL-FAR-WARN, INIT-INPLACE-RETURN, INIT-NO-GRAD,
    INIT-GENERATOR.
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    low = _normal_cdf((a - mean) / std)
    high = _normal_cdf((b - mean) / std)
    with torch.no_grad():
        # u in [2*low - 1, 2*high - 1]; erfinv(u) * sqrt(2) is the standard normal quantile of (u+1)/2.
        # Drawn and mapped in float64: in float32, u near -1 or 1 (an interval in a tail) has too few
        # representable values for the quantile to come out right.
        u = torch.empty(tensor.shape, dtype=torch.float64, device=tensor.device)
        u.uniform_(2 * low - 1, 2 * high - 1, generator=generator)
        values = u.erfinv_().mul_(std * math.sqrt(2.0)).add_(mean).clamp_(min=a, max=b)
        tensor.copy_(values)
    return tensor


# --------------------------------------------------------------------------------------------------
# deterministic fills


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``. Clauses: INIT-CONSTANT, INIT-INPLACE-RETURN, INIT-NO-GRAD."""
    with torch.no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1. Clauses: INIT-ONES, INIT-INPLACE-RETURN, INIT-NO-GRAD."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0. Clauses: INIT-ZEROS, INIT-INPLACE-RETURN, INIT-NO-GRAD."""
    with torch.no_grad():
        return tensor.zero_()


def eye_(tensor: Tensor) -> Tensor:
    """Ones on the main diagonal of a 2-D tensor, zeros elsewhere.

    Clauses: INIT-EYE, INIT-EYE-NOT-2D, INIT-INPLACE-RETURN, INIT-NO-GRAD.
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with torch.no_grad():
        tensor.zero_()
        tensor.diagonal().fill_(1)
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The identity convolution: within each of ``groups`` blocks of output channels, output channel d
    of the block reads input channel d at the kernel's centre (for d below both channel counts).

    Clauses: INIT-DIRAC, INIT-DIRAC-GROUPS, INIT-DIRAC-ERRORS, INIT-INPLACE-RETURN, INIT-NO-GRAD.
    """
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out_channels, in_channels = tensor.shape[0], tensor.shape[1]
    if out_channels % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = out_channels // groups
    centre = tuple(size // 2 for size in tensor.shape[2:])
    with torch.no_grad():
        tensor.zero_()
        for group in range(groups):
            for channel in range(min(per_group, in_channels)):
                tensor[(group * per_group + channel, channel, *centre)] = 1
    return tensor


# --------------------------------------------------------------------------------------------------
# scaled distributions (Glorot / He)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)).

    Clauses: INIT-XAVIER-UNIFORM, INIT-FAN-LOW-DIM, INIT-INPLACE-RETURN, INIT-NO-GRAD, INIT-GENERATOR.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Clauses: INIT-XAVIER-NORMAL, INIT-FAN-LOW-DIM, INIT-INPLACE-RETURN, INIT-NO-GRAD, INIT-GENERATOR.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _is_zero_element(tensor: Tensor) -> bool:
    if 0 in tensor.shape:
        warnings.warn(_ZERO_ELEMENT_MESSAGE, stacklevel=3)
        return True
    return False


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """U(-bound, bound) with bound = sqrt(3) * gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)
    and fan the one ``mode`` names; a zero-element tensor is left alone with a warning.

    Clauses: INIT-KAIMING-UNIFORM, INIT-KAIMING-MODE, INIT-KAIMING-MODE-INVALID, INIT-FAN-LOW-DIM,
    INIT-ZERO-ELEMENT-WARN, INIT-INPLACE-RETURN, INIT-NO-GRAD, INIT-GENERATOR.
    """
    if _is_zero_element(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """N(0, std**2) with std = gain / sqrt(fan), as for :func:`kaiming_uniform_`.

    Clauses: INIT-KAIMING-NORMAL, INIT-KAIMING-MODE, INIT-KAIMING-MODE-INVALID, INIT-FAN-LOW-DIM,
    INIT-ZERO-ELEMENT-WARN, INIT-INPLACE-RETURN, INIT-NO-GRAD, INIT-GENERATOR.
    """
    if _is_zero_element(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


# --------------------------------------------------------------------------------------------------
# structured random matrices


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, trailing dimensions flattened: orthonormal columns
    when the flattened matrix is tall (or square), orthonormal rows when it is wide.

    The matrix is the Q factor of a Gaussian matrix (of its transpose when wide), with Q's columns
    signed by R's diagonal so that Q is Haar-distributed.
    Clauses: INIT-ORTHOGONAL, INIT-ORTHOGONAL-SIGNS, INIT-ORTHOGONAL-LOW-DIM, INIT-ORTHOGONAL-NONCONTIGUOUS,
    INIT-INPLACE-RETURN, INIT-NO-GRAD, INIT-GENERATOR.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    wide = rows < cols
    with torch.no_grad():
        gaussian = tensor.new_empty((cols, rows) if wide else (rows, cols)).normal_(0, 1, generator=generator)
        q, r = torch.linalg.qr(gaussian)
        q = q * torch.diagonal(r).sign()
        if wide:
            q = q.t()
        # written through a (rows, cols) view, which a non-contiguous tensor of 3+ dimensions cannot give
        tensor.view(rows, cols).copy_(q).mul_(gain)
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None) -> Tensor:
    """N(0, std**2) values, then in every column ceil(sparsity * rows) entries at random rows set to 0.

    As in torch, the zeroed rows are chosen with the global random generator, not ``generator``.
    Clauses: INIT-SPARSE, INIT-SPARSE-NOT-2D, INIT-SPARSE-GENERATOR-POSITIONS, INIT-INPLACE-RETURN,
    INIT-NO-GRAD.
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros_per_column = math.ceil(sparsity * rows)
    with torch.no_grad():
        tensor.normal_(0, std, generator=generator)
        for col in range(cols):
            zero_rows = torch.randperm(rows)[:zeros_per_column]
            tensor[zero_rows, col] = 0
    return tensor
