"""The candidate protocol: how the suites see a framework under test.

An adapter translates names, tensor types and devices between a framework and the suites. It never
repairs a behaviour: a deviation must surface as a failing clause, not be hidden here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np


class Namespace(SimpleNamespace):
    """A candidate's ``nn`` namespace that prints as one short line (hypothesis prints every argument of
    a failing example, fixtures included; the full namespace would bury the example under hundreds of
    class names)."""

    def __init__(self, owner: str, names: dict[str, Any]) -> None:
        super().__init__(**names)
        object.__setattr__(self, "_owner", owner)

    def __repr__(self) -> str:
        return f"<nn namespace of candidate {self._owner}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def slot_rows(
    params: Mapping[str, Any],
    buffers: Mapping[str, Any],
    non_persistent: Container[str],
    children: Mapping[str, Any],
) -> list[tuple[str, str, Any]]:
    """``Candidate.own_slots`` rows from a module's own tables (parameters, buffers, children)."""
    out: list[tuple[str, str, Any]] = [(n, "param", p) for n, p in params.items()]
    out += [(n, "buffer-np" if n in non_persistent else "buffer", b) for n, b in buffers.items()]
    out += [(n, "child", c) for n, c in children.items()]
    return out


@dataclass(repr=False)
class Candidate:
    """A framework under test, presented torch-shaped.

    ``nn`` is a namespace with at least ``Module`` and ``Parameter`` (and ``Buffer`` unless the
    candidate lacks ``buffer_class``). ``lacks`` names the capabilities of ``spec/capabilities.yaml``
    the framework does not have. ``repro_prelude`` is the Python source a standalone reproducer starts
    with: it must bind ``nn`` (the namespace above) and ``tensor(values, dtype)`` (a tensor factory).
    """

    name: str
    version: str
    nn: SimpleNamespace
    lacks: frozenset[str] = field(default_factory=frozenset)
    repro_prelude: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if type(self.nn) is SimpleNamespace:
            self.nn = Namespace(self.name, vars(self.nn))

    def __repr__(self) -> str:
        return f"<candidate {self.name} {self.version}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    # --- modules -------------------------------------------------------------------------------

    def prepare(self, module: Any) -> Any:
        """What the suites observe in place of a module tree they built, at the point where they start
        observing it. A framework's own modules are observed as they are (the default); a wrapper
        candidate (``torch.compile``, ``DataParallel``, ...) returns the wrapped or transformed module.
        Only tests marked ``wrapped`` hand their modules over; see :attr:`wraps`."""
        return module

    @property
    def wraps(self) -> bool:
        """Whether :meth:`prepare` transforms modules. For such a candidate only the tests marked
        ``wrapped`` give a verdict; the others would observe plain modules of the underlying framework
        and report "not applicable"."""
        return type(self).prepare is not Candidate.prepare

    # --- tensors -------------------------------------------------------------------------------
    # The defaults below fit every framework whose tensors are torch tensors (torch itself, the
    # oracle, torch wrappers). Other frameworks override them in their adapter.

    def tensor(self, values: Any, dtype: str = "float32", requires_grad: bool = False) -> Any:
        """A new candidate tensor holding ``values`` (nested lists or a numpy array)."""
        import torch

        t = torch.tensor(np.asarray(values), dtype=getattr(torch, dtype))
        return t.requires_grad_(requires_grad) if requires_grad else t

    def to_numpy(self, t: Any) -> np.ndarray:
        """The values of a candidate tensor as a numpy array (detached, on the host)."""
        return t.detach().cpu().numpy()

    def is_tensor(self, x: Any) -> bool:
        import torch

        return isinstance(x, torch.Tensor)

    def dtype_name(self, t: Any) -> str:
        """The dtype as a numpy-style name: ``float32``, ``int64``..."""
        return str(t.dtype).removeprefix("torch.")

    def device_name(self, t: Any) -> str:
        return str(t.device)

    def shape(self, t: Any) -> tuple[int, ...]:
        return tuple(t.shape)

    def requires_grad(self, t: Any) -> bool:
        return bool(t.requires_grad)

    def is_leaf(self, t: Any) -> bool:
        return bool(t.is_leaf)

    def has_grad_fn(self, t: Any) -> bool:
        return t.grad_fn is not None

    def grad(self, t: Any) -> Any:
        """The ``.grad`` of a tensor (a candidate tensor or None)."""
        return t.grad

    def set_grad(self, t: Any, values: Any) -> None:
        """Give ``t`` a gradient holding ``values`` (None clears it)."""
        t.grad = None if values is None else self.tensor(values, self.dtype_name(t))

    def mul_(self, t: Any, other: Any) -> Any:
        """In-place multiply, recorded by autograd (used to make a non-leaf tensor)."""
        return t.mul_(other)

    def add(self, a: Any, b: Any) -> Any:
        """Out-of-place addition (used to check what type operations return)."""
        return a + b

    def swap_last_dims(self, t: Any) -> Any:
        """A view of ``t`` (two or more dimensions) with its last two dimensions swapped: a
        non-contiguous tensor sharing ``t``'s memory."""
        return t.transpose(-1, -2)

    def same_storage(self, a: Any, b: Any) -> bool:
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()

    @contextlib.contextmanager
    def no_grad(self) -> Iterator[None]:
        import torch

        with torch.no_grad():
            yield

    def fill_(self, t: Any, value: float) -> Any:
        """Write ``value`` into every element of ``t`` in place, outside autograd."""
        with self.no_grad():
            return t.fill_(value)

    def cuda_available(self) -> bool:
        """Whether a CUDA device exists for this candidate (clauses requiring ``cuda`` skip otherwise)."""
        import torch

        return bool(torch.cuda.is_available())

    # --- global state --------------------------------------------------------------------------

    def snapshot_global_hooks(self) -> Any:
        """A copy of the candidate's global (all-module) hook registries, for
        :meth:`restore_global_hooks`; the suites take one before every test so that global hooks never
        leak from one test into the next. The default covers torch and its wrappers."""
        from adapters import torch_globals

        return torch_globals.snapshot()

    def restore_global_hooks(self, state: Any) -> None:
        """Put the global hook registries back as :meth:`snapshot_global_hooks` found them."""
        from adapters import torch_globals

        torch_globals.restore(state)

    def generator(self, seed: int) -> Any:
        """A new random generator of the candidate seeded with ``seed``, for the ``generator=``
        argument of the random ``nn.init`` functions."""
        import torch

        return torch.Generator().manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        """Seed the candidate's global random generator (the one ``nn.init`` draws from without a
        ``generator``)."""
        import torch

        torch.manual_seed(seed)

    def set_grad_tracked(self, t: Any, values: Any, with_grad_fn: bool = False) -> None:
        """Give ``t`` a gradient holding ``values`` that itself requires grad, as
        ``backward(create_graph=True)`` leaves it: a leaf tensor (``with_grad_fn=False``) or the result
        of an operation autograd recorded (``with_grad_fn=True``)."""
        g = self.tensor(values, self.dtype_name(t), requires_grad=True)
        t.grad = g * 1 if with_grad_fn else g

    def derived(self, t: Any) -> dict[str, Any]:
        """Results of common operations on ``t`` (at least one dimension, at least two elements), by a
        description of the operation: arithmetic, indexing, a view, clone, detach, a reduction, ``.data``."""
        flat = t.reshape(-1)
        return {
            "t + t": t + t, "t * 2": t * 2, "-t": -t, "t[0]": t[0], "flat[1:]": flat[1:],
            "t.view(-1)": t.view(-1), "t.clone()": t.clone(), "t.detach()": t.detach(), "t.sum()": t.sum(),
            "t.data": t.data,
        }

    # --- hooks suites (tensors the hooks suites need) --------------------------------------------

    def backward(self, t: Any) -> None:
        """Run backward from the sum of ``t``'s elements: every tensor ``t`` was computed from that
        requires grad gets that sum's gradient added to its ``.grad``, and the backward hooks of the
        modules on the way run (torch: ``t.sum().backward()``). Whatever backward raises propagates."""
        t.sum().backward()

    # --- apply suites (dtypes, devices and casts the apply suites need) ---------------------------
    # The suites name dtypes the numpy way (``float64``, ``int32``, ``bool``, ``complex64``) and devices
    # the torch way (``cpu``, ``cuda``, ``cuda:1``, ``meta``); these methods turn the names into the
    # framework's own objects and observe what a conversion did.

    def dtype(self, name: str) -> Any:
        """The framework's dtype object for a numpy-style dtype name."""
        import torch

        return getattr(torch, name)

    def device(self, name: str) -> Any:
        """The framework's device object for a torch-style device name."""
        import torch

        return torch.device(name)

    def to_device(self, t: Any, name: str) -> Any:
        """A tensor with ``t``'s dtype and values on the named device (``t`` itself if it is there)."""
        return t.to(self.device(name))

    def cast(self, t: Any, name: str) -> Any:
        """The values of ``t`` converted to the named dtype, as a new tensor outside autograd (a complex
        value cast to a real dtype keeps its real part)."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns when a cast drops imaginary parts
            return t.detach().to(self.dtype(name))

    def set_grad_tensor(self, t: Any, g: Any) -> None:
        """Make the candidate tensor ``g`` the ``.grad`` of ``t`` (on any device)."""
        t.grad = g

    def same_tensor(self, a: Any, b: Any) -> bool:
        """Whether ``a`` and ``b`` are one tensor: for torch, the same Python object. A framework whose
        accessors (``.grad``...) hand out a fresh Python wrapper of one underlying tensor on every
        access compares the underlying tensors."""
        return a is b

    def own_slots(self, module: Any) -> list[tuple[str, str, Any]]:
        """The slots ``module`` itself registered, in registration order, slots holding None included:
        ``(name, kind, value)`` with kind ``param``, ``buffer`` (persistent), ``buffer-np``
        (non-persistent) or ``child``; parameters first, then buffers, then children."""
        m = module
        return slot_rows(m._parameters, m._buffers, m._non_persistent_buffers_set, m._modules)

    @contextlib.contextmanager
    def conversion_switches(self, overwrite: bool, swap: bool) -> Iterator[None]:
        """Set, for the block, the global switches that decide whether a conversion keeps, replaces
        or swaps Parameter objects (torch's ``torch.__future__`` overwrite and swap switches), then
        restore them. A candidate lacking ``conversion_switches`` is only asked for both off."""
        import torch

        fut = torch.__future__
        old = (fut.get_overwrite_module_params_on_conversion(), fut.get_swap_module_params_on_conversion())
        fut.set_overwrite_module_params_on_conversion(overwrite)
        fut.set_swap_module_params_on_conversion(swap)
        try:
            yield
        finally:
            fut.set_overwrite_module_params_on_conversion(old[0])
            fut.set_swap_module_params_on_conversion(old[1])

    def memory_format(self, name: str) -> Any:
        """The framework's memory format object for torch's name (``channels_last``,
        ``channels_last_3d``, ``contiguous_format``); only with the capability ``memory_format``."""
        import torch

        return getattr(torch, name)

    def has_memory_format(self, t: Any, name: str) -> bool:
        """Whether ``t`` is laid out in the named memory format."""
        return bool(t.is_contiguous(memory_format=self.memory_format(name)))

    def synchronize(self) -> None:
        """Wait for the work queued on the current CUDA device (only called where CUDA exists)."""
        import torch

        torch.cuda.synchronize()

    # --- lazy suites -------------------------------------------------------------------------------
