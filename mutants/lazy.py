"""lazy mutants: torch with one realistic bug each in the lazy area (see mutants/catalog.py).

Each mutant replaces one lazy class of the namespace by a subclass named like the original that
overrides one method or attribute. Where an override copies a torch method, the copy differs from
torch 2.13's code only where the comment says ``bug:``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch

from mutants.catalog import mutant, torch_namespace

nn = torch.nn


@mutant(
    "lazy-linear-stays-lazy",
    "lazy",
    "LazyLinear has no cls_to_become, so it stays a LazyLinear after its first call",
)
def _linear_stays_lazy() -> SimpleNamespace:
    class LazyLinear(nn.LazyLinear):
        cls_to_become = None  # bug: torch sets Linear

    return torch_namespace(LazyLinear=LazyLinear)


@mutant(
    "lazy-materialize-new-object",
    "lazy",
    "UninitializedParameter.materialize returns a new Parameter and leaves the object uninitialized",
)
def _materialize_new_object() -> SimpleNamespace:
    class UninitializedParameter(nn.UninitializedParameter):
        def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> Any:
            if device is None:
                device = self.data.device
            if dtype is None:
                dtype = self.data.dtype
            # bug: builds a new Parameter instead of changing self in place
            return nn.Parameter(torch.empty(shape, device=device, dtype=dtype), self.requires_grad)

    return torch_namespace(UninitializedParameter=UninitializedParameter)


@mutant(
    "lazy-materialize-requires-grad-reset",
    "lazy",
    "materialize resets requires_grad to the Parameter default True",
)
def _materialize_requires_grad_reset() -> SimpleNamespace:
    class UninitializedParameter(nn.UninitializedParameter):
        def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
            super().materialize(shape, device, dtype)
            self.requires_grad_(True)  # bug: the uninitialized parameter's requires_grad is forgotten

    return torch_namespace(UninitializedParameter=UninitializedParameter)


@mutant("lazy-has-uninit-always-false", "lazy", "LazyLinear.has_uninitialized_params always answers False")
def _has_uninit_always_false() -> SimpleNamespace:
    class LazyLinear(nn.LazyLinear):
        def has_uninitialized_params(self) -> bool:
            return False  # bug

    return torch_namespace(LazyLinear=LazyLinear)


@mutant(
    "lazy-load-no-materialize",
    "lazy",
    "the lazy load_state_dict pre-hook of LazyLinear does nothing, so loading never materializes",
)
def _load_no_materialize() -> SimpleNamespace:
    class LazyLinear(nn.LazyLinear):
        def _lazy_load_hook(self, *args: Any) -> None:
            return None  # bug: torch materializes each lazy entry to the checkpoint's shape

    return torch_namespace(LazyLinear=LazyLinear)


@mutant("lazy-linear-in-features-first-dim", "lazy", "LazyLinear infers in_features from input.shape[0]")
def _linear_in_features_first_dim() -> SimpleNamespace:
    class LazyLinear(nn.LazyLinear):
        def initialize_parameters(self, input: torch.Tensor) -> None:  # type: ignore[override]
            if self.has_uninitialized_params():
                with torch.no_grad():
                    self.in_features = input.shape[0]  # bug: torch takes input.shape[-1]
                    self.weight.materialize((self.out_features, self.in_features))
                    if self.bias is not None:
                        self.bias.materialize((self.out_features,))
                    self.reset_parameters()

    return torch_namespace(LazyLinear=LazyLinear)


@mutant(
    "lazy-instnorm-defaults-not-affine",
    "lazy",
    "LazyInstanceNorm1d defaults to affine=False, track_running_stats=False like InstanceNorm1d",
)
def _instnorm_defaults_not_affine() -> SimpleNamespace:
    class LazyInstanceNorm1d(nn.LazyInstanceNorm1d):
        def __init__(
            self,
            eps: float = 1e-5,
            momentum: float = 0.1,
            affine: bool = False,  # bug: torch's lazy instance norms default to True
            track_running_stats: bool = False,  # bug: likewise
            device: Any = None,
            dtype: Any = None,
            *,
            bias: bool = True,
        ) -> None:
            super().__init__(eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    return torch_namespace(LazyInstanceNorm1d=LazyInstanceNorm1d)


@mutant(
    "lazy-convt-weight-like-conv",
    "lazy",
    "LazyConvTranspose2d materializes its weight as (out, in / groups, *k) like a plain convolution",
)
def _convt_weight_like_conv() -> SimpleNamespace:
    class LazyConvTranspose2d(nn.LazyConvTranspose2d):
        def initialize_parameters(self, input: torch.Tensor, *args: Any, **kwargs: Any) -> None:
            if self.has_uninitialized_params():
                self.in_channels = self._get_in_channels(input)
                if self.in_channels % self.groups != 0:
                    raise ValueError("in_channels must be divisible by groups")
                # bug: the transposed layout (in, out / groups, *k) is not used
                self.weight.materialize(
                    (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
                )
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    return torch_namespace(LazyConvTranspose2d=LazyConvTranspose2d)


@mutant(
    "lazy-materialize-construction-dtype",
    "lazy",
    "UninitializedParameter.materialize uses the dtype given at construction, not that of a later conversion",
)
def _materialize_construction_dtype() -> SimpleNamespace:
    class UninitializedParameter(nn.UninitializedParameter):
        def __new__(cls, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> Any:
            made = super().__new__(cls, requires_grad, device, dtype)
            made._made_with = made.data.dtype  # remembered once, at construction
            return made

        def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
            if dtype is None:
                dtype = self._made_with  # bug: torch reads self.data.dtype, which .double() / .to() change
            super().materialize(shape, device, dtype)

    return torch_namespace(UninitializedParameter=UninitializedParameter)


def _mixin_namespace(mixin: type) -> SimpleNamespace:
    return torch_namespace(LazyModuleMixin=mixin)


@mutant(
    "lazy-mixin-hooks-removed-before-check",
    "lazy",
    "the lazy pre-hook is removed before the fully-initialized check, so a failed first call is not retried",
)
def _mixin_hooks_removed_before_check() -> SimpleNamespace:
    class LazyModuleMixin(nn.modules.lazy.LazyModuleMixin):
        def _infer_parameters(self, module: Any, args: Any, kwargs: Any = None) -> None:
            module.initialize_parameters(*args, **(kwargs or {}))
            # bug: torch removes the hooks only once the check below has passed
            module._initialize_hook.remove()
            module._load_hook.remove()
            delattr(module, "_initialize_hook")
            delattr(module, "_load_hook")
            if module.has_uninitialized_params():
                raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
            if module.cls_to_become is not None:
                module.__class__ = module.cls_to_become

    return _mixin_namespace(LazyModuleMixin)


@mutant(
    "lazy-mixin-has-uninit-ignores-buffers",
    "lazy",
    "LazyModuleMixin.has_uninitialized_params looks at the module's parameters only, not its buffers",
)
def _mixin_has_uninit_ignores_buffers() -> SimpleNamespace:
    is_lazy = nn.parameter.is_lazy

    class LazyModuleMixin(nn.modules.lazy.LazyModuleMixin):
        def has_uninitialized_params(self) -> bool:
            return any(is_lazy(p) for p in self._parameters.values())  # bug: self._buffers skipped

    return _mixin_namespace(LazyModuleMixin)


@mutant(
    "lazy-batchnorm-stats-not-reset",
    "lazy",
    "LazyBatchNorm2d materializes running_mean/running_var but never resets them to zeros and ones",
)
def _batchnorm_stats_not_reset() -> SimpleNamespace:
    class LazyBatchNorm2d(nn.LazyBatchNorm2d):
        def reset_parameters(self) -> None:
            if self.has_uninitialized_params() or self.num_features == 0:
                return
            # bug: reset_running_stats() is not called, the statistics keep torch.empty's memory
            if self.affine:
                nn.init.ones_(self.weight)
                if self.bias is not None:
                    nn.init.zeros_(self.bias)

    return torch_namespace(LazyBatchNorm2d=LazyBatchNorm2d)
