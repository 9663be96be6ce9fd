"""``state_dict`` and ``load_state_dict`` of the oracle's Module (spec area: state_dict).

A mixin of :class:`oracle.module.Module`; it relies on the registries Module.__init__ creates
(``_parameters``, ``_buffers``, ``_non_persistent_buffers_set``, ``_modules``) and on the state-dict
hook registries and runners of :mod:`oracle.hooks`.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any

__all__: list[str] = []


class StateDictMixin:
    """Saving and loading a module tree's tensors by dotted key."""

    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool) -> None:
        """Put this module's own non-None parameters, then non-None persistent buffers, into
        ``destination`` under ``prefix`` (detached unless ``keep_vars``)."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        non_persistent = self._non_persistent_buffers_set
        for name, buf in self._buffers.items():
            if buf is not None and name not in non_persistent:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> Any:
        """Own state (see ``_save_to_state_dict``), then each non-None child slot under
        ``prefix + name + "."``; a module held by several slots appears under each. Returns
        ``destination`` (a new OrderedDict when None). Positional arguments are accepted in the
        order (destination, prefix, keep_vars) with a FutureWarning.
        Clauses: REG-PARAM-NONE, REG-BUF-REGISTER, REG-BUF-NONPERSISTENT, REG-BUF-NONE,
        REG-SETATTR-TENSOR-NEW.
        """
        if args:
            warnings.warn(
                "state_dict(): positional arguments are deprecated, pass destination, prefix and "
                "keep_vars by keyword",
                FutureWarning,
                stacklevel=2,
            )
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination
