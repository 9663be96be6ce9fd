"""Hooks of the oracle's Module and calling a module (spec area: hooks).

A mixin of :class:`oracle.module.Module`. ``_init_hook_registries`` is called by Module.__init__ and
creates every per-module hook registry. Global hooks live in module-level registries here and are
registered with the ``register_module_*`` functions.

The state-dict hooks are registered here and *run* by :mod:`oracle.state_dict` through the four
``_run_*`` methods below, at the points of ``state_dict`` / ``load_state_dict`` where torch runs them.
Their signatures are the contract between the two files.

Backward hooks are built from an identity autograd Function applied to a call's tensor inputs and to
its tensor outputs; its backward runs the hooks (no torch module or hook internals).
"""

from __future__ import annotations

import itertools
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch

__all__: list[str] = [
    "RemovableHandle",
    "register_module_backward_hook",
    "register_module_buffer_registration_hook",
    "register_module_forward_hook",
    "register_module_forward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
]

_handle_ids = itertools.count()


class _Registry(OrderedDict):  # type: ignore[type-arg]
    """An ordered hook table that handles can refer to weakly. Like torch's tables it is an
    OrderedDict, which also decides what a hook removing itself while the table is iterated does."""


class RemovableHandle:
    """A handle that removes one hook (and its option entries) from its registries.

    Clauses: HOOK-HANDLE-REMOVE, HOOK-HANDLE-REMOVE-TWICE, HOOK-HANDLE-CONTEXT, HOOK-HANDLE-ID,
    HOOK-HANDLE-EXTRA, HOOK-HANDLE-OUTLIVES.
    """

    id: int

    def __init__(self, hooks_dict: dict[int, Any], *, extra_dict: Any = None) -> None:
        self.id = next(_handle_ids)
        self._registry = weakref.ref(hooks_dict)
        if extra_dict is None:
            extras: list[dict[int, Any]] = []
        elif isinstance(extra_dict, dict):
            extras = [extra_dict]
        else:
            extras = list(extra_dict)
        self._extras = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        """Drop the hook from its registry and every option registry; harmless when repeated."""
        for ref in (self._registry, *self._extras):
            registry = ref()
            if registry is not None:
                registry.pop(self.id, None)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle/deepcopy the tables themselves (a module copied with its handle keeps them paired)."""
        return {"id": self.id, "registry": self._registry(), "extras": [ref() for ref in self._extras]}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.id = state["id"]
        registry = state["registry"] if state["registry"] is not None else _Registry()
        self._registry = weakref.ref(registry)
        self._extras = tuple(weakref.ref(d if d is not None else _Registry()) for d in state["extras"])

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


# --- global registries ----------------------------------------------------------------------------

_global_forward_pre_hooks: dict[int, Callable[..., Any]] = _Registry()
_global_forward_hooks: dict[int, Callable[..., Any]] = _Registry()
_global_forward_hooks_with_kwargs: dict[int, bool] = _Registry()
_global_forward_hooks_always_called: dict[int, bool] = _Registry()
_global_backward_pre_hooks: dict[int, Callable[..., Any]] = _Registry()
_global_backward_hooks: dict[int, Callable[..., Any]] = _Registry()
_global_is_full_backward_hook: bool | None = None
_global_buffer_registration_hooks: dict[int, Callable[..., Any]] = _Registry()
_global_module_registration_hooks: dict[int, Callable[..., Any]] = _Registry()
_global_parameter_registration_hooks: dict[int, Callable[..., Any]] = _Registry()

_GLOBAL_REGISTRY_NAMES = (
    "_global_forward_pre_hooks",
    "_global_forward_hooks",
    "_global_forward_hooks_with_kwargs",
    "_global_forward_hooks_always_called",
    "_global_backward_pre_hooks",
    "_global_backward_hooks",
    "_global_buffer_registration_hooks",
    "_global_module_registration_hooks",
    "_global_parameter_registration_hooks",
)


def snapshot_global_hooks() -> dict[str, Any]:
    """Copies of every global registry (used by the suites to keep global hooks from leaking)."""
    state: dict[str, Any] = {name: dict(globals()[name]) for name in _GLOBAL_REGISTRY_NAMES}
    state["_global_is_full_backward_hook"] = _global_is_full_backward_hook
    return state


def restore_global_hooks(state: dict[str, Any]) -> None:
    """Put the global registries back to a snapshot, in place (handles keep pointing at them)."""
    global _global_is_full_backward_hook
    for name in _GLOBAL_REGISTRY_NAMES:
        registry = globals()[name]
        registry.clear()
        registry.update(state[name])
    _global_is_full_backward_hook = state["_global_is_full_backward_hook"]


def _add(registry: dict[int, Any], hook: Any, extra: Any = None) -> RemovableHandle:
    handle = RemovableHandle(registry, extra_dict=extra)
    registry[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Global forward pre-hook ``hook(module, args)``, run before every module's own pre-hooks.

    Clauses: HOOK-GLOBAL-FWD-PRE, HOOK-GLOBAL-ORDER.
    """
    return _add(_global_forward_pre_hooks, hook)


