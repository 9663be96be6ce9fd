"""The installed torch, the default candidate."""

from __future__ import annotations

from types import SimpleNamespace

from adapters.base import Candidate

TORCH_PRELUDE = """\
import torch
from torch import nn
from torch.nn.modules import module as _module_py
from torch.utils.hooks import RemovableHandle

# nnconform's `nn` also holds the global hook registration functions and RemovableHandle
for _name in dir(_module_py):
    if _name.startswith("register_module_"):
        setattr(nn, _name, getattr(_module_py, _name))
nn.RemovableHandle = RemovableHandle
from torch.nn.modules.lazy import LazyModuleMixin
nn.LazyModuleMixin = LazyModuleMixin


def tensor(values, dtype="float32"):
    return torch.tensor(values, dtype=getattr(torch, dtype))
"""

# The global (all-module) hook registration functions live in torch.nn.modules.module, not torch.nn.
GLOBAL_HOOK_FUNCTIONS = (
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_backward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_buffer_registration_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
)


def torch_namespace() -> SimpleNamespace:
    """The parts of torch the suites drive, as one ``nn`` namespace: every public name of ``torch.nn``
    (``Module``, ``Parameter``, ``Buffer``, containers, layers, lazy classes, ``init``), the global hook
    registration functions, ``RemovableHandle`` and ``LazyModuleMixin``."""
    from torch import nn
    from torch.nn.modules import module as module_py
    from torch.nn.modules.lazy import LazyModuleMixin
    from torch.utils.hooks import RemovableHandle

    names = {n: getattr(nn, n) for n in dir(nn) if not n.startswith("_")}
    names["init"] = nn.init
    for fn in GLOBAL_HOOK_FUNCTIONS:
        if hasattr(module_py, fn):
            names[fn] = getattr(module_py, fn)
    names["RemovableHandle"] = RemovableHandle
    names["LazyModuleMixin"] = LazyModuleMixin  # documented, but not exported by torch.nn itself
    return SimpleNamespace(**names)


def make_candidate() -> Candidate:
    import torch

    ns = torch_namespace()
    lacks = set()
    if not hasattr(ns, "Buffer"):
        lacks.add("buffer_class")
    return Candidate(
        name="torch",
        version=torch.__version__,
        nn=ns,
        lacks=frozenset(lacks),
        repro_prelude=TORCH_PRELUDE,
        description="the installed PyTorch",
    )
