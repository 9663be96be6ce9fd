"""MindSpore (``mindspore.nn.Cell``) as an nnconform candidate.

Use it with ``--candidate adapters.mindspore_adapter:make_candidate`` from an environment where mindspore is
installed (``scripts/make_venv_mindspore.sh`` builds ``.venv-mindspore``; MindSpore wants numpy<2).

What this adapter does, and only that:

- torch's method names that ``mindspore.nn.Cell`` does not define are added to ``Cell`` itself (so that
  MindSpore's own containers and layers have them too), each calling the ``Cell`` method that does the
  same job under another name (``add_module`` -> ``insert_child_to_cell``, ``named_parameters`` ->
  ``parameters_and_names``, ``train`` -> ``set_train``, ``forward`` -> ``construct``, ``extra_repr`` ->
  ``extend_repr``, ``float()`` -> ``to(float32)``, ...). ``nn.Module`` is a thin subclass of ``Cell``
  whose ``construct`` and ``extend_repr`` call the ``forward`` and ``extra_repr`` a subclass defines.
  ``RemovableHandle`` is MindSpore's ``HookHandle``, given torch's ``id`` for its ``handle_id``.
  Arguments are renamed (``prefix`` -> ``name_prefix``, ``recurse`` -> ``expand``), never dropped: an
  option MindSpore does not have (``remove_duplicate`` of ``parameters_and_names``) is passed on, and
  MindSpore's own TypeError shows. Names ``Cell`` already defines the torch way (``register_buffer``,
  ``named_buffers``, ``state_dict``, ``load_state_dict``, ``register_forward_hook``, ``to``, ``apply``
  ...) are used untouched. A torch name with no MindSpore equivalent is left out.
- ``Parameter`` is ``mindspore.Parameter``; ``ModuleList``, ``ModuleDict`` and ``Sequential`` are
  ``CellList``, ``CellDict`` and ``SequentialCell``. MindSpore has no ParameterList or ParameterDict and
  no public Buffer class: left out. The rest of ``nn`` is ``mindspore.nn`` as it is.
- ``nn.init`` holds torch's initializer names over MindSpore's initializers
  (``mindspore.common.initializer``: ``XavierUniform``, ``HeNormal``, ``Dirac``, ...), each applied to
  the given tensor in place; ``uniform_`` is ``Tensor.uniform_`` (MindSpore's ``Uniform`` initializer
  only draws from a symmetric interval). ``calculate_gain`` and ``_calculate_fan_in_and_fan_out`` are
  the functions those initializers use.
- ``make_candidate`` switches MindSpore to blocking kernel launches (``mindspore.runtime.launch_blocking``)
  so that an error surfaces in the operation that caused it, not in a later one (or a later test).
- The tensor accessors of :class:`Candidate` are overridden for MindSpore tensors. MindSpore has no
  tensor-level autograd in its public API (gradients are taken with ``mindspore.grad``): a plain tensor
  never requires grad, only a Parameter has ``requires_grad`` (whether it is trainable), and the
  accessors of ``.grad`` and ``grad_fn`` raise NotImplementedError (capability ``autograd``).

Nothing here changes what MindSpore does; where it differs from torch, the clause fails.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np

from adapters.base import Candidate, slot_rows

# The start of every reproducer: binds ``nn`` and ``tensor`` for MindSpore. Run it in .venv-mindspore from
# the nnconform checkout (the translated names live in this adapter).
MINDSPORE_PRELUDE = """\
import numpy as np
import mindspore

from adapters.mindspore_adapter import mindspore_namespace

nn = mindspore_namespace()


def tensor(values, dtype="float32"):
    ms_dtype = getattr(mindspore, "bool_" if dtype == "bool" else dtype)
    return mindspore.tensor(np.asarray(values), dtype=ms_dtype)
