"""apply mutants: torch with one realistic bug each in the apply area (see mutants/catalog.py).

Each mutant overrides one conversion method of ``torch.nn.Module`` in a subclass named ``Module``.
``_buggy_apply`` restates torch 2.13's ``Module._apply`` (swap path, set-data path, replace path,
``.grad`` handling, buffers) with keyword switches that each turn on one bug; with no switch it
behaves as torch does. Wrappers of the public methods differ from torch only where marked ``bug:``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch

from mutants.catalog import mutant, torch_namespace

Parameter = torch.nn.Parameter
Tensor = torch.Tensor


def _buggy_apply(
    self: Any,
    fn: Callable[[Tensor], Tensor],
    recurse: bool = True,
    *,
    always_new: bool = False,
    skip_grad: bool = False,
    skip_children: bool = False,
    ignore_overwrite: bool = False,
    lose_requires_grad: bool = False,
    ignore_swap: bool = False,
    new_grad: bool = False,
) -> Any:
    if recurse and not skip_children:
        for module in self.children():
            module._apply(fn)

    def keeps(old: Tensor, new: Tensor) -> bool:
        if always_new or not torch._has_compatible_shallow_copy_type(old, new):
            return False
        return ignore_overwrite or not torch.__future__.get_overwrite_module_params_on_conversion()

    swap = torch.__future__.get_swap_module_params_on_conversion() and not ignore_swap
    for key, param in self._parameters.items():
        if param is None:
            continue
        with torch.no_grad():
            applied = fn(param)
        grad = param.grad
        if swap:
            if grad is not None:
                param.grad = None
            torch.utils.swap_tensors(param, Parameter(applied, requires_grad=param.requires_grad))
            out = param
        elif keeps(param, applied):
            param.data = applied
            out = param
        else:
            out = Parameter(applied, True if lose_requires_grad else param.requires_grad)
            self._parameters[key] = out
        if grad is None or skip_grad:
            continue
        with torch.no_grad():
            grad_applied = fn(grad)
        if swap:
            grad_applied.requires_grad_(grad.requires_grad)
            torch.utils.swap_tensors(grad, grad_applied)
            out.grad = grad
        elif keeps(grad, grad_applied) and not new_grad:
            out.grad.data = grad_applied
        else:
            out.grad = grad_applied.requires_grad_(grad.requires_grad)
    for key, buf in self._buffers.items():
        if buf is not None:
            self._buffers[key] = fn(buf)
    return self


def _apply_mutant(**bug: bool) -> SimpleNamespace:
    class Module(torch.nn.Module):
        def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Any:
            return _buggy_apply(self, fn, recurse, **bug)

    return torch_namespace(Module=Module)


@mutant(
    "apply-cast-replaces-parameter",
    "apply",
    "_apply registers a new Parameter on every conversion, even a dtype cast that could keep the object",
)
def _cast_replaces_parameter() -> SimpleNamespace:
    return _apply_mutant(always_new=True)


@mutant("apply-grad-not-converted", "apply", "_apply converts parameters but leaves their .grad as it was")
def _grad_not_converted() -> SimpleNamespace:
    return _apply_mutant(skip_grad=True)


@mutant("apply-to-no-recurse", "apply", "_apply converts the module's own tensors only, never its children")
def _to_no_recurse() -> SimpleNamespace:
    return _apply_mutant(skip_children=True)


@mutant(
    "apply-overwrite-flag-ignored",
    "apply",
    "_apply ignores torch.__future__'s overwrite switch and keeps Parameter objects anyway",
)
def _overwrite_flag_ignored() -> SimpleNamespace:
    return _apply_mutant(ignore_overwrite=True)


@mutant(
    "apply-swap-flag-ignored",
    "apply",
    "_apply ignores torch.__future__'s swap switch, so meta moves still make new Parameter objects",
)
def _swap_flag_ignored() -> SimpleNamespace:
    return _apply_mutant(ignore_swap=True)


@mutant(
    "apply-new-param-requires-grad",
    "apply",
    "a Parameter made anew by _apply (meta move, overwrite switch) always requires grad",
)
def _new_param_requires_grad() -> SimpleNamespace:
    return _apply_mutant(lose_requires_grad=True)


@mutant(
    "apply-float-casts-integers", "apply", "float() casts every tensor, integer and bool buffers included"
)
def _float_casts_integers() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def float(self) -> Any:
            return self._apply(lambda t: t.float())  # bug: no `if t.is_floating_point() else t`

    return torch_namespace(Module=Module)


@mutant("apply-half-skips-buffers", "apply", "half() casts parameters but leaves floating buffers alone")
def _half_skips_buffers() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def half(self) -> Any:
            def cast(t: Tensor) -> Tensor:
                if not isinstance(t, Parameter):  # bug: buffers are floating too
                    return t
                return t.half() if t.is_floating_point() else t

            return self._apply(cast)

    return torch_namespace(Module=Module)


@mutant(
    "apply-to-complex-skipped", "apply", "to(dtype) casts real floating tensors only, leaving complex ones"
)
def _to_complex_skipped() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def to(self, *args: Any, **kwargs: Any) -> Any:
            device, dtype, non_blocking, fmt = torch._C._nn._parse_to(*args, **kwargs)
            if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, got {dtype}")

            def convert(t: Tensor) -> Tensor:
                target = dtype if t.is_floating_point() else None  # bug: `or t.is_complex()` missing
                if fmt is not None and t.dim() in (4, 5):
                    return t.to(device, target, non_blocking, memory_format=fmt)
                return t.to(device, target, non_blocking)

            return self._apply(convert)

    return torch_namespace(Module=Module)


@mutant(
    "apply-to-int-dtype-accepted",
    "apply",
    "to(torch.int64) is accepted and casts floating tensors to integers instead of raising TypeError",
)
def _to_int_dtype_accepted() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def to(self, *args: Any, **kwargs: Any) -> Any:
            device, dtype, non_blocking, _ = torch._C._nn._parse_to(*args, **kwargs)
            # bug: no dtype check
            return self._apply(lambda t: t.to(device, dtype if t.is_floating_point() else None, non_blocking))

    return torch_namespace(Module=Module)


@mutant("apply-to-empty-ignores-recurse", "apply", "to_empty(recurse=False) still converts every submodule")
def _to_empty_ignores_recurse() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def to_empty(self, *, device: Any, recurse: bool = True) -> Any:
            return self._apply(lambda t: torch.empty_like(t, device=device))  # bug: recurse not passed

    return torch_namespace(Module=Module)


@mutant(
    "apply-to-empty-loses-dtype", "apply", "to_empty() makes every tensor float32 instead of keeping dtypes"
)
def _to_empty_float32() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def to_empty(self, *, device: Any, recurse: bool = True) -> Any:
            # bug: dtype=torch.float32 forced
            return self._apply(
                lambda t: torch.empty_like(t, device=device, dtype=torch.float32), recurse=recurse
            )

    return torch_namespace(Module=Module)


@mutant(
    "apply-grad-new-object-on-cast",
    "apply",
    "_apply keeps each Parameter object on a cast but sets a new tensor as its .grad instead of keeping it",
)
def _grad_new_object_on_cast() -> SimpleNamespace:
    return _apply_mutant(new_grad=True)


@mutant("apply-type-floating-only", "apply", "type(dst_type) casts floating tensors only, like float()")
def _type_floating_only() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def type(self, dst_type: Any) -> Any:
            # bug: torch's type() casts every tensor, integer and bool ones included
            return self._apply(lambda t: t.type(dst_type) if t.is_floating_point() else t)

    return torch_namespace(Module=Module)


@mutant("apply-cpu-no-recurse", "apply", "cpu() moves the module's own tensors only, not its submodules'")
def _cpu_no_recurse() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def cpu(self) -> Any:
            return self._apply(lambda t: t.cpu(), recurse=False)  # bug: torch recurses

    return torch_namespace(Module=Module)


@mutant(
    "apply-to-tensor-ignores-dtype",
    "apply",
    "to(tensor) moves the tree to the tensor's device but ignores the tensor's dtype",
)
def _to_tensor_ignores_dtype() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def to(self, *args: Any, **kwargs: Any) -> Any:
            if args and isinstance(args[0], Tensor):
                # bug: only the device of the tensor is used
                return super().to(args[0].device, *args[1:], **kwargs)
            if isinstance(kwargs.get("tensor"), Tensor):
                rest = {k: v for k, v in kwargs.items() if k != "tensor"}
                return super().to(kwargs["tensor"].device, *args, **rest)  # bug: likewise
            return super().to(*args, **kwargs)

    return torch_namespace(Module=Module)
