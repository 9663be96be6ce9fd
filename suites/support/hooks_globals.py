"""Snapshot and restore of the global hook registries of torch and of the oracle.

torch's registries are taken from ``sys.modules`` only when torch's module system is already loaded,
so the suites never import it themselves (the oracle runs with it poisoned).
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import oracle.hooks as oracle_hooks

_TORCH_MODULE = "torch.nn.modules.module"
_TORCH_DICTS = (
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


def _torch_module() -> ModuleType | None:
    module = sys.modules.get(_TORCH_MODULE)
    return module if isinstance(module, ModuleType) else None


def snapshot_all() -> dict[str, Any]:
    """Copies of every global hook registry of torch (if loaded) and of the oracle."""
    state: dict[str, Any] = {"oracle": oracle_hooks.snapshot_global_hooks(), "torch": None}
    tm = _torch_module()
    if tm is not None:
        torch_state: dict[str, Any] = {name: dict(getattr(tm, name)) for name in _TORCH_DICTS}
        torch_state["_global_is_full_backward_hook"] = tm._global_is_full_backward_hook
        state["torch"] = torch_state
    return state


def restore_all(state: dict[str, Any]) -> None:
    """Put every registry back to ``state`` in place; torch's are emptied if it was loaded since."""
    oracle_hooks.restore_global_hooks(state["oracle"])
    tm = _torch_module()
    if tm is None:
        return
    saved = state["torch"] or {name: {} for name in _TORCH_DICTS}
    for name in _TORCH_DICTS:
        registry = getattr(tm, name)
        registry.clear()
        registry.update(saved[name])
    tm._global_is_full_backward_hook = saved.get("_global_is_full_backward_hook")
