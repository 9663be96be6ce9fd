"""Hooks of the oracle's Module and calling a module (spec area: hooks).

A mixin of :class:`oracle.module.Module`. ``_init_hook_registries`` is called by Module.__init__ and
creates every per-module hook registry.

The state-dict hooks are registered here and *run* by :mod:`oracle.state_dict` through the four
``_run_*`` methods below, at the points of ``state_dict`` / ``load_state_dict`` where torch runs them.
Their signatures are the contract between the two files.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


class HooksMixin:
    """Per-module hook registration and the call protocol."""

    def _init_hook_registries(self) -> None:
        """Create the per-module hook registries (none yet)."""

    # --- state-dict hook runners (called by oracle/state_dict.py) ---------------------------------

    def _run_state_dict_pre_hooks(self, prefix: str, keep_vars: bool) -> None:
        """Run this module's state_dict pre-hooks, before it saves its own entries."""

    def _run_state_dict_post_hooks(
        self, destination: Any, prefix: str, local_metadata: dict[str, Any]
    ) -> Any:
        """Run this module's state_dict post-hooks after it and its children saved their entries;
        return the destination to continue with (a hook of the private API may replace it)."""
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

    def _run_load_state_dict_post_hooks(self, incompatible_keys: Any) -> None:
        """Run this module's load_state_dict post-hooks with the (mutable) incompatible keys of the
        whole load, after the module and its children were loaded."""

    # --- calling ----------------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` (hooks will wrap this call)."""
        return self.forward(*args, **kwargs)
