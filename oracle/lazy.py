"""Lazy modules of the oracle: LazyModuleMixin, UninitializedParameter, UninitializedBuffer and the
lazy layers (spec area: lazy)."""

from __future__ import annotations

__all__: list[str] = []