"""


def _ms() -> Any:
    import mindspore

    return mindspore


# --------------------------------------------------------------------------------------------------
# nn.Module: torch's names on mindspore.nn.Cell


def _cell_forward(self: Any, *args: Any, **kwargs: Any) -> Any:
    """torch's ``forward`` on any Cell: MindSpore's ``construct``."""
    return self.construct(*args, **kwargs)


def _cell_extra_repr(self: Any) -> str:
    """torch's ``extra_repr`` on any Cell: MindSpore's ``extend_repr``."""
    return self.extend_repr()


def _module_forward(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``Module.forward`` when a subclass defines none: ``Cell.construct``, which raises MindSpore's own
    error for a cell without a computation."""
    return _ms().nn.Cell.construct(self, *args, **kwargs)


def _module_construct(self: Any, *args: Any, **kwargs: Any) -> Any:
    """What ``Cell.__call__`` runs on a Module: the ``forward`` a torch-style subclass defines."""
    return self.forward(*args, **kwargs)


def _module_extra_repr(self: Any) -> str:
    """``Module.extra_repr`` when a subclass defines none: ``Cell.extend_repr`` (an empty string)."""
    return str(_ms().nn.Cell.extend_repr(self))


def _module_extend_repr(self: Any) -> str:
    """What ``Cell.__repr__`` calls on a Module: the ``extra_repr`` a torch-style subclass defines."""
    return self.extra_repr()


def _add_module(self: Any, name: Any, module: Any) -> None:
    return self.insert_child_to_cell(name, module)


def _register_parameter(self: Any, name: Any, param: Any) -> None:
    return self.insert_param_to_cell(name, param)


def _named_parameters(self: Any, prefix: str = "", recurse: bool = True, **kwargs: Any) -> Any:
    return self.parameters_and_names(name_prefix=prefix, expand=recurse, **kwargs)


def _parameters(self: Any, recurse: bool = True) -> Any:
    return self.get_parameters(expand=recurse)


def _named_modules(self: Any, memo: Any = None, prefix: str = "", **kwargs: Any) -> Any:
    return self.cells_and_names(cells=memo, name_prefix=prefix, **kwargs)


def _modules(self: Any, **kwargs: Any) -> Iterator[Any]:
    for _, cell in self.cells_and_names(**kwargs):
        yield cell


def _named_children(self: Any) -> Any:
    return self.name_cells().items()


def _children(self: Any) -> Any:
    return self.cells()


def _get_submodule(self: Any, target: str) -> Any:
    return self.get_sub_cell(target)


def _train(self: Any, mode: bool = True) -> Any:
    return self.set_train(mode)


def _eval(self: Any) -> Any:
    """MindSpore's evaluation mode is ``set_train(False)``, reached here through its torch name."""
    return self.train(False)


def _register_full_backward_hook(self: Any, hook: Any) -> Any:
    return self.register_backward_hook(hook)


def _register_full_backward_pre_hook(self: Any, hook: Any) -> Any:
    return self.register_backward_pre_hook(hook)


def _cast_to(dtype_name: str) -> Any:
    """torch's ``float()``/``double()``/... : ``Cell.to(dtype)``, which casts the floating point
    parameters and buffers, as torch's do."""

    def method(self: Any) -> Any:
        return self.to(getattr(_ms(), dtype_name))

    method.__name__ = {"float32": "float", "float64": "double", "float16": "half"}.get(dtype_name, dtype_name)
    return method


def _cpu(self: Any) -> Any:
    return self.to("CPU")


