"""Lazy modules of the oracle: LazyModuleMixin, UninitializedParameter, UninitializedBuffer and the
lazy layers (spec area: lazy).

A lazy module holds *uninitialized* parameters and buffers (tensors without a shape) until its first
call. A forward pre-hook registered at construction asks ``initialize_parameters`` to give them their
shapes from the call's arguments, then removes itself and turns the module into its ``cls_to_become``.
A load_state_dict pre-hook, registered at construction too, gives them the checkpoint's shapes instead.
"""

from __future__ import annotations

from typing import Any

import torch

from oracle.layers import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    Linear,
)
from oracle.parameter import _BUFFER_MARK, Parameter

__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "LazyModuleMixin",
    "UninitializedBuffer",
    "UninitializedParameter",
]


# --------------------------------------------------------------------------------------------------
# uninitialized tensors

# What may be done with a tensor that has no shape yet: ask its size and kind, convert its dtype or
# device (the result stays empty), copy into it. Reading attributes (dtype, device, requires_grad, .data)
# goes through descriptors, which are always allowed.
_ALLOWED_ON_UNINITIALIZED = frozenset(
    {
        torch.Tensor.__hash__,
        torch.Tensor.size,
        torch.Tensor.copy_,
        torch.Tensor.is_complex,
        torch.Tensor.is_floating_point,
        torch.Tensor.half,
        torch.Tensor.float,
        torch.Tensor.double,
        torch.Tensor.char,
        torch.Tensor.short,
        torch.Tensor.int,
        torch.Tensor.long,
        torch.Tensor.cuda,
        torch.Tensor.cpu,
        torch.Tensor.to,
        torch.Tensor.get_device,
        torch._has_compatible_shallow_copy_type,
    }
)


class _Uninitialized:
    """Behaviour shared by UninitializedParameter and UninitializedBuffer.

    The tensor holds an empty placeholder whose dtype and device are the ones it will materialize with.
    Any other use raises: ``shape`` RuntimeError, operations ValueError.
    """

    cls_to_become: type

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give this very object real storage of ``shape`` (uninitialized values) and turn it into its
        ``cls_to_become``; dtype and device default to the current ones.
        Clauses: LAZY-MATERIALIZE-INPLACE, LAZY-MATERIALIZE-REQUIRES-GRAD, LAZY-MATERIALIZE-DTYPE-DEVICE,
        LAZY-UBUF-MATERIALIZE.
        """
        placeholder = self.data  # type: ignore[attr-defined]
        device = placeholder.device if device is None else device
        dtype = placeholder.dtype if dtype is None else dtype
        # Assigning .data keeps the object, its requires_grad and its Python attributes.
        self.data = torch.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> Any:
        """Reading the shape of an uninitialized tensor is an error (LAZY-UPARAM-SHAPE-ERROR)."""
        raise RuntimeError(
            "an uninitialized parameter or buffer has no shape yet; run the module's forward once "
            "(or load a state dict with real tensors) before reading it"
        )

    def share_memory_(self) -> Any:
        """Uninitialized storage cannot be shared."""
        raise RuntimeError(
            "cannot share the memory of an uninitialized parameter or buffer; run forward first"
        )

    def __repr__(self) -> str:
        """``<UninitializedParameter>`` / ``<UninitializedBuffer>`` (LAZY-UPARAM-REPR)."""
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto: Any) -> Any:
        """Pickled as a fresh uninitialized tensor with the same requires_grad."""
        return (type(self), (self.requires_grad,))  # type: ignore[attr-defined]

    @classmethod
    def __torch_function__(
        cls, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        """Let through the allowed methods and attribute access; any other operation raises ValueError
        (LAZY-UPARAM-OPS-ERROR, LAZY-UPARAM-ATTRS)."""
        if func in _ALLOWED_ON_UNINITIALIZED or type(func).__name__ == "method-wrapper":
            # the next class's dispatch: a Parameter's gives plain tensors, a Tensor's keeps the subclass
            return super().__torch_function__(func, types, args, kwargs or {})  # type: ignore[misc]
        raise ValueError(
            f"{func} was used on an uninitialized parameter or buffer ({cls.__name__}); call the lazy "
            "module once with a sample input to give it a shape before using it"
        )


def _own_tensors(module: Any) -> list[tuple[str, Any]]:
    """(name, value) of a module's own parameters, then buffers (None slots included)."""
    return [*module._parameters.items(), *module._buffers.items()]


