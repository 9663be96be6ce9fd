"""Reference ``Parameter`` and ``Buffer``: tensor markers that a Module registers on assignment.

Both are built directly on ``torch.Tensor``; nothing from ``torch.nn`` is used.

* A ``Parameter`` is a real Tensor subclass that shares storage with the tensor it wraps. Operations
  on it give plain tensors, because the subclass turns ``__torch_function__`` off.
* A ``Buffer(...)`` call gives a *plain* tensor tagged with a marker attribute and a ``persistent``
  flag; ``isinstance(x, Buffer)`` looks at the marker.
"""

from __future__ import annotations

from typing import Any

import torch
from torch._C import _disabled_torch_function_impl

__all__ = ["Buffer", "Parameter"]

# Attribute names of the markers. They are the oracle's own, so that tensors tagged by torch.nn
# (``_is_param`` / ``_is_buffer``) are not mistaken for oracle objects and vice versa.
_PARAM_MARK = "_oracle_param"
_BUFFER_MARK = "_oracle_buffer"


class _ParameterMeta(torch._C._TensorMeta):
    """Lets ``isinstance(t, Parameter)`` accept tensors of custom subclasses marked as parameters."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is Parameter and isinstance(instance, torch.Tensor) and getattr(instance, _PARAM_MARK, False):
            return True
        return super().__instancecheck__(instance)


class Parameter(torch.Tensor, metaclass=_ParameterMeta):
    """A tensor that a Module registers as a parameter when it is assigned as an attribute.

    Clauses: REG-PARAMETER-REQUIRES-GRAD-DEFAULT, REG-PARAMETER-REQUIRES-GRAD-FALSE,
    REG-PARAMETER-ISINSTANCE, REG-PARAMETER-SHARES-DATA, REG-PARAMETER-NO-DATA,
    REG-PARAMETER-OPS-PLAIN, REG-PARAMETER-DEEPCOPY, REG-PARAMETER-PICKLE, REG-PARAMETER-REPR.
    """

    def __new__(cls, data: torch.Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = torch.empty(0)
        if type(data) is torch.Tensor or type(data) is Parameter:
            # The ordinary case: a new leaf tensor object of class ``cls`` over the same storage.
            # ``requires_grad`` is set explicitly, so ``torch.no_grad()`` has no say in it.
            return torch.Tensor._make_subclass(cls, data, requires_grad)

        # Any other tensor subclass keeps its own type: a detached alias carrying the marker.
        alias = data.detach().requires_grad_(requires_grad)
        if type(alias) is not type(data):
            raise RuntimeError(
                f"cannot make a Parameter from a {type(data).__name__}: its detach() returned a "
                f"{type(alias).__name__}, but the same type is required"
            )
        setattr(alias, _PARAM_MARK, True)
        return alias

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        """A new Parameter over a clone of the data, made once per deepcopy call (REG-PARAMETER-DEEPCOPY).

        Only data and requires_grad are carried over (not ``.grad`` nor Python attributes).
        """
        key = id(self)
        if key in memo:
            return memo[key]
        copied = type(self)(self.data.clone(memory_format=torch.preserve_format), self.requires_grad)
        memo[key] = copied
        return copied

    def __repr__(self) -> str:  # type: ignore[override]
        """``"Parameter containing:"`` on its own line, then the tensor's repr (REG-PARAMETER-REPR)."""
        return "Parameter containing:\n" + _plain_tensor_repr(self)

    def __reduce_ex__(self, proto: Any) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as (data, requires_grad, Python attributes); rebuilt as a Parameter (REG-PARAMETER-PICKLE).

        Hooks on the tensor are deliberately not serialized.
        """
        attrs = getattr(self, "__dict__", None)
        if not attrs:
            return (_rebuild_parameter, (self.data, self.requires_grad))
        return (_rebuild_parameter, (self.data, self.requires_grad, dict(attrs)))

    __torch_function__ = _disabled_torch_function_impl


def _plain_tensor_repr(t: torch.Tensor) -> str:
    """The repr ``t`` would have as a plain tensor (``tensor(...)``, not ``Parameter(...)``).

    It is rendered from a detached alias, with the autograd suffix put back: ``requires_grad=True``
    for a leaf, ``grad_fn=<...>`` for a parameter made non-leaf by an in-place operation.
    """
    alias = t.detach()
    grad_fn = t.grad_fn
    if grad_fn is None:
        return torch.Tensor.__repr__(alias.requires_grad_(t.requires_grad))
    text = torch.Tensor.__repr__(alias)[:-1]  # without the closing parenthesis
    suffix = f"grad_fn=<{type(grad_fn).__name__}>"
    if type(grad_fn).__name__ == "CppFunction":
        suffix = f"grad_fn=<{grad_fn.name().rsplit('::', 1)[-1]}>"
    last_line = len(text) - text.rfind("\n") + 1
    if last_line + len(suffix) + 2 > torch._tensor_str.PRINT_OPTS.linewidth:
        return text + ",\n" + " " * len("tensor(") + suffix + ")"
    return text + ", " + suffix + ")"


def _rebuild_parameter(
    data: torch.Tensor, requires_grad: bool, attrs: dict[str, Any] | None = None
) -> Parameter:
    """Unpickling counterpart of ``Parameter.__reduce_ex__``."""
    param = Parameter(data, requires_grad)
    if attrs:
        for key, value in attrs.items():
            setattr(param, key, value)
    return param


class _BufferMeta(torch._C._TensorMeta):
    """Makes ``isinstance(t, Buffer)`` true for any tensor carrying the oracle's buffer marker."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is Buffer and isinstance(instance, torch.Tensor) and getattr(instance, _BUFFER_MARK, False):
            return True
        return super().__instancecheck__(instance)


class Buffer(torch.Tensor, metaclass=_BufferMeta):
    """Tags a tensor to be registered as a buffer when assigned to a Module attribute.

    ``Buffer(data, persistent=...)`` returns a plain ``torch.Tensor`` (a detached alias of ``data``
    that keeps ``data.requires_grad``) with a ``persistent`` attribute and the oracle's marker.
    Clauses: REG-BUFFER-CLASS (and, through Module.__setattr__, REG-SETATTR-BUFFER-CLASS).
    """

    def __new__(cls, data: torch.Tensor | None = None, *, persistent: bool = True) -> Any:
        if data is None:
            data = torch.empty(0)
        tagged = data.detach().requires_grad_(data.requires_grad)
        tagged.persistent = persistent
        setattr(tagged, _BUFFER_MARK, True)
        return tagged

    __torch_function__ = _disabled_torch_function_impl