# torch method name -> the Cell method it calls. Added to ``mindspore.nn.Cell`` itself, and only where
# Cell does not define the name, so that MindSpore's own cells (containers, layers, the cells a container
# slice returns) answer to torch's names as well as the suites' Module subclasses.
TORCH_ALIASES: dict[str, Any] = {
    "forward": _cell_forward,
    "extra_repr": _cell_extra_repr,
    "add_module": _add_module,
    "register_module": _add_module,
    "register_parameter": _register_parameter,
    "named_parameters": _named_parameters,
    "parameters": _parameters,
    "named_modules": _named_modules,
    "modules": _modules,
    "named_children": _named_children,
    "children": _children,
    "get_submodule": _get_submodule,
    "train": _train,
    "eval": _eval,
    "register_full_backward_hook": _register_full_backward_hook,
    "register_full_backward_pre_hook": _register_full_backward_pre_hook,
    "float": _cast_to("float32"),
    "double": _cast_to("float64"),
    "half": _cast_to("float16"),
    "bfloat16": _cast_to("bfloat16"),
    "cpu": _cpu,
}
# The Module subclass connects Cell's two hooks for subclasses (``construct``, ``extend_repr``) to the
# torch-named ones a suite's subclass overrides.
MODULE_BRIDGES: dict[str, Any] = {
    "forward": _module_forward,
    "construct": _module_construct,
    "extra_repr": _module_extra_repr,
    "extend_repr": _module_extend_repr,
}
_ALIAS_MARK = "_nnconform_alias"
_MODULE_CLASS: type | None = None


def install_aliases() -> list[str]:
    """Add the entries of TORCH_ALIASES that ``mindspore.nn.Cell`` lacks to Cell, and torch's ``id`` to
    MindSpore's hook handle; the names added."""
    cell = _ms().nn.Cell
    added = []
    for name, fn in TORCH_ALIASES.items():
        existing = getattr(cell, name, None)
        if existing is None or getattr(existing, _ALIAS_MARK, False):
            setattr(fn, _ALIAS_MARK, True)
            setattr(cell, name, fn)
            added.append(name)
    from mindspore.common.hook_handle import HookHandle

    if not hasattr(HookHandle, "id"):  # torch's RemovableHandle.id is MindSpore's HookHandle.handle_id
        HookHandle.id = property(lambda handle: handle.handle_id)
        added.append("HookHandle.id")
    return added


def make_module_class() -> type:
    """``Module``: a subclass of ``mindspore.nn.Cell`` under torch's name, whose ``construct`` and
    ``extend_repr`` run the ``forward`` and ``extra_repr`` of torch-style subclasses."""
    global _MODULE_CLASS
    if _MODULE_CLASS is None:
        install_aliases()
        body: dict[str, Any] = {
            "__doc__": "mindspore.nn.Cell under torch's name (nnconform's mindspore adapter).",
            "__module__": __name__,
            "__qualname__": "Module",
            **MODULE_BRIDGES,
        }
        _MODULE_CLASS = type("Module", (_ms().nn.Cell,), body)
        globals()["Module"] = _MODULE_CLASS  # so that pickle finds it as adapters.mindspore_adapter.Module
    return _MODULE_CLASS


# --------------------------------------------------------------------------------------------------
# nn.init: torch's initializer names over mindspore.common.initializer


def _fill(tensor: Any, init: Any) -> Any:
    """Write what the MindSpore initializer ``init`` makes for ``tensor``'s shape and dtype into
    ``tensor`` (in place), and return ``tensor``."""
    from mindspore.common.initializer import initializer

    tensor.assign_value(initializer(init, tuple(tensor.shape), tensor.dtype).init_data())
    return tensor


