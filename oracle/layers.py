"""Plain layers the lazy modules turn into (Linear, convolutions, batch and instance norms), with
``forward`` written on ``torch.nn.functional`` (spec area: lazy).

Each layer keeps its configuration in the same attribute names torch uses (``in_features``,
``in_channels``, ``kernel_size``, ``num_features``...), so that a lazy module that becomes one of
them, and any code reading those attributes, sees what it would see in torch. ``reset_parameters``
draws from the same distributions as torch (through :mod:`oracle.init`), and ``extra_repr`` prints
the same text.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from oracle import init
from oracle.module import Module
from oracle.parameter import Parameter

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "Linear",
]


def _ntuple(value: Any, n: int) -> tuple[Any, ...]:
    """``value`` as an n-tuple: an iterable is taken as it is, a scalar is repeated ``n`` times."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(value)
    return (value,) * n


def _fan_in(weight: torch.Tensor) -> int:
    """Inputs feeding one output unit: the second dimension times the receptive field size."""
    receptive = 1
    for size in weight.shape[2:]:
        receptive *= size
    return weight.shape[1] * receptive


def _uniform_bias_(bias: torch.Tensor, weight: torch.Tensor) -> None:
    """Fill ``bias`` from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) of ``weight`` (a zero bound for fan_in 0)."""
    fan_in = _fan_in(weight)
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    init.uniform_(bias, -bound, bound)


# --------------------------------------------------------------------------------------------------
# Linear


class Linear(Module):
    """``y = x W^T + b`` with ``weight`` (out_features, in_features) and an optional ``bias``.

    Clauses: LAZY-LINEAR-INFER, LAZY-LAYER-INIT-VALUES, LAZY-LAYER-FORWARD (the layer LazyLinear becomes).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(torch.empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(torch.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weight (a=sqrt(5)), bias from U(+-1/sqrt(in_features)) (LAZY-LAYER-INIT-VALUES)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            _uniform_bias_(self.bias, self.weight)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """``F.linear`` (LAZY-LAYER-FORWARD)."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        """``in_features=.., out_features=.., bias=..`` (LAZY-LAYER-REPR)."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


# --------------------------------------------------------------------------------------------------
# convolutions


