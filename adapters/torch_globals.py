"""Snapshot and restore of torch's global (all-module) hook registries.

The registries are read from ``sys.modules`` only when torch's module system is already loaded, so
this never imports it (the oracle runs with it poisoned).
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

_MODULE = "torch.nn.modules.module"
_REGISTRIES = (
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
_FLAG = "_global_is_full_backward_hook"  # which kind of global backward hook was registered first


def _loaded() -> ModuleType | None:
    module = sys.modules.get(_MODULE)
    return module if isinstance(module, ModuleType) else None


def snapshot() -> dict[str, Any] | None:
    """Copies of every registry, or None when torch's module system is not loaded."""
    module = _loaded()
    if module is None:
        return None
    state: dict[str, Any] = {name: dict(getattr(module, name)) for name in _REGISTRIES}
    state[_FLAG] = getattr(module, _FLAG)
    return state


def restore(state: dict[str, Any] | None) -> None:
    """Put every registry back to ``state`` in place; emptied if torch was loaded after the snapshot."""
    module = _loaded()
    if module is None:
        return
    saved = state or {name: {} for name in _REGISTRIES}
    for name in _REGISTRIES:
        registry = getattr(module, name)
        registry.clear()
        registry.update(saved[name])
    setattr(module, _FLAG, saved.get(_FLAG))