def _init_namespace() -> SimpleNamespace:
    from mindspore.common import initializer as msi

    def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
        return tensor.uniform_(a, b, generator=generator)

    def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
        _no_generator(generator)
        return _fill(tensor, msi.Normal(sigma=std, mean=mean))

    def trunc_normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                      generator: Any = None) -> Any:
        _no_generator(generator)
        return _fill(tensor, msi.TruncatedNormal(sigma=std, mean=mean, a=a, b=b))

    def constant_(tensor: Any, val: float) -> Any:
        return _fill(tensor, msi.Constant(val))

    def ones_(tensor: Any) -> Any:
        return _fill(tensor, msi.One())

    def zeros_(tensor: Any) -> Any:
        return _fill(tensor, msi.Zero())

    def eye_(tensor: Any) -> Any:
        return _fill(tensor, msi.Identity())

    def dirac_(tensor: Any, groups: int = 1) -> Any:
        return _fill(tensor, msi.Dirac(groups))

    def xavier_uniform_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
        _no_generator(generator)
        return _fill(tensor, msi.XavierUniform(gain))

    def xavier_normal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
        _no_generator(generator)
        return _fill(tensor, msi.XavierNormal(gain))

    def kaiming_uniform_(tensor: Any, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                         generator: Any = None) -> Any:
        _no_generator(generator)
        return _fill(tensor, msi.HeUniform(negative_slope=a, mode=mode, nonlinearity=nonlinearity))

    def kaiming_normal_(tensor: Any, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                        generator: Any = None) -> Any:
        _no_generator(generator)
        return _fill(tensor, msi.HeNormal(negative_slope=a, mode=mode, nonlinearity=nonlinearity))

    def orthogonal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
        _no_generator(generator)
        return _fill(tensor, msi.Orthogonal(gain))

    def sparse_(tensor: Any, sparsity: float, std: float = 0.01, generator: Any = None) -> Any:
        _no_generator(generator)
        return _fill(tensor, msi.Sparse(sparsity, sigma=std))

    def calculate_gain(nonlinearity: str, param: Any = None) -> float:
        return msi._calculate_gain(nonlinearity, param)

    def _calculate_fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
        return msi._calculate_fan_in_and_fan_out(tuple(tensor.shape))

    return SimpleNamespace(
        uniform_=uniform_, normal_=normal_, trunc_normal_=trunc_normal_, constant_=constant_, ones_=ones_,
        zeros_=zeros_, eye_=eye_, dirac_=dirac_, xavier_uniform_=xavier_uniform_,
        xavier_normal_=xavier_normal_, kaiming_uniform_=kaiming_uniform_, kaiming_normal_=kaiming_normal_,
        orthogonal_=orthogonal_, sparse_=sparse_, calculate_gain=calculate_gain,
        _calculate_fan_in_and_fan_out=_calculate_fan_in_and_fan_out,
    )


def _no_generator(generator: Any) -> None:
    """MindSpore's initializers draw from the global seed only (capability ``init_generator``)."""
    if generator is not None:
        raise TypeError("MindSpore's initializers take no generator")


# --------------------------------------------------------------------------------------------------
# the namespace


def mindspore_namespace() -> SimpleNamespace:
    """The torch-shaped ``nn`` namespace over ``mindspore.nn``."""
    ms = _ms()
    from mindspore.common.hook_handle import HookHandle
    from mindspore.nn.cell import register_cell_buffer_registration_hook

    names = {n: getattr(ms.nn, n) for n in dir(ms.nn) if not n.startswith("_")}
    names.update(
        Module=make_module_class(),
        Parameter=ms.Parameter,
        ModuleList=ms.nn.CellList,
        ModuleDict=ms.nn.CellDict,
        Sequential=ms.nn.SequentialCell,
        init=_init_namespace(),
        RemovableHandle=HookHandle,
        register_module_buffer_registration_hook=register_cell_buffer_registration_hook,
    )
    # No ParameterList, ParameterDict, public Buffer, lazy modules or global forward/backward hooks in
    # MindSpore: left out.
    return SimpleNamespace(**names)


def _device_of(text: str) -> str:
    """A MindSpore device under torch's name: ``CPU`` -> ``cpu``, ``GPU:0`` -> ``cuda:0``, ``meta``."""
    low = str(text).lower()
    if low.startswith("gpu"):
        return "cuda" + low[3:]
    return low


def _mindspore_device(name: str) -> str:
    """torch's device name under MindSpore's: ``cpu`` -> ``CPU``, ``cuda:1`` -> ``GPU:1``."""
    if name.startswith("cuda"):
        return "GPU" + name[4:]
    if name == "cpu":
        return "CPU"
    return name


