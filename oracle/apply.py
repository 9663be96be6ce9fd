"""Device and dtype transfer of the oracle's Module: ``_apply`` and what stands on it (spec area: apply).

A mixin of :class:`oracle.module.Module`; it relies on the registries Module.__init__ creates
(``_parameters``, ``_buffers``, ``_modules``) and on ``_get_name``.

Every public method here is ``_apply`` with one per-tensor conversion. ``_apply`` converts the
children first (once per child slot), then the module's own parameters (with their ``.grad``), then
its buffers. How a converted parameter lands back in the module depends on two global switches in
``torch.__future__`` (read, never set, here) and on whether the old and new tensors can share one
tensor object:

* swap: the new value is wrapped as a Parameter and the two objects' contents are exchanged, so the
  registered object keeps its identity;
* set data: the registered object keeps its identity and gets the new data;
* replace: a new Parameter object is registered in place of the old one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from oracle.parameter import Parameter

__all__: list[str] = []

_COMPLEX_WARNING = (
    "Complex modules are a new feature under active development whose design may change, and some "
    "modules might not work as expected when using complex tensors as parameters or buffers."
)


def _keeps_object(old: torch.Tensor, new: torch.Tensor) -> bool:
    """Whether the old tensor object should take the new data in place (APPLY-IDENTITY-*)."""
    from torch._subclasses.fake_tensor import FakeTensor

    if not torch._has_compatible_shallow_copy_type(old, new) or isinstance(new, FakeTensor):
        return False
    return not torch.__future__.get_overwrite_module_params_on_conversion()


def _uses_swap(old: torch.Tensor, new: torch.Tensor) -> bool:
    """Whether the swap path is taken for one parameter (APPLY-SWAP-FLAG)."""
    from torch._subclasses.fake_tensor import FakeTensor
    from torch.utils._python_dispatch import is_traceable_wrapper_subclass

    return (
        torch.__future__.get_swap_module_params_on_conversion()
        or is_traceable_wrapper_subclass(new)
        or isinstance(old, FakeTensor)
    )


def _cast_if_floating(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``t`` cast to ``dtype`` if it is a real floating tensor; otherwise ``t`` itself (APPLY-FLOAT-ONLY)."""
    return t.to(dtype) if t.is_floating_point() else t


