"""The oracle's ``nn.init``: gains, fans and the in-place initializers (spec area: init).

Exposed to the suites as ``nn.init``.
"""

from __future__ import annotations