class _ConvNd(Module):
    """Shared configuration, parameters and initialisation of the convolutions and their transposes.

    ``weight`` is (out_channels, in_channels / groups, *kernel_size), or for a transposed convolution
    (in_channels, out_channels / groups, *kernel_size).
    """

    _spatial_dims = 0

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        transposed: bool,
        output_padding: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        n = self._spatial_dims
        kernel_size, stride, dilation = _ntuple(kernel_size, n), _ntuple(stride, n), _ntuple(dilation, n)
        if not isinstance(padding, str):
            padding = _ntuple(padding, n)
        output_padding = _ntuple(output_padding, n)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(
                "padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, "
                f"but got padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._padding_for_pad(padding, kernel_size, dilation)
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(torch.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(torch.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    @staticmethod
    def _padding_for_pad(padding: Any, kernel_size: tuple[int, ...], dilation: tuple[int, ...]) -> list[int]:
        """The padding as ``F.pad`` wants it: (left, right) pairs, last spatial dimension first."""
        pairs: list[int] = []
        for k, d, p in reversed(
            list(zip(kernel_size, dilation, _ntuple(padding, len(kernel_size)), strict=True))
        ):
            if p == "valid":
                pairs += [0, 0]
            elif p == "same":
                total = d * (k - 1)
                pairs += [total // 2, total - total // 2]
            else:
                pairs += [p, p]
        return pairs

    def reset_parameters(self) -> None:
        """Kaiming-uniform weight (a=sqrt(5)) and a bias from U(+-1/sqrt(fan_in)) (LAZY-LAYER-INIT-VALUES)."""
        with torch.no_grad():
            init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            if self.bias is not None:
                _uniform_bias_(self.bias, self.weight)

    def extra_repr(self) -> str:
        """Channels, kernel size, stride, then each option that is not the default (LAZY-LAYER-REPR)."""
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0,) * len(self.padding):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    _conv: Any = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """The convolution of ``F.convNd``, padding first with ``F.pad`` for a non-zeros padding mode
        (LAZY-LAYER-FORWARD)."""
        conv = type(self)._conv
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            zero = (0,) * self._spatial_dims
            return conv(padded, self.weight, self.bias, self.stride, zero, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-d convolution (the layer LazyConv1d becomes; LAZY-CONV-INFER)."""

    _spatial_dims = 1
    _conv = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-d convolution (the layer LazyConv2d becomes; LAZY-CONV-INFER)."""

    _spatial_dims = 2
    _conv = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-d convolution (the layer LazyConv3d becomes; LAZY-CONV-INFER)."""

    _spatial_dims = 3
    _conv = staticmethod(F.conv3d)


class _ConvTranspose(_ConvNd):
    _conv_transpose: Any = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            True,
            output_padding,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _output_padding(self, input: torch.Tensor, output_size: Sequence[int] | None) -> tuple[int, ...]:
        """The configured output padding, or the one that gives ``output_size`` (ValueError if none can)."""
        if output_size is None:
            return self.output_padding
        n = self._spatial_dims
        leading = 2 if input.dim() == n + 2 else 1
        size = list(output_size)
        if len(size) == leading + n:
            size = size[leading:]
        if len(size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} "
                f"or {leading + n} elements (got {len(size)})"
            )
        smallest = [
            (input.size(d + leading) - 1) * self.stride[d]
            - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(n)
        ]
        largest = [low + self.stride[d] - 1 for d, low in enumerate(smallest)]
        for want, low, high in zip(size, smallest, largest, strict=True):
            if not low <= want <= high:
                raise ValueError(
                    f"requested an output size of {size}, but valid sizes range "
                    f"from {smallest} to {largest} (for an input of {input.size()[2:]})"
                )
        return tuple(want - low for want, low in zip(size, smallest, strict=True))

    def forward(self, input: torch.Tensor, output_size: Sequence[int] | None = None) -> torch.Tensor:
        """``F.conv_transposeNd`` with the output padding for ``output_size`` (LAZY-LAYER-FORWARD)."""
        output_padding = self._output_padding(input, output_size)
        return type(self)._conv_transpose(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution (the layer LazyConvTranspose1d becomes; LAZY-CONVT-INFER)."""

    _spatial_dims = 1
    _conv_transpose = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution (the layer LazyConvTranspose2d becomes; LAZY-CONVT-INFER)."""

    _spatial_dims = 2
    _conv_transpose = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution (the layer LazyConvTranspose3d becomes; LAZY-CONVT-INFER)."""

    _spatial_dims = 3
    _conv_transpose = staticmethod(F.conv_transpose3d)


# --------------------------------------------------------------------------------------------------
# normalisation


class _NormBase(Module):
    """Shared state of batch and instance norms: affine ``weight``/``bias`` and running statistics.

    ``_version`` 2: checkpoints of version 1 had no ``num_batches_tracked``.
    """

    _version = 2

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(torch.empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(torch.empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", torch.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch counted."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight ones, bias zeros (LAZY-LAYER-INIT-VALUES)."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: torch.Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        """``num_features, eps=.., momentum=.., affine=.., bias=.., track_running_stats=..``
        (LAZY-LAYER-REPR)."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """A checkpoint older than version 2 without ``num_batches_tracked`` loads as if it had the
        current count (or 0)."""
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            current = self.num_batches_tracked
            usable = current is not None and current.device != torch.device("meta")
            state_dict[key] = current if usable else torch.tensor(0, dtype=torch.long)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


class _BatchNorm(_NormBase):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """``F.batch_norm``: batch statistics in training (updating running ones when tracked, with a
        cumulative average when momentum is None), running statistics in eval (LAZY-LAYER-FORWARD)."""
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if use_running else None,
            self.running_var if use_running else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )


class _BatchNormNd(_BatchNorm):
    _input_dims: tuple[int, ...] = ()

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() not in self._input_dims:
            wanted = " or ".join(f"{d}D" for d in self._input_dims)
            raise ValueError(f"expected {wanted} input (got {input.dim()}D input)")


class BatchNorm1d(_BatchNormNd):
    """Batch norm over (N, C) or (N, C, L) input (the layer LazyBatchNorm1d becomes; LAZY-NORM-INFER)."""

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNormNd):
    """Batch norm over (N, C, H, W) input (the layer LazyBatchNorm2d becomes; LAZY-NORM-INFER)."""

    _input_dims = (4,)


class BatchNorm3d(_BatchNormNd):
    """Batch norm over (N, C, D, H, W) input (the layer LazyBatchNorm3d becomes; LAZY-NORM-INFER)."""

    _input_dims = (5,)


class _InstanceNorm(_NormBase):
    """Instance norm; by default neither affine nor tracking running statistics."""

    _no_batch_dim = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _check_input_dim(self, input: torch.Tensor) -> None:
        dims = (self._no_batch_dim, self._no_batch_dim + 1)
        if input.dim() not in dims:
            raise ValueError(f"expected {dims[0]}D or {dims[1]}D input (got {input.dim()}D input)")

    def _apply_instance_norm(self, input: torch.Tensor) -> torch.Tensor:
        return F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """A checkpoint without a version that has running statistics for a module that does not track
        them: report an error and drop those entries."""
        if local_metadata.get("version") is None and not self.track_running_stats:
            keys = [prefix + n for n in ("running_mean", "running_var") if prefix + n in state_dict]
            if keys:
                names = " and ".join(f'"{k}"' for k in keys)
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {names} for {type(self).__name__} with "
                    "track_running_stats=False: remove them from the state dict, or set "
                    "track_running_stats=True to use them."
                )
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """``F.instance_norm``; unbatched input gets a batch dimension of one for the computation
        (LAZY-LAYER-FORWARD). A channel count that differs from num_features is an error when affine,
        else a warning."""
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features"
                    f" ({self.num_features}), but got: {input.size(feature_dim)}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. "
                "You can silence this warning by not passing in num_features, "
                "which is not used because affine=False",
                stacklevel=2,
            )
        if input.dim() == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (C, L) or (N, C, L) input (the layer LazyInstanceNorm1d becomes)."""

    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (C, H, W) or (N, C, H, W) input (the layer LazyInstanceNorm2d becomes)."""

    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (C, D, H, W) or (N, C, D, H, W) input (the layer LazyInstanceNorm3d becomes)."""

    _no_batch_dim = 4
