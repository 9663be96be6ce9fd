"""Hooks of the oracle's Module and calling a module (spec area: hooks).

A mixin of :class:`oracle.module.Module`. ``_init_hook_registries`` is called by Module.__init__ and
creates every per-module hook registry.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


class HooksMixin:
    """Per-module hook registration and the call protocol."""

    def _init_hook_registries(self) -> None:
        """Create the per-module hook registries (none yet)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` (hooks will wrap this call)."""
        return self.forward(*args, **kwargs)
