"""Jittor (``jittor.Module``) as an nnconform candidate.

Use it with ``--candidate adapters.jittor_adapter:make_candidate`` from an environment where jittor is
installed (``scripts/make_venv_jittor.sh`` builds ``.venv-jittor``).

Jittor compiles its C++ core on the first import and each new operator on its first use. Before it
imports jittor, this module sets (unless the environment already does) ``nvcc_path`` to empty (CPU only:
jittor otherwise looks for, and may try to download, a CUDA toolkit), ``use_mkl=0`` (no oneDNN download)
and ``JITTOR_HOME`` to ``<the running venv>/jittor-home``, so that every pytest process finds the
compiled cache that ``make_venv_jittor.sh`` filled.

What this adapter does, and only that:

- ``nn.Module`` is a thin subclass of ``jittor.Module`` that carries torch's method names where Jittor
  has the same operation under another name: ``forward`` is Jittor's ``execute`` (a subclass defines
  ``forward``; calling the module runs it through ``execute``), ``train(False)`` is ``eval()``,
  ``float``/``double`` are ``float32``/``float64``, ``register_module`` is ``add_module``,
  ``register_parameter(name, p)`` is the attribute assignment by which Jittor makes a Var a parameter,
  ``register_forward_pre_hook`` is ``register_pre_forward_hook`` and ``register_full_backward_hook`` is
  ``register_backward_hook`` (Jittor's hook of a module's input and output gradients). Jittor's hooks
  are single-slot (a new one replaces the old, registration returns None) and that is left as it is.
  ``isinstance(x, nn.Module)`` holds for every ``jittor.Module``, as it does for every torch module.
  A torch name with no Jittor equivalent (``to``, ``cpu``, ``get_submodule``, ``zero_grad``...) is
  left out.
- The rest of ``nn`` is ``jittor.nn``. Jittor has no Parameter class (a Var held by a module is a
  parameter): ``nn.Parameter(...)`` calls Jittor's ``nn.Parameter`` function, and
  ``isinstance(x, nn.Parameter)`` is ``isinstance(x, jittor.Var)``. ``ModuleList``, ``Sequential``,
  ``ParameterList`` and ``ParameterDict`` are Jittor's (``ModuleList`` is ``Sequential`` and
  ``ParameterDict`` is ``ParameterList`` there; there is no ``ModuleDict``). ``init`` is
  ``jittor.init`` plus torch's names for its functions (``normal_`` is ``gauss_``, ``ones_`` is
  ``one_``, ``zeros_`` is ``zero_``, ``xavier_normal_`` is ``xavier_gauss_``; ``uniform_`` takes
  torch's ``a``/``b`` for Jittor's ``low``/``high``).
- The tensor accessors of :class:`Candidate` are overridden for ``jittor.Var``. Jittor has no
  per-tensor device (one global switch, ``jt.flags.use_cuda``), no ``.grad`` (gradients are returned by
  ``jt.grad`` or kept by the optimizer), no ``grad_fn`` and no leaf flag: see each method.

Nothing here changes what Jittor does; where it differs from torch, the clause fails.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np

from adapters.base import Candidate


def jittor_environment() -> None:
    """Set jittor's build switches (environment variables it reads at import), unless already set."""
    os.environ.setdefault("nvcc_path", "")
    os.environ.setdefault("use_mkl", "0")
    os.environ.setdefault("JITTOR_HOME", os.path.join(sys.prefix, "jittor-home"))


# The start of every reproducer: binds ``nn`` and ``tensor`` for jittor, with no nnconform import. It
# builds the same namespace as ``jittor_namespace`` below.
JITTOR_PRELUDE = """\
import os
import sys
import types

os.environ.setdefault("nvcc_path", "")
os.environ.setdefault("use_mkl", "0")
os.environ.setdefault("JITTOR_HOME", os.path.join(sys.prefix, "jittor-home"))

import numpy as np
import jittor as jt


class _ModuleMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, jt.Module) if cls is Module else super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, jt.Module) if cls is Module else super().__subclasscheck__(sub)


class Module(jt.Module, metaclass=_ModuleMeta):
    forward = jt.Module.execute

    def execute(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def train(self, mode=True):
        return jt.Module.train(self) if mode else jt.Module.eval(self)

    def float(self, *args, **kwargs):
        return self.float32(*args, **kwargs)

    def double(self, *args, **kwargs):
        return self.float64(*args, **kwargs)

    def register_module(self, *args, **kwargs):
        return self.add_module(*args, **kwargs)

    def register_parameter(self, name, param):
        setattr(self, name, param)

    def register_forward_pre_hook(self, *args, **kwargs):
        return self.register_pre_forward_hook(*args, **kwargs)

    def register_full_backward_hook(self, *args, **kwargs):
        return self.register_backward_hook(*args, **kwargs)


class _ParameterMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, jt.Var)

    def __subclasscheck__(cls, sub):
        return isinstance(sub, type) and issubclass(sub, jt.Var)


class Parameter(metaclass=_ParameterMeta):
    def __new__(cls, *args, **kwargs):
        return jt.nn.Parameter(*args, **kwargs)


def _uniform_(tensor, a=0.0, b=1.0):
    return jt.init.uniform_(tensor, a, b)


_init = {n: getattr(jt.init, n) for n in dir(jt.init) if not n.startswith("_")}
_init.update(normal_=jt.init.gauss_, ones_=jt.init.one_, zeros_=jt.init.zero_,
             xavier_normal_=jt.init.xavier_gauss_, uniform_=_uniform_)
_names = {n: getattr(jt.nn, n) for n in dir(jt.nn) if not n.startswith("_")}
_names.update(Module=Module, Parameter=Parameter, init=types.SimpleNamespace(**_init))
nn = types.SimpleNamespace(**_names)


def tensor(values, dtype="float32"):
    t = jt.array(np.asarray(values), dtype=dtype)
    t.requires_grad = False
    return t
"""


def _jittor() -> Any:
    jittor_environment()
    import jittor

    return jittor


class _ModuleMeta(type):
    """``isinstance(x, Module)`` and ``issubclass(c, Module)`` hold for every jittor module (Jittor's
    layers and containers derive from ``jittor.Module``, not from this subclass), as torch's
    ``nn.Module`` is the base of all torch modules. Subclasses of ``Module`` check as usual."""

    def __instancecheck__(cls, obj: Any) -> bool:
        if cls.__dict__.get("_nnc_base", False):
            return isinstance(obj, cls.__mro__[1])
        return super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub: Any) -> bool:
        if cls.__dict__.get("_nnc_base", False):
            return issubclass(sub, cls.__mro__[1])
        return super().__subclasscheck__(sub)


class _ParameterMeta(type):
    """``isinstance(x, Parameter)`` is ``isinstance(x, jittor.Var)``: Jittor has no Parameter type, and
    its documentation says that a Var is a parameter (when a module holds it)."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _jittor().Var)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return isinstance(sub, type) and issubclass(sub, _jittor().Var)


class Parameter(metaclass=_ParameterMeta):
    """torch's ``nn.Parameter`` name over Jittor's ``nn.Parameter`` function: calling it calls that
    function (which logs a warning and returns a clone of the data with ``requires_grad`` set) and
    returns what it returns, a plain Var."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _jittor().nn.Parameter(*args, **kwargs)


def _train(self: Any, mode: bool = True) -> Any:
    """torch's ``train(mode)``: Jittor's ``train()`` for a true mode, its ``eval()`` otherwise."""
    base = _jittor().Module
    return base.train(self) if mode else base.eval(self)


def _alias(jittor_name: str) -> Callable[..., Any]:
    """A method that calls Jittor's ``jittor_name`` with the same arguments."""

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, jittor_name)(*args, **kwargs)

    method.__name__ = jittor_name
    method.__doc__ = f"Alias of ``jittor.Module.{jittor_name}``."
    return method


def _register_parameter(self: Any, name: str, param: Any) -> None:
    """torch's ``register_parameter``: in Jittor a Var becomes a parameter by being assigned to a module
    attribute (``jittor.nn.Parameter``'s docstring says so), the way Jittor's own ``add_module`` is an
    attribute assignment. Nothing is checked, as Jittor checks nothing."""
    setattr(self, name, param)


def _execute(self: Any, *args: Any, **kwargs: Any) -> Any:
    """Jittor calls ``execute``; torch-shaped code defines ``forward``."""
    return self.forward(*args, **kwargs)


# torch method name -> the same operation under Jittor's name (applied only where jittor.Module lacks the
# torch name). Argument spellings are not translated, and nothing is changed in what Jittor returns or
# raises (add_module returns the module, hook registrations return None, ...).
TORCH_ALIASES: dict[str, Callable[..., Any]] = {
    "train": _train,
    "float": _alias("float32"),
    "double": _alias("float64"),
    "register_module": _alias("add_module"),
    "register_parameter": _register_parameter,
    "register_forward_pre_hook": _alias("register_pre_forward_hook"),
    "register_full_backward_hook": _alias("register_backward_hook"),
}


def make_module_class() -> type:
    """``Module``: a subclass of ``jittor.Module`` under torch's name, with torch's method names."""
    jt = _jittor()
    body: dict[str, Any] = {
        "__doc__": "jittor.Module under torch's name (nnconform's jittor adapter).",
        "__module__": __name__,
        "__qualname__": "Module",
        "_nnc_base": True,
        # forward is Jittor's base execute (NotImplementedError) until a subclass defines forward.
        "forward": jt.Module.execute,
        "execute": _execute,
        "train": _train,
        **{name: fn for name, fn in TORCH_ALIASES.items() if name != "train"
           and not hasattr(jt.Module, name)},
    }
    cls = _ModuleMeta("Module", (jt.Module,), body)
    globals()["Module"] = cls  # so that pickle finds the class as adapters.jittor_adapter.Module
    return cls


def _uniform_(tensor: Any, a: float = 0.0, b: float = 1.0) -> Any:
    """torch's ``uniform_(tensor, a, b)``: Jittor's ``uniform_(var, low, high)``."""
    return _jittor().init.uniform_(tensor, a, b)


def jittor_init() -> SimpleNamespace:
    """``jittor.init`` with torch's names for the functions Jittor names otherwise."""
    jt = _jittor()
    init = jt.init
    names = {n: getattr(init, n) for n in dir(init) if not n.startswith("_")}
    names.update(
        normal_=init.gauss_,
        ones_=init.one_,
        zeros_=init.zero_,
        xavier_normal_=init.xavier_gauss_,
        uniform_=_uniform_,
    )
    return SimpleNamespace(**names)


def jittor_namespace() -> SimpleNamespace:
    """The torch-shaped ``nn`` namespace over ``jittor.nn``."""
    jt = _jittor()
    names = {n: getattr(jt.nn, n) for n in dir(jt.nn) if not n.startswith("_")}
    names["Module"] = make_module_class()
    names["Parameter"] = Parameter
    names["init"] = jittor_init()
    # Jittor has no nn.Buffer, no ModuleDict, no lazy modules, no hook handles and no global hooks:
    # left out.
    return SimpleNamespace(**names)


def _pointer(x: Any) -> int | None:
    """Where the data of a Var (or of the numpy array ``Var.data`` hands out) starts."""
    jt = _jittor()
    if isinstance(x, jt.Var):
        return int(x.raw_ptr)
    if isinstance(x, np.ndarray):
        base = x
        while isinstance(base.base, np.ndarray):
            base = base.base
        return int(base.ctypes.data)
    return None