def register_module_forward_hook(
    hook: Callable[..., Any], *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """Global forward hook, run before every module's own forward hooks.

    Clauses: HOOK-GLOBAL-FWD, HOOK-GLOBAL-ORDER, HOOK-GLOBAL-ALWAYS-CALL.
    """
    handle = _add(
        _global_forward_hooks, hook, [_global_forward_hooks_with_kwargs, _global_forward_hooks_always_called]
    )
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Old-style global backward hook; cannot be mixed with full global backward hooks.

    Clause: HOOK-BWD-OLD-MIX.
    """
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is True:
        raise RuntimeError(
            "Cannot use both regular backward hooks and full backward hooks as a global Module hook. "
            "Please use only one of them."
        )
    _global_is_full_backward_hook = False
    return _add(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Global backward pre-hook ``hook(module, grad_output)``, run before module ones.

    Clause: HOOK-GLOBAL-BWD.
    """
    return _add(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Global full backward hook ``hook(module, grad_input, grad_output)``, run before module ones.

    Clauses: HOOK-GLOBAL-BWD, HOOK-BWD-OLD-MIX.
    """
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is False:
        raise RuntimeError(
            "Cannot use both regular backward hooks and full backward hooks as a global Module hook. "
            "Please use only one of them."
        )
    _global_is_full_backward_hook = True
    return _add(_global_backward_hooks, hook)


def register_module_buffer_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Global hook ``hook(module, name, tensor)`` run when a buffer is registered; a non-None return
    is stored instead. Clause: HOOK-REG-BUFFER."""
    return _add(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Global hook ``hook(module, name, submodule)`` run when a child is registered; a non-None return
    is stored instead. Clause: HOOK-REG-MODULE."""
    return _add(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Global hook ``hook(module, name, param)`` run when a (non-None) parameter is registered; a
    non-None return is stored instead. Clause: HOOK-REG-PARAM."""
    return _add(_global_parameter_registration_hooks, hook)


def run_registration_hooks(kind: str, module: Any, name: str, value: Any) -> Any:
    """Pass ``value`` through the global registration hooks of ``kind`` (buffer/module/parameter)."""
    registry = {
        "buffer": _global_buffer_registration_hooks,
        "module": _global_module_registration_hooks,
        "parameter": _global_parameter_registration_hooks,
    }[kind]
    for hook in registry.values():
        output = hook(module, name, value)
        if output is not None:
            value = output
    return value


# --- backward machinery ---------------------------------------------------------------------------


class _HookIdentity(torch.autograd.Function):
    """Identity on a group of tensors; its backward hands the group's gradients to ``on_grads`` (the
    hook logic of one side of one module call) and passes on what that returns."""

    @staticmethod
    def forward(
        ctx: Any, on_grads: Callable[[tuple[Any, ...]], tuple[Any, ...]], *tensors: torch.Tensor
    ) -> Any:
        ctx.on_grads = on_grads
        # Returning the inputs themselves lets autograd alias them; the ones without grad stay
        # non-differentiable (their gradient arrives materialized as zeros).
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple[Any, ...]:
        return (None, *ctx.on_grads(grads))


class _BackwardCall:
    """Backward hook state of one module call: grad_output captured at the outputs, handed to the
    full hooks when the input gradients arrive."""

    def __init__(self, module: Any, full_hooks: list[Any], pre_hooks: list[Any]) -> None:
        self.module = module
        self.full_hooks = full_hooks
        self.pre_hooks = pre_hooks
        self.grad_output: tuple[Any, ...] | None = None
        self.n_inputs = 0
        self.input_index: list[int] | None = None
        self.n_outputs = 0
        self.output_index: list[int] | None = None

    @staticmethod
    def _wrap(
        values: tuple[Any, ...], on_grads: Callable[[tuple[Any, ...]], tuple[Any, ...]]
    ) -> tuple[tuple[Any, ...], list[int] | None]:
        index = [i for i, v in enumerate(values) if isinstance(v, torch.Tensor)]
        tensors = [values[i] for i in index]
        if not (any(t.requires_grad for t in tensors) and torch.is_grad_enabled()):
            return values, None
        wrapped = _HookIdentity.apply(on_grads, *tensors)
        out = list(values)
        for i, t in zip(index, wrapped, strict=True):
            out[i] = t
        return tuple(out), index

    @staticmethod
    def _spread(index: list[int], values: tuple[Any, ...], size: int) -> tuple[Any, ...]:
        out: list[Any] = [None] * size
        for i, v in zip(index, values, strict=True):
            out[i] = v
        return tuple(out)

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        self.n_inputs = len(args)
        wrapped, self.input_index = self._wrap(args, self._input_grads)
        return wrapped

    def _input_grads(self, grad_input: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.grad_output is None or self.input_index is None:
            return grad_input
        current = self._spread(self.input_index, grad_input, self.n_inputs)
        for hook in self.full_hooks:
            out = hook(self.module, current, self.grad_output)
            if out is None:
                continue
            if len(out) != len(current):
                raise RuntimeError(
                    "Backward hook returned an invalid number of grad_input, "
                    f"got {len(out)}, but expected {len(current)}"
                )
            current = out
        self.grad_output = None
        return tuple(current[i] for i in self.input_index)

    def wrap_outputs(self, result: Any) -> Any:
        single = not isinstance(result, tuple)
        values = (result,) if single else result
        self.n_outputs = len(values)
        wrapped, self.output_index = self._wrap(values, self._output_grads)
        return wrapped[0] if single else wrapped

    def _output_grads(self, grad_output: tuple[Any, ...]) -> tuple[Any, ...]:
        assert self.output_index is not None
        self.grad_output = self._spread(self.output_index, grad_output, self.n_outputs)
        for hook in self.pre_hooks:
            out = hook(self.module, self.grad_output)
            if out is None:
                continue
            if len(out) != len(self.grad_output):
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, "
                    f"got {len(out)}, but expected {len(self.grad_output)}"
                )
            self.grad_output = out
        kept = self.grad_output
        if self.input_index is None:
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module outputs "
                "since no inputs require gradients.",
                stacklevel=2,
            )
            nothing = (None,) * self.n_inputs
            for hook in self.full_hooks:
                out = hook(self.module, nothing, self.grad_output)
                if out is not None and not (isinstance(out, tuple) and all(v is None for v in out)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should always return "
                        "None or None for all gradients."
                    )
            self.grad_output = None
        return tuple(kept[i] for i in self.output_index)


class HooksMixin:
    """Per-module hook registration and the call protocol."""

    _forward_pre_hooks: dict[int, Callable[..., Any]]
    _forward_pre_hooks_with_kwargs: dict[int, bool]
    _forward_hooks: dict[int, Callable[..., Any]]
    _forward_hooks_with_kwargs: dict[int, bool]
    _forward_hooks_always_called: dict[int, bool]
    _backward_pre_hooks: dict[int, Callable[..., Any]]
    _backward_hooks: dict[int, Callable[..., Any]]
    _is_full_backward_hook: bool | None
    _state_dict_pre_hooks: dict[int, Callable[..., Any]]
    _state_dict_hooks: dict[int, Callable[..., Any]]
    _load_state_dict_pre_hooks: dict[int, Callable[..., Any]]
    _load_state_dict_post_hooks: dict[int, Callable[..., Any]]

    _HOOK_REGISTRIES = (
        "_forward_pre_hooks",
        "_forward_pre_hooks_with_kwargs",
        "_forward_hooks",
        "_forward_hooks_with_kwargs",
        "_forward_hooks_always_called",
        "_backward_pre_hooks",
        "_backward_hooks",
        "_state_dict_pre_hooks",
        "_state_dict_hooks",
        "_load_state_dict_pre_hooks",
        "_load_state_dict_post_hooks",
    )

    def _init_hook_registries(self) -> None:
        """Create the per-module hook registries that are missing (also used by __setstate__)."""
        for name in self._HOOK_REGISTRIES:
            if name not in self.__dict__:
                object.__setattr__(self, name, _Registry())
        if "_is_full_backward_hook" not in self.__dict__:
            object.__setattr__(self, "_is_full_backward_hook", None)

    # --- forward hooks ----------------------------------------------------------------------------

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Hook ``hook(module, args)`` (or ``hook(module, args, kwargs)``) run before forward.

        Clauses: HOOK-FWD-PRE-CALL, HOOK-FWD-PRE-RETURN, HOOK-FWD-PRE-KWARGS, HOOK-FWD-PREPEND,
        HOOK-FWD-ORDER.
        """
        handle = _add(self._forward_pre_hooks, hook, self._forward_pre_hooks_with_kwargs)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            _move_to_front(self._forward_pre_hooks, handle.id)
        return handle

    def register_forward_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """Hook ``hook(module, args, output)`` (or with kwargs before output) run after forward.

        Clauses: HOOK-FWD-CALL, HOOK-FWD-RETURN, HOOK-FWD-KWARGS, HOOK-FWD-PREPEND, HOOK-FWD-ORDER,
        HOOK-ALWAYS-CALL.
        """
        handle = _add(
            self._forward_hooks, hook, [self._forward_hooks_with_kwargs, self._forward_hooks_always_called]
        )
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            _move_to_front(self._forward_hooks, handle.id)
        return handle

    # --- backward hooks ---------------------------------------------------------------------------

    def register_full_backward_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Hook ``hook(module, grad_output)`` run when the output gradients are known; a returned tuple
        replaces grad_output. Clauses: HOOK-BWD-PRE, HOOK-BWD-PREPEND."""
        handle = _add(self._backward_pre_hooks, hook)
        if prepend:
            _move_to_front(self._backward_pre_hooks, handle.id)
        return handle

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """Hook ``hook(module, grad_input, grad_output)`` run when the input gradients are known; a
        returned tuple replaces grad_input. Clauses: HOOK-BWD-FULL, HOOK-BWD-NONE-INPUT,
        HOOK-BWD-REPLACE, HOOK-BWD-PREPEND, HOOK-BWD-OLD-MIX."""
        if self._is_full_backward_hook is False:
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single Module. "
                "Please use only one of them."
            )
        object.__setattr__(self, "_is_full_backward_hook", True)
        handle = _add(self._backward_hooks, hook)
        if prepend:
            _move_to_front(self._backward_hooks, handle.id)
        return handle

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Deprecated backward hook; the oracle only keeps its registration rule (no mixing with full
        hooks). Clause: HOOK-BWD-OLD-MIX."""
        if self._is_full_backward_hook is True:
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single Module. "
                "Please use only one of them."
            )
        object.__setattr__(self, "_is_full_backward_hook", False)
        return _add(self._backward_hooks, hook)

    def _full_backward_hooks(self) -> list[Any]:
        hooks: list[Any] = []
        if _global_is_full_backward_hook is True:
            hooks += list(_global_backward_hooks.values())
        if self._is_full_backward_hook is True:
            hooks += list(self._backward_hooks.values())
        return hooks

    def _backward_pre_hook_list(self) -> list[Any]:
        return [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]

    # --- state-dict hooks -------------------------------------------------------------------------

    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Hook ``hook(module, prefix, keep_vars)`` run before the module saves its entries.
        Clause: HOOK-SD-PRE."""
        return _add(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Hook ``hook(module, state_dict, prefix, local_metadata)`` run after the module and its
        children saved; must return None. Clauses: HOOK-SD-POST, HOOK-SD-POST-RETURN."""
        hook._from_public_api = True  # type: ignore[attr-defined]
        return _add(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Private post-hook whose non-None return replaces the destination. Clause: HOOK-SD-PRIVATE."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError(
                "Cannot register the same function as the state dict post hook that was previously "
                "registered via register_state_dict_post_hook"
            )
        return _add(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Hook ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` run before the module loads. Clause: HOOK-LOAD-PRE."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(
        self, hook: Callable[..., Any], with_module: bool = False
    ) -> RemovableHandle:
        """Load pre-hook, called without the module unless ``with_module``."""
        entry = _BoundLoadHook(hook, self if with_module else None)
        return _add(self._load_state_dict_pre_hooks, entry)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Hook ``hook(module, incompatible_keys)`` run after the module and its children loaded; it
        may edit the keys in place and must return None. Clauses: HOOK-LOAD-POST,
        HOOK-LOAD-POST-RETURN, HOOK-LOAD-POST-STRICT."""
        return _add(self._load_state_dict_post_hooks, hook)

    # --- state-dict hook runners (called by oracle/state_dict.py) ---------------------------------

    def _run_state_dict_pre_hooks(self, prefix: str, keep_vars: bool) -> None:
        """Run this module's state_dict pre-hooks, before it saves its own entries."""
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)

    def _run_state_dict_post_hooks(
        self, destination: Any, prefix: str, local_metadata: dict[str, Any]
    ) -> Any:
        """Run this module's state_dict post-hooks after it and its children saved their entries;
        return the destination to continue with (a hook of the private API may replace it)."""
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def _run_load_state_dict_pre_hooks(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """Run this module's load_state_dict pre-hooks, before it loads its own entries."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)

    def _run_load_state_dict_post_hooks(self, incompatible_keys: Any) -> None:
        """Run this module's load_state_dict post-hooks with the (mutable) incompatible keys of the
        whole load, after the module and its children were loaded."""
        for hook in self._load_state_dict_post_hooks.values():
            if hook(self, incompatible_keys) is not None:
                raise AssertionError(
                    "Hooks registered with ``register_load_state_dict_post_hook`` are not expected to "
                    "return new values, if incompatible_keys need to be modified, it should be done inplace."
                )

    # --- calling ----------------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the pre-hooks, ``forward`` and the forward hooks; set up backward hooks.

        Clauses: HOOK-FWD-*, HOOK-GLOBAL-ORDER, HOOK-ALWAYS-CALL, HOOK-ALWAYS-CALL-ONCE,
        HOOK-BWD-*.
        """
        forward = self.forward  # type: ignore[attr-defined]
        if not (
            self._forward_pre_hooks
            or self._forward_hooks
            or self._backward_pre_hooks
            or self._backward_hooks
            or _global_forward_pre_hooks
            or _global_forward_hooks
            or _global_backward_pre_hooks
            or _global_backward_hooks
        ):
            return forward(*args, **kwargs)
        state: dict[str, Any] = {"args": args, "kwargs": kwargs, "result": None}
        called_always: set[int] = set()
        try:
            return self._hooked_call(forward, state, called_always)
        except Exception:
            self._run_always_called(state, called_always)
            raise

    def _hooked_call(
        self, forward: Callable[..., Any], state: dict[str, Any], called_always: set[int]
    ) -> Any:
        full_hooks = self._full_backward_hooks()
        pre_hooks = self._backward_pre_hook_list()
        for hook_id, hook in [*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()]:
            if hook_id in self._forward_pre_hooks_with_kwargs:
                out = hook(self, state["args"], state["kwargs"])
                if out is not None:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {out}."
                        )
                    state["args"], state["kwargs"] = out
            else:
                out = hook(self, state["args"])
                if out is not None:
                    state["args"] = out if isinstance(out, tuple) else (out,)
        backward_call = None
        if full_hooks or pre_hooks:
            backward_call = _BackwardCall(self, full_hooks, pre_hooks)
            state["args"] = backward_call.wrap_inputs(state["args"])
        state["result"] = forward(*state["args"], **state["kwargs"])
        for hook_id, hook in [*_global_forward_hooks.items(), *self._forward_hooks.items()]:
            if hook_id in self._forward_hooks_always_called or hook_id in _global_forward_hooks_always_called:
                called_always.add(hook_id)
            if hook_id in self._forward_hooks_with_kwargs or hook_id in _global_forward_hooks_with_kwargs:
                out = hook(self, state["args"], state["kwargs"], state["result"])
            else:
                out = hook(self, state["args"], state["result"])
            if out is not None:
                state["result"] = out
        if backward_call is not None:
            result = state["result"]
            if not isinstance(result, torch.Tensor | tuple):
                warnings.warn(
                    "For backward hooks to be called, module output should be a Tensor or a tuple of Tensors "
                    f"but received {type(result)}",
                    stacklevel=3,
                )
            state["result"] = backward_call.wrap_outputs(result)
        return state["result"]

    def _run_always_called(self, state: dict[str, Any], called_always: set[int]) -> None:
        """After an exception: run the always_call forward hooks that did not run yet (global ones
        always without kwargs, as torch does); their own errors become warnings."""
        for hook_id, hook in _global_forward_hooks.items():
            if hook_id not in _global_forward_hooks_always_called or hook_id in called_always:
                continue
            try:
                out = hook(self, state["args"], state["result"])
                if out is not None:
                    state["result"] = out
            except Exception as exc:
                warnings.warn(
                    "global module forward hook with ``always_call=True`` raised an exception that was "
                    f"silenced as another error was raised in forward: {exc}",
                    stacklevel=3,
                )
        for hook_id, hook in self._forward_hooks.items():
            if hook_id not in self._forward_hooks_always_called or hook_id in called_always:
                continue
            try:
                if hook_id in self._forward_hooks_with_kwargs:
                    out = hook(self, state["args"], state["kwargs"], state["result"])
                else:
                    out = hook(self, state["args"], state["result"])
                if out is not None:
                    state["result"] = out
            except Exception as exc:
                warnings.warn(
                    "module forward hook with ``always_call=True`` raised an exception that was silenced "
                    f"as another error was raised in forward: {exc}",
                    stacklevel=3,
                )


class _BoundLoadHook:
    """A load_state_dict pre-hook, optionally bound to its module (held weakly)."""

    def __init__(self, hook: Callable[..., Any], module: Any) -> None:
        self.hook = hook
        self.module_ref = None if module is None else weakref.ref(module)

    def __call__(self, *args: Any) -> Any:
        if self.module_ref is None:
            return self.hook(*args)
        module = self.module_ref()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args)


def _move_to_front(registry: dict[int, Any], key: int) -> None:
    """Reorder ``registry`` in place so that ``key`` comes first."""
    assert isinstance(registry, OrderedDict)
    registry.move_to_end(key, last=False)
