"""Containers of the oracle: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
(spec area: containers)."""

from __future__ import annotations

__all__: list[str] = []
