"""Hand-written lazy modules for the LazyModuleMixin clause tests.

:func:`lazy_module_class` builds, on a candidate's ``nn``, a lazy module class with the given
uninitialized parameters and buffers that logs what happens to it: each ``initialize_parameters``
call and each ``forward`` (with the class it ran under and which entries were still uninitialized).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from suites.support.lazy_layers import is_uninitialized as uninitialized
from suites.support.lazy_layers import lazy_mixin


def lazy_module_class(
    nn: Any, params: Sequence[str], buffers: Sequence[str] = (), become: bool = True
) -> tuple[type, type]:
    """(Lazy, Target): a lazy module class and the class it becomes (``cls_to_become`` is Target, or
    None when ``become`` is False).

    ``Lazy()`` registers each name of ``params`` as an UninitializedParameter and each of ``buffers``
    as an UninitializedBuffer. Its ``initialize_parameters(x, scale=1.0)`` materializes parameter i
    as (x.shape[-1], i + 1) and each buffer as (x.shape[-1],), except the names in ``module.skip``.
    ``module.log`` collects ("init", x.shape[-1], scale) and ("forward", class name, uninitialized names).
    """
    mixin = lazy_mixin(nn)

    def forward(self: Any, x: Any, scale: float = 1.0) -> Any:
        still = tuple(n for n in (*params, *buffers) if uninitialized(nn, getattr(self, n)))
        self.log.append(("forward", type(self).__name__, still))
        return x * scale

    class Target(nn.Module):
        pass

    Target.forward = forward  # type: ignore[method-assign]

    class Lazy(mixin, nn.Module):  # type: ignore[misc, valid-type]
        cls_to_become = Target if become else None

        def __init__(self) -> None:
            super().__init__()
            self.log: list[tuple[Any, ...]] = []
            self.skip: set[str] = set()
            for name in params:
                setattr(self, name, nn.UninitializedParameter())
            for name in buffers:
                self.register_buffer(name, nn.UninitializedBuffer())

        def initialize_parameters(self, x: Any, scale: float = 1.0) -> None:
            self.log.append(("init", x.shape[-1], scale))
            for i, name in enumerate(params):
                if name not in self.skip and uninitialized(nn, getattr(self, name)):
                    getattr(self, name).materialize((x.shape[-1], i + 1))
            for name in buffers:
                if name not in self.skip and uninitialized(nn, getattr(self, name)):
                    getattr(self, name).materialize((x.shape[-1],))

    Lazy.forward = forward  # type: ignore[method-assign]
    return Lazy, Target


def plain_lazy_class(nn: Any) -> type:
    """A lazy module class that does not implement initialize_parameters."""
    mixin = lazy_mixin(nn)

    class NoInit(mixin, nn.Module):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.UninitializedParameter()

        def forward(self, x: Any) -> Any:
            return x

    return NoInit