class JittorCandidate(Candidate):
    """The tensor accessors of Candidate for ``jittor.Var``."""

    def tensor(self, values: Any, dtype: str = "float32", requires_grad: bool = False) -> Any:
        """``jt.array`` with the dtype passed explicitly (without it, Jittor turns 64-bit data into
        32-bit, ``flags.auto_convert_64_to_32``). Jittor makes every float Var require grad unless told
        otherwise, so ``requires_grad`` is always set."""
        jt = _jittor()
        t = jt.array(np.asarray(values), dtype=dtype)
        t.requires_grad = requires_grad
        return t

    def to_numpy(self, t: Any) -> np.ndarray:
        if isinstance(t, np.ndarray):  # Var.data is a numpy array over the Var's memory
            return np.array(t)
        return np.array(t.numpy())

    def is_tensor(self, x: Any) -> bool:
        return isinstance(x, _jittor().Var)

    def dtype_name(self, t: Any) -> str:
        return str(t.dtype)

    def device_name(self, t: Any) -> str:
        """Jittor places no tensor on a device: one global flag decides where every operation runs."""
        return "cuda:0" if _jittor().flags.use_cuda else "cpu"

    def shape(self, t: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in t.shape)

    def requires_grad(self, t: Any) -> bool:
        return bool(t.requires_grad)

    def is_leaf(self, t: Any) -> bool:
        raise NotImplementedError("jittor Vars have no leaf flag (capability autograd)")

    def has_grad_fn(self, t: Any) -> bool:
        raise NotImplementedError("jittor Vars have no grad_fn (capability autograd)")

    def grad(self, t: Any) -> Any:
        """A jittor Var never holds a gradient (``Var.grad`` raises: gradients are what ``jt.grad``
        returns or what the optimizer keeps, ``Var.opt_grad(optimizer)``): always None."""
        return None

    def set_grad(self, t: Any, values: Any) -> None:
        """Clearing (None) is a no-op, since a Var holds no gradient; giving one is impossible."""
        if values is not None:
            raise NotImplementedError("jittor Vars hold no .grad (capability autograd)")

    def set_grad_tracked(self, t: Any, values: Any, with_grad_fn: bool = False) -> None:
        raise NotImplementedError("jittor Vars hold no .grad (capability autograd)")

    def mul_(self, t: Any, other: Any) -> Any:
        return t.mul_(other)

    def swap_last_dims(self, t: Any) -> Any:
        return t.transpose(-1, -2)

    def same_storage(self, a: Any, b: Any) -> bool:
        """Jittor has no storage objects; two Vars (or a Var and the numpy array of ``Var.data``) share
        memory when their data starts at the same address. Jittor's in-place operations (``fill_``,
        ``assign``, ``update``) give a Var new memory."""
        pa, pb = _pointer(a), _pointer(b)
        return pa is not None and pa == pb

    @contextlib.contextmanager
    def no_grad(self) -> Iterator[None]:
        with _jittor().no_grad():
            yield

    def cuda_available(self) -> bool:
        return bool(_jittor().has_cuda)

    def snapshot_global_hooks(self) -> Any:
        """Jittor has no global (all-module) hook registries: nothing to save."""
        return None

    def restore_global_hooks(self, state: Any) -> None:
        return None

    def generator(self, seed: int) -> Any:
        raise NotImplementedError("jittor.init functions take no generator (capability init_generator)")

    def manual_seed(self, seed: int) -> None:
        _jittor().set_global_seed(seed)

    # --- hooks suites --------------------------------------------

    def backward(self, t: Any) -> None:
        """Jittor's ``Var.backward`` exists only to raise, pointing at ``optimizer.backward(loss)``; it
        is called as it is, so its error is what the suite sees."""
        t.sum().backward()

    # --- apply suites (dtypes, devices and casts the apply suites need) ---------------------------
    # Jittor names dtypes with strings ('float64'; jt.float64 is a cast function, not a dtype) and has
    # no device objects: where an operation runs is the global jt.flags.use_cuda.

    def dtype(self, name: str) -> Any:
        return name

    def device(self, name: str) -> Any:
        raise NotImplementedError(f"jittor has no device objects (asked for {name!r})")

    def to_device(self, t: Any, name: str) -> Any:
        if name == self.device_name(t):
            return t
        raise NotImplementedError(f"jittor cannot place one tensor on {name!r}: only jt.flags.use_cuda")

    def cast(self, t: Any, name: str) -> Any:
        return t.detach().astype(name)

    def set_grad_tensor(self, t: Any, g: Any) -> None:
        raise NotImplementedError("jittor Vars hold no .grad (capability autograd)")

    def own_slots(self, module: Any) -> list[tuple[str, str, Any]]:
        """The Vars and modules ``module`` holds as attributes (Jittor registers nothing: what a module
        holds in its ``__dict__``, under a name not starting with ``_``, is its state). Jittor makes
        no difference between parameters and buffers; ``register_buffer`` only marks a Var with a
        ``persistent`` attribute, read here as buffer (``buffer-np`` when False). Jittor has no slots
        holding None."""
        jt = _jittor()
        params, buffers, children = [], [], []
        for name, value in vars(module).items():
            if not isinstance(name, str) or name.startswith("_"):
                continue
            if isinstance(value, jt.Var):
                persistent = getattr(value, "persistent", None)
                if persistent is None:
                    params.append((name, "param", value))
                else:
                    buffers.append((name, "buffer" if persistent else "buffer-np", value))
            elif isinstance(value, jt.Module):
                children.append((name, "child", value))
        return params + buffers + children

    @contextlib.contextmanager
    def conversion_switches(self, overwrite: bool, swap: bool) -> Iterator[None]:
        """Jittor has no such switches (capability ``conversion_switches``): only both off is valid."""
        if overwrite or swap:
            raise NotImplementedError("jittor has no conversion switches (capability conversion_switches)")
        yield

    def memory_format(self, name: str) -> Any:
        raise NotImplementedError("jittor has no memory formats (capability memory_format)")

    def has_memory_format(self, t: Any, name: str) -> bool:
        raise NotImplementedError("jittor has no memory formats (capability memory_format)")

    def synchronize(self) -> None:
        _jittor().sync_all(True)

    # --- lazy suites -------------------------------------------------------------------------------