class TransferMixin:
    """``_apply``, ``to``, ``cpu``, ``cuda``, ``type``, ``float`` and friends."""

    _parameters: dict[str, Any]
    _buffers: dict[str, Any]
    _modules: dict[str, Any]

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> Any:
        """Convert every tensor of the tree with ``fn``.

        Clauses: APPLY-RECURSE, APPLY-RETURNS-SELF, APPLY-PARAM-STAYS-PARAMETER, APPLY-REQUIRES-GRAD,
        APPLY-GRAD-CONVERTED, APPLY-IDENTITY-KEPT, APPLY-IDENTITY-NEW, APPLY-OVERWRITE-FLAG,
        APPLY-SWAP-FLAG, APPLY-BUFFERS-REPLACED, APPLY-NONE-SLOTS.
        """
        if recurse:
            seen: list[Any] = []  # a child held in two slots of this module is converted once
            for child in self._modules.values():
                if child is not None and not any(child is s for s in seen):
                    seen.append(child)
                    child._apply(fn)
        for key, param in self._parameters.items():
            if param is None:
                continue
            with torch.no_grad():
                new = fn(param)
            grad = param.grad
            swap = _uses_swap(param, new)
            if swap:
                self._swap_parameter(key, param, new, grad)
                result = param
            elif _keeps_object(param, new):
                param.data = new
                result = param
            else:
                result = Parameter(new, param.requires_grad)
                self._parameters[key] = result
            if grad is not None:
                self._apply_to_grad(key, result, grad, fn, swap)
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def _swap_parameter(self, key: str, param: Any, new: torch.Tensor, grad: torch.Tensor | None) -> None:
        """Exchange the contents of ``param`` and a Parameter wrapping ``new`` (APPLY-SWAP-FLAG)."""
        try:
            if grad is not None:
                param.grad = None
            torch.utils.swap_tensors(param, Parameter(new, requires_grad=param.requires_grad))
        except Exception as e:
            if grad is not None:
                param.grad = grad
            raise RuntimeError(f"_apply(): Couldn't swap {type(self).__name__}.{key}") from e

    def _apply_to_grad(
        self, key: str, param: Any, grad: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor], swap: bool
    ) -> None:
        """Convert a parameter's ``.grad`` the way the parameter was converted (APPLY-GRAD-CONVERTED)."""
        with torch.no_grad():
            new = fn(grad)
        if swap:
            new.requires_grad_(grad.requires_grad)
            try:
                torch.utils.swap_tensors(grad, new)
            except Exception as e:
                raise RuntimeError(f"_apply(): Couldn't swap {type(self).__name__}.{key}.grad") from e
            param.grad = grad
        elif _keeps_object(grad, new):
            param.grad.data = new
        else:
            param.grad = new.requires_grad_(grad.requires_grad)

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """Move and/or cast: ``to(device, dtype, non_blocking)``, ``to(dtype)``, ``to(tensor)``,
        ``to(memory_format=...)``.

        Clauses: APPLY-TO-FORMS, APPLY-TO-DTYPE-FLOATING, APPLY-TO-DTYPE-ERROR, APPLY-TO-MEMORY-FORMAT,
        APPLY-TO-COMPLEX-WARNS, APPLY-META-TO-ERROR, APPLY-CUDA-TO.
        """
        device, dtype, non_blocking, memory_format = torch._C._nn._parse_to(*args, **kwargs)
        if dtype is not None:
            if not (dtype.is_floating_point or dtype.is_complex):
                raise TypeError(
                    "nn.Module.to only accepts floating point or complex dtypes, "
                    f"but got desired dtype={dtype}"
                )
            if dtype.is_complex:
                import warnings

                warnings.warn(_COMPLEX_WARNING, stacklevel=2)

        def convert(t: torch.Tensor) -> torch.Tensor:
            target = dtype if (t.is_floating_point() or t.is_complex()) else None
            try:
                if memory_format is not None and t.dim() in (4, 5):
                    return t.to(device, target, non_blocking, memory_format=memory_format)
                return t.to(device, target, non_blocking)
            except NotImplementedError as e:
                if str(e) == "Cannot copy out of meta tensor; no data!":
                    raise NotImplementedError(
                        f"{e} Use to_empty() rather than to() to move a module off the meta device."
                    ) from None
                raise

        return self._apply(convert)

    def cpu(self) -> Any:
        """Move every tensor to the CPU. Clauses: APPLY-CPU, APPLY-CUDA-ROUNDTRIP."""
        return self._apply(lambda t: t.cpu())

    def cuda(self, device: Any = None) -> Any:
        """Move every tensor to a CUDA device. Clauses: APPLY-CUDA, APPLY-CUDA-GRAD."""
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type: Any) -> Any:
        """Cast every tensor, whatever its dtype, to ``dst_type``. Clauses: APPLY-TYPE-ALL."""
        return self._apply(lambda t: t.type(dst_type))

    def float(self) -> Any:
        """Cast floating tensors to float32. Clauses: APPLY-FLOAT-ONLY."""
        return self._apply(lambda t: _cast_if_floating(t, torch.float32))

    def double(self) -> Any:
        """Cast floating tensors to float64. Clauses: APPLY-FLOAT-ONLY."""
        return self._apply(lambda t: _cast_if_floating(t, torch.float64))

    def half(self) -> Any:
        """Cast floating tensors to float16. Clauses: APPLY-FLOAT-ONLY."""
        return self._apply(lambda t: _cast_if_floating(t, torch.float16))

    def bfloat16(self) -> Any:
        """Cast floating tensors to bfloat16. Clauses: APPLY-FLOAT-ONLY."""
        return self._apply(lambda t: _cast_if_floating(t, torch.bfloat16))

    def to_empty(self, *, device: Any, recurse: bool = True) -> Any:
        """Replace every tensor by an uninitialised one of the same shape and dtype on ``device``.

        Clauses: APPLY-TO-EMPTY, APPLY-TO-EMPTY-RECURSE.
        """
        return self._apply(lambda t: torch.empty_like(t, device=device), recurse=recurse)