class MindSporeCandidate(Candidate):
    """The tensor accessors of Candidate for MindSpore tensors."""

    def tensor(self, values: Any, dtype: str = "float32", requires_grad: bool = False) -> Any:
        """A new MindSpore tensor. MindSpore's public API has no per-tensor ``requires_grad`` (only
        Parameters carry one), so ``requires_grad`` makes no difference to a plain tensor."""
        return _ms().tensor(np.asarray(values), dtype=self.dtype(dtype))

    def to_numpy(self, t: Any) -> np.ndarray:
        return np.asarray(t.asnumpy())

    def is_tensor(self, x: Any) -> bool:
        return isinstance(x, _ms().Tensor)

    def dtype_name(self, t: Any) -> str:
        return str(t.dtype).lower()

    def device_name(self, t: Any) -> str:
        return _device_of(t.device)

    def shape(self, t: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in t.shape)

    def requires_grad(self, t: Any) -> bool:
        """A Parameter's ``requires_grad``; a plain MindSpore tensor has none and never requires grad."""
        return bool(t.requires_grad) if isinstance(t, _ms().Parameter) else False

    def is_leaf(self, t: Any) -> bool:
        raise NotImplementedError("MindSpore tensors have no is_leaf (capability autograd)")

    def has_grad_fn(self, t: Any) -> bool:
        raise NotImplementedError("MindSpore tensors have no grad_fn (capability autograd)")

    def grad(self, t: Any) -> Any:
        raise NotImplementedError("MindSpore tensors have no .grad (capability autograd)")

    def set_grad(self, t: Any, values: Any) -> None:
        """Clearing (``values`` None) leaves a MindSpore tensor as it always is, without a gradient;
        giving it one is impossible (capability autograd)."""
        if values is not None:
            raise NotImplementedError("MindSpore tensors have no .grad (capability autograd)")

    def set_grad_tracked(self, t: Any, values: Any, with_grad_fn: bool = False) -> None:
        raise NotImplementedError("MindSpore tensors have no .grad (capability autograd)")

    def mul_(self, t: Any, other: Any) -> Any:
        return t.mul_(other)

    def swap_last_dims(self, t: Any) -> Any:
        return t.swapaxes(-1, -2)

    def same_storage(self, a: Any, b: Any) -> bool:
        return bool(a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr())

    @contextlib.contextmanager
    def no_grad(self) -> Iterator[None]:
        """MindSpore records no tensor-level autograd outside ``mindspore.grad``: nothing to switch off."""
        yield

    def fill_(self, t: Any, value: float) -> Any:
        """``copy_`` of a filled tensor into ``t``'s memory: MindSpore's CPU build has no kernel for
        ``Tensor.fill_`` (``InplaceFillScalar``)."""
        t.copy_(_ms().tensor(np.full(self.shape(t), value), dtype=t.dtype))
        return t

    def cuda_available(self) -> bool:
        return str(_ms().get_context("device_target")) == "GPU"

    def snapshot_global_hooks(self) -> Any:
        """MindSpore's only global hook registry: the buffer registration hooks of every Cell."""
        from mindspore.nn import cell

        return dict(cell._global_buffer_registration_hooks)

    def restore_global_hooks(self, state: Any) -> None:
        from mindspore.nn import cell

        cell._global_buffer_registration_hooks.clear()
        cell._global_buffer_registration_hooks.update(state)

    def generator(self, seed: int) -> Any:
        return _ms().Generator().manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        """``mindspore.set_seed``: seeds MindSpore's global generator and numpy's, which the
        initializers draw from."""
        _ms().set_seed(seed)

    def derived(self, t: Any) -> dict[str, Any]:
        """The operations of the default, MindSpore-spelled. An operation that raises (MindSpore tensors
        have no ``detach``; its CPU build has no ``Clone`` kernel) gives the exception as its result, so
        that the other entries stay usable and the failure shows in the clause that looks at it."""
        ops = {
            "t + t": lambda: t + t, "t * 2": lambda: t * 2, "-t": lambda: -t, "t[0]": lambda: t[0],
            "flat[1:]": lambda: t.reshape(-1)[1:], "t.view(-1)": lambda: t.view(-1),
            "t.clone()": lambda: t.clone(), "t.detach()": lambda: t.detach(), "t.sum()": lambda: t.sum(),
            "t.data": lambda: t.data,
        }
        out: dict[str, Any] = {}
        for what, op in ops.items():
            try:
                out[what] = op()
            except Exception as error:
                out[what] = error
        return out

    # --- hooks suites ------------------------------------------------------------------------------

    def backward(self, t: Any) -> None:
        raise NotImplementedError("MindSpore tensors have no backward() (capability autograd)")

    # --- apply suites (dtypes, devices and casts the apply suites need) ---------------------------

    def dtype(self, name: str) -> Any:
        return getattr(_ms(), "bool_" if name == "bool" else name)

    def device(self, name: str) -> Any:
        return _mindspore_device(name)

    def to_device(self, t: Any, name: str) -> Any:
        return t.to(self.device(name))

    def cast(self, t: Any, name: str) -> Any:
        return t.astype(self.dtype(name))

    def set_grad_tensor(self, t: Any, g: Any) -> None:
        raise NotImplementedError("MindSpore tensors have no .grad (capability autograd)")

    def own_slots(self, module: Any) -> list[tuple[str, str, Any]]:
        return slot_rows(module._params, module._buffers, module._non_persistent_buffers_set, module._cells)

    @contextlib.contextmanager
    def conversion_switches(self, overwrite: bool, swap: bool) -> Iterator[None]:
        """MindSpore has no such switches: ``Cell._apply`` decides by the type of the converted value."""
        if overwrite or swap:
            raise NotImplementedError("MindSpore has no conversion switches")
        yield

    def memory_format(self, name: str) -> Any:
        raise NotImplementedError("MindSpore tensors have no memory formats")

    def has_memory_format(self, t: Any, name: str) -> bool:
        raise NotImplementedError("MindSpore tensors have no memory formats")

    def synchronize(self) -> None:
        _ms().runtime.synchronize()

    # --- lazy suites -------------------------------------------------------------------------------


