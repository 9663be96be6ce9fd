"""Poison torch's module system, to prove the oracle does not lean on it.

``import torch`` loads ``torch.nn`` itself, so independence cannot be shown by blocking imports alone.
:func:`poison` makes every route into torch's module system fail loudly:

* every function defined on torch's module classes (``Module`` and its subclasses, ``Parameter``,
  ``Buffer``, the uninitialized tensors, ``RemovableHandle``) and every ``torch.nn.init`` function is
  replaced by one that raises;
* the forbidden modules are removed from ``sys.modules`` (so importing them fails; ``torch.utils.hooks``
  stays, stripped of its hook classes) and their public names are removed from ``torch.nn`` (so
  ``from torch.nn import Buffer`` fails), except the two names torch's tensor code itself looks up.

``python -m nnconform.poison PYTEST-ARGS`` poisons, then runs pytest in the same process.
"""

from __future__ import annotations

import sys
import types
from typing import Any

FORBIDDEN_MODULES = ("torch.nn.modules", "torch.nn.parameter", "torch.nn.init", "torch.nn.utils")
# torch.utils.hooks stays importable without its hook classes: tensor pickling imports a helper from it.
HOOK_MODULE = "torch.utils.hooks"
HOOK_CLASSES = ("RemovableHandle", "BackwardHook")
TENSOR_INTERNALS_NEED = {"Parameter", "Module"}
POISON_MESSAGE = "nnconform poison: torch's module system was used"


class PoisonedError(RuntimeError):
    pass


def _raiser(owner: str) -> Any:
    def poisoned(*args: object, **kwargs: object) -> None:
        raise PoisonedError(f"{POISON_MESSAGE}: {owner}")

    return poisoned


def _classes_to_poison() -> list[type]:
    import torch
    import torch.nn.parameter as parameter
    import torch.utils.hooks as hooks

    classes: list[type] = [
        hooks.RemovableHandle,
        parameter.Parameter,
        parameter.Buffer,
        parameter.UninitializedParameter,
        parameter.UninitializedBuffer,
        parameter.UninitializedTensorMixin,
    ]
    pending = [torch.nn.Module]
    while pending:  # Module and every subclass torch defines (containers, layers, lazy mixins)
        cls = pending.pop()
        if cls not in classes:
            classes.append(cls)
            pending.extend(cls.__subclasses__())
    return [c for c in classes if c.__module__.startswith("torch")]


# Tensor-level machinery that torch imports lazily, on first use, and that itself imports torch.nn's
# module system: creating tensors on the meta device goes through torch._dynamo, which imports
# torch.nn.modules.lazy. Loaded before poisoning so that plain tensor work still runs afterwards; the
# module classes it defines are poisoned with the rest.
PRELOADED = ("torch._dynamo",)


def poison() -> None:
    import importlib

    import torch
    import torch.nn.init as init

    for name in PRELOADED:
        importlib.import_module(name)

    for cls in _classes_to_poison():
        for name, value in list(vars(cls).items()):
            if isinstance(value, (types.FunctionType, staticmethod, classmethod, property)):
                try:
                    setattr(cls, name, _raiser(f"{cls.__module__}.{cls.__qualname__}.{name}"))
                except (AttributeError, TypeError):
                    continue
    for name, value in list(vars(init).items()):
        if isinstance(value, types.FunctionType) and not name.startswith("_"):
            setattr(init, name, _raiser(f"torch.nn.init.{name}"))
    forbidden_names = set()
    for mod_name in list(sys.modules):
        if any(mod_name == f or mod_name.startswith(f + ".") for f in FORBIDDEN_MODULES):
            module = sys.modules[mod_name]
            forbidden_names.update(n for n in getattr(module, "__all__", ()) if isinstance(n, str))
            sys.modules[mod_name] = None  # type: ignore[assignment]
    nn = torch.nn
    # torch's tensor code looks up torch.nn.Parameter (tensor repr) and torch.nn.Module (serialization):
    # those names stay, with their classes poisoned above, so any use of them still raises.
    keep = (set(vars(nn.functional)) & forbidden_names) | TENSOR_INTERNALS_NEED
    for name in sorted(forbidden_names - keep - {"functional"}):
        if name in vars(nn):
            delattr(nn, name)
    for sub in ("modules", "parameter", "init", "utils"):
        if sub in vars(nn):
            delattr(nn, sub)
    hooks = sys.modules[HOOK_MODULE]
    stripped = types.ModuleType(HOOK_MODULE, hooks.__doc__)
    stripped.__dict__.update({k: v for k, v in vars(hooks).items() if k not in HOOK_CLASSES})
    sys.modules[HOOK_MODULE] = stripped
    torch.utils.hooks = stripped


def main(argv: list[str] | None = None) -> int:
    poison()
    import pytest

    return int(pytest.main(list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    raise SystemExit(main())