def is_lazy(value: Any) -> bool:
    """Whether ``value`` is an uninitialized parameter or buffer."""
    return isinstance(value, _Uninitialized)


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter whose shape is not known yet; ``materialize`` turns it into a Parameter.

    Clauses: LAZY-UPARAM-IS-PARAMETER, LAZY-UPARAM-FACTORY, LAZY-UPARAM-DEEPCOPY and those of
    ``_Uninitialized``.
    """

    cls_to_become = Parameter

    def __new__(
        cls, requires_grad: bool = True, device: Any = None, dtype: Any = None
    ) -> UninitializedParameter:
        placeholder = torch.empty(0, device=device, dtype=dtype)
        return torch.Tensor._make_subclass(cls, placeholder, requires_grad)

    def __deepcopy__(self, memo: dict[int, Any]) -> UninitializedParameter:
        """A new uninitialized parameter, same requires_grad, device and dtype (LAZY-UPARAM-DEEPCOPY)."""
        key = id(self)
        if key not in memo:
            placeholder = self.data
            memo[key] = type(self)(self.requires_grad, placeholder.device, placeholder.dtype)
        return memo[key]


class UninitializedBuffer(_Uninitialized, torch.Tensor):
    """A buffer whose shape is not known yet; ``materialize`` turns it into a plain tensor.

    It carries the oracle's buffer marker and a ``persistent`` flag, so assigning it to a module
    attribute registers a buffer. Clauses: LAZY-UBUF-DEFAULTS, LAZY-UBUF-REGISTER.
    """

    cls_to_become = torch.Tensor

    def __new__(
        cls, requires_grad: bool = False, device: Any = None, dtype: Any = None, persistent: bool = True
    ) -> UninitializedBuffer:
        placeholder = torch.empty(0, device=device, dtype=dtype)
        buffer = torch.Tensor._make_subclass(cls, placeholder, requires_grad)
        buffer.persistent = persistent
        setattr(buffer, _BUFFER_MARK, True)
        return buffer


# --------------------------------------------------------------------------------------------------
# the mixin


class LazyModuleMixin:
    """Mixed in before a Module class: parameters and buffers get their shapes on the first call.

    Set ``cls_to_become`` to the class the module turns into once initialized (None: it stays).
    Subclasses implement ``initialize_parameters(*args, **kwargs)``, which receives the arguments of
    the first call.
    """

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Initialize the module, then register the load_state_dict pre-hook that materializes from a
        checkpoint and the forward pre-hook that infers the shapes (LAZY-MIXIN-FIRST-CALL,
        LAZY-MIXIN-HOOK-ORDER, LAZY-SD-LOAD-MATERIALIZES)."""
        super().__init__(*args, **kwargs)
        self._load_hook = self.register_load_state_dict_pre_hook(type(self)._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(type(self)._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool) -> None:
        """As Module's, but an uninitialized entry is stored as the object itself (it cannot be
        detached) (LAZY-SD-UNINIT). Like torch's, this override saves no extra state.

        Loading needs no override: Module's loading skips the shape check for an uninitialized entry,
        and copying between two of them does nothing (LAZY-SD-LOAD-UNINIT-INTO-LAZY)."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars or is_lazy(param) else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars or is_lazy(buf) else buf.detach()

    def _lazy_load_hook(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """load_state_dict pre-hook: each uninitialized entry whose checkpoint value is a real tensor is
        materialized to that tensor's shape, so that the load copies the values into it
        (LAZY-SD-LOAD-MATERIALIZES, LAZY-SD-LOAD-CLASS)."""
        for name, value in _own_tensors(self):
            key = prefix + name
            if value is None or key not in state_dict or not is_lazy(value):
                continue
            incoming = state_dict[key]
            if not is_lazy(incoming):
                with torch.no_grad():
                    value.materialize(incoming.shape)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Give the uninitialized entries their shapes from the first call's arguments; subclasses must
        implement it (LAZY-MIXIN-INIT-NOT-IMPLEMENTED)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether one of this module's own parameters or buffers (not its children's) is still
        uninitialized (LAZY-MIXIN-HAS-UNINIT, LAZY-MIXIN-HAS-UNINIT-OWN-ONLY)."""
        return any(is_lazy(value) for _name, value in _own_tensors(self))

    def _infer_parameters(self, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> None:
        """Forward pre-hook of the first call: initialize from the call's arguments, insist that nothing
        is left uninitialized (RuntimeError), remove both lazy hooks and switch to ``cls_to_become``.
        Clauses: LAZY-MIXIN-FIRST-CALL, LAZY-MIXIN-ONCE, LAZY-MIXIN-NOT-FULLY-INIT, LAZY-MIXIN-CLS-TO-BECOME.
        """
        self.initialize_parameters(*args, **(kwargs or {}))
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self._initialize_hook.remove()
        self._load_hook.remove()
        del self._initialize_hook
        del self._load_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _replicate_for_data_parallel(self) -> Any:
        raise RuntimeError(
            "a module with uninitialized parameters cannot be replicated for data parallelism; "
            "run a forward pass with a sample input first"
        )


# --------------------------------------------------------------------------------------------------
# lazy layers


class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is inferred from the last dimension of the first input (LAZY-LINEAR-INFER)."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """Only once the parameters have their shapes (LAZY-LAYER-INIT-VALUES)."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: torch.Tensor) -> None:  # type: ignore[override]
        """in_features = input.shape[-1]; weight (out_features, in_features), bias (out_features,)
        (LAZY-LINEAR-INFER). After a load_state_dict materialized the parameters, in_features is taken
        from the input on the next call and must match the weight (LAZY-SD-LOAD-CLASS)."""
        if self.has_uninitialized_params():
            with torch.no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = input.shape[-1]


class _LazyConvMixin(LazyModuleMixin):
    """in_channels is inferred from the channel dimension of the first input (dim 1 when batched, dim 0
    when not); the weight then gets its shape from it."""

    in_channels: int
    out_channels: int
    groups: int
    transposed: bool
    kernel_size: tuple[int, ...]
    _spatial_dims: int

    def _lazy_conv_init(self, out_channels: int, bias: bool, device: Any, dtype: Any) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """Only once the parameters have their shapes (LAZY-LAYER-INIT-VALUES)."""
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()  # type: ignore[misc]

    def _infer_in_channels(self, input: torch.Tensor) -> int:
        """The channel count of a batched or unbatched input; another rank is a RuntimeError
        (LAZY-CONV-INPUT-DIM)."""
        unbatched = self._spatial_dims + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(
                f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input: torch.Tensor, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Infer in_channels, check it against groups (ValueError), materialize weight and bias, and
        initialize them as the target convolution does.
        Clauses: LAZY-CONV-INFER, LAZY-CONVT-INFER, LAZY-CONV-GROUPS."""
        if not self.has_uninitialized_params():
            return
        self.in_channels = self._infer_in_channels(input)
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
        else:
            self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class _LazyConv(_LazyConvMixin):
    def __init__(
        self,
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
        super().__init__(  # type: ignore[call-arg]
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype
        )
        self._lazy_conv_init(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    def __init__(
        self,
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
        super().__init__(  # type: ignore[call-arg]
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
            device,
            dtype,
        )
        self._lazy_conv_init(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """Conv1d with in_channels inferred (LAZY-CONV-INFER)."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """Conv2d with in_channels inferred (LAZY-CONV-INFER)."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """Conv3d with in_channels inferred (LAZY-CONV-INFER)."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """ConvTranspose1d with in_channels inferred (LAZY-CONVT-INFER)."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """ConvTranspose2d with in_channels inferred (LAZY-CONVT-INFER)."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """ConvTranspose3d with in_channels inferred (LAZY-CONVT-INFER)."""

    cls_to_become = ConvTranspose3d


class _LazyNormMixin(LazyModuleMixin):
    """num_features is inferred from dim 1 of the first input; affine parameters and running
    statistics are uninitialized until then. Defaults: affine and tracking running statistics, for
    instance norms too (LAZY-INSTNORM-DEFAULTS)."""

    num_features: int
    affine: bool
    track_running_stats: bool

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)  # type: ignore[call-arg]
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = torch.tensor(0, dtype=torch.long, device=device)

    def reset_parameters(self) -> None:
        """Only once the entries have their shapes (LAZY-LAYER-INIT-VALUES)."""
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: torch.Tensor) -> None:  # type: ignore[override]
        """num_features = input.shape[1], even for unbatched instance-norm input
        (LAZY-NORM-INFER, LAZY-INSTNORM-UNBATCHED-QUIRK)."""
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        if self.affine:
            self.weight.materialize((self.num_features,))
            if self.bias is not None:
                self.bias.materialize((self.num_features,))
        if self.track_running_stats:
            self.running_mean.materialize((self.num_features,))
            self.running_var.materialize((self.num_features,))
        self.reset_parameters()


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """BatchNorm1d with num_features inferred (LAZY-NORM-INFER)."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """BatchNorm2d with num_features inferred (LAZY-NORM-INFER)."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """BatchNorm3d with num_features inferred (LAZY-NORM-INFER)."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormMixin, InstanceNorm1d):
    """InstanceNorm1d with num_features inferred (LAZY-NORM-INFER, LAZY-INSTNORM-DEFAULTS)."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormMixin, InstanceNorm2d):
    """InstanceNorm2d with num_features inferred (LAZY-NORM-INFER, LAZY-INSTNORM-DEFAULTS)."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormMixin, InstanceNorm3d):
    """InstanceNorm3d with num_features inferred (LAZY-NORM-INFER, LAZY-INSTNORM-DEFAULTS)."""

    cls_to_become = InstanceNorm3d