# Capabilities of spec/capabilities.yaml that Jittor does not have.
JITTOR_LACKS = frozenset({
    "buffer_class",  # no jittor.nn.Buffer: register_buffer only marks a Var
    "path_lookup",  # no get_submodule / get_parameter / get_buffer
    "set_submodule",  # no set_submodule
    "remove_duplicate",  # named_parameters / named_modules take no remove_duplicate
    "autograd",  # no .grad, grad_fn or leaf flag on Var; backward only via jt.grad or an optimizer
    "init_generator",  # jittor.init functions take no generator
    "init_fan_helper",  # jittor.init has no _calculate_fan_in_and_fan_out
    "torch_save",  # state dicts hold jittor Vars, which torch.load(weights_only=True) cannot read
    "extra_state",  # no get_extra_state / set_extra_state protocol
    "lazy_modules",  # no UninitializedParameter, LazyModuleMixin or Lazy* layers in jittor.nn
    "hook_prepend",  # single-slot hooks: registration takes no prepend option
    "hook_with_kwargs",  # no with_kwargs option (a hook gets the kwargs whenever the call has some)
    "hook_always_call",  # no always_call option
    "backward_pre_hooks",  # no register_full_backward_pre_hook
    "legacy_backward_hooks",  # register_backward_hook is Jittor's only (full) backward hook, mapped above
    "global_hooks",  # no register_module_*_hook functions
    "hook_tables",  # single-slot hooks: no hook tables keyed by handle id
    "registration_hooks",  # no parameter / buffer / module registration hooks
    "state_dict_hooks",  # state_dict runs no hooks
    "load_state_dict_hooks",  # load_state_dict runs no hooks
    "meta_device",  # no meta device
    "conversion_switches",  # no overwrite / swap switches for module conversions
    "to_empty",  # no Module.to_empty
    "memory_format",  # no memory formats
    "to_tensor_argument",  # no Module.to at all
    "tensor_type_names",  # no 'torch.FloatTensor' names: Module has no type() at all (APPLY-TYPE-* fail)
    "complex_dtypes",  # jt.array refuses complex numpy arrays
})


def make_candidate() -> Candidate:
    jt = _jittor()
    return JittorCandidate(
        name="jittor",
        version=jt.__version__,
        nn=jittor_namespace(),
        lacks=JITTOR_LACKS,
        repro_prelude=JITTOR_PRELUDE,
        description="Jittor's jittor.Module",
    )