# Capabilities of spec/capabilities.yaml that MindSpore does not have.
MINDSPORE_LACKS = frozenset({
    "buffer_class",  # no public Buffer class (mindspore.common.parameter._Buffer is private, not exported)
    "set_submodule",  # Cell has get_sub_cell but nothing that replaces a sub cell by path
    "remove_duplicate",  # parameters_and_names / cells_and_names take none (only named_buffers has it)
    "autograd",  # no .grad / grad_fn / backward() on tensors: gradients come from mindspore.grad functions
    "init_generator",  # the initializers of mindspore.common.initializer draw from the global seed only
    "torch_save",  # state dicts hold mindspore tensors, which torch.save cannot write
    "lazy_modules",  # no UninitializedParameter, LazyModuleMixin or Lazy* layers
    "global_hooks",  # no hooks for every cell's call (only a global buffer registration hook)
    "hook_tables",  # Cell keeps its hooks under names of its own (_forward_hook, ...), not torch's tables
    "legacy_backward_hooks",  # Cell.register_backward_hook is MindSpore's only (module-level) backward hook
    "conversion_switches",  # no counterpart of torch.__future__'s overwrite/swap switches
    "memory_format",  # tensors have no memory format (channels_last ...)
    "tensor_type_names",  # no 'torch.FloatTensor' names: Cell has no type() at all (APPLY-TYPE-* fail)
})


def make_candidate() -> Candidate:
    ms = _ms()
    # PyNative mode runs kernels asynchronously: an operation that fails (no CPU kernel for Clone,
    # InplaceFillScalar, ...) raises at the next synchronising operation, which may belong to a later
    # test. Blocking launches make every error surface in the operation that caused it; results are
    # the same either way.
    ms.runtime.launch_blocking()
    return MindSporeCandidate(
        name="mindspore",
        version=ms.__version__,
        nn=mindspore_namespace(),
        lacks=MINDSPORE_LACKS,
        repro_prelude=MINDSPORE_PRELUDE,
        description="MindSpore's mindspore.nn.Cell",
    )
