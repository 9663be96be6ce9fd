"""Device and dtype transfer of the oracle's Module: ``_apply`` and what stands on it (spec area: apply).

A mixin of :class:`oracle.module.Module`.
"""

from __future__ import annotations

__all__: list[str] = []


class TransferMixin:
    """``_apply``, ``to``, ``cpu``, ``cuda``, ``type``, ``float`` and friends."""
