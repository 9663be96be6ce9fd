"""Plain layers the lazy modules turn into (Linear, convolutions, batch and instance norms), with
``forward`` written on ``torch.nn.functional`` (spec area: lazy)."""

from __future__ import annotations

__all__: list[str] = []
