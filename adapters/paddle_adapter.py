"""PaddlePaddle (``paddle.nn.Layer``) as an nnconform candidate.

Use it with ``--candidate adapters.paddle_adapter:make_candidate`` from an environment where paddle is
installed (``scripts/make_venv_paddle.sh`` builds ``.venv-paddle``).

What this adapter does, and only that:

- ``nn.Module`` is a thin subclass of ``paddle.nn.Layer`` named ``Module``. It adds torch's method
  names as plain aliases of Paddle's equivalents, but only for names the installed ``Layer`` does not
  already define: Paddle 3.x ships most torch names itself (``add_module``, ``named_modules``,
  ``register_buffer(..., persistent=)``, ``recurse=`` ...), and those are used untouched. A torch name
  with no Paddle equivalent is left out.
- The rest of ``nn`` is ``paddle.nn`` under torch's names (``Conv1D`` is also ``Conv1d``, ...),
  ``Parameter`` is ``paddle.nn.Parameter`` (``EagerParamBase``, built from a tensor like torch's),
  ``RemovableHandle`` is Paddle's hook handle class and ``init`` is ``paddle.nn.init`` as it is (its
  functions already take torch's argument names, so there is nothing to translate; ``generator`` is the
  one torch argument they lack: capability ``init_generator``).
- The tensor accessors of :class:`Candidate` are overridden for paddle tensors: ``stop_gradient``
  is the negation of ``requires_grad``, places are named like torch devices (``cpu``, ``cuda:0``).

Nothing here changes what Paddle does; where it differs from torch, the clause fails.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np

from adapters.base import Candidate

# The start of every reproducer: binds ``nn`` and ``tensor`` for paddle, with no nnconform import. It
# builds the same namespace as ``paddle_namespace`` below (with Paddle 3.x no alias is needed, so the
# Module subclass is empty).
PADDLE_PRELUDE = """\
import types

import numpy as np
import paddle
from paddle.nn.layer.layers import HookRemoveHelper


class Module(paddle.nn.Layer):
    \"\"\"paddle.nn.Layer under torch's name.\"\"\"


_names = {n: getattr(paddle.nn, n) for n in dir(paddle.nn) if not n.startswith("_")}
for _n in list(_names):
    if _n[-2:] in ("1D", "2D", "3D"):
        _names.setdefault(_n[:-1] + "d", _names[_n])
_names.update(Module=Module, Parameter=paddle.nn.Parameter, init=paddle.nn.init,
              RemovableHandle=HookRemoveHelper)
nn = types.SimpleNamespace(**_names)


def tensor(values, dtype="float32"):
    return paddle.to_tensor(np.asarray(values), dtype=dtype)
"""


def _alias(paddle_name: str) -> Callable[..., Any]:
    """A method that calls Paddle's ``paddle_name`` with the same arguments."""

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, paddle_name)(*args, **kwargs)

    method.__name__ = paddle_name
    method.__doc__ = f"Alias of ``paddle.nn.Layer.{paddle_name}``."
    return method


def _named_modules(self: Any, memo: Any = None, prefix: str = "", remove_duplicate: bool = True) -> Any:
    """torch's named_modules as Paddle's named_sublayers with the layer itself included."""
    return self.named_sublayers(
        prefix=prefix, include_self=True, layers_set=memo, remove_duplicate=remove_duplicate
    )


def _modules(self: Any) -> Iterator[Any]:
    for _, layer in self.named_sublayers(include_self=True):
        yield layer


# torch method name -> Paddle's equivalent under that name. Applied only where ``paddle.nn.Layer`` lacks the
# torch name (older Paddle releases); Paddle 3.x defines every one of these itself, so none is added there.
# Keyword spellings (``recurse=``, ``persistent=``) are not translated: Paddle 3.x accepts torch's own, and
# an older Paddle that does not fails the clauses that use them. The wrappers only rename; they do not
# change what Paddle returns or raises.
TORCH_ALIASES: dict[str, Callable[..., Any]] = {
    "add_module": _alias("add_sublayer"),
    "register_module": _alias("add_sublayer"),
    "get_submodule": _alias("get_sublayer"),
    "set_submodule": _alias("set_sublayer"),
    "register_parameter": _alias("add_parameter"),
    "named_modules": _named_modules,
    "modules": _modules,
    "load_state_dict": _alias("set_state_dict"),
    "register_forward_hook": _alias("register_forward_post_hook"),
    "half": _alias("float16"),
}


def paddle_layer() -> type:
    import paddle

    return paddle.nn.Layer


def missing_aliases() -> dict[str, Callable[..., Any]]:
    """The entries of TORCH_ALIASES the installed ``paddle.nn.Layer`` needs (those it does not define)."""
    layer = paddle_layer()
    return {name: fn for name, fn in TORCH_ALIASES.items() if not hasattr(layer, name)}


def make_module_class() -> type:
    """``Module``: a subclass of ``paddle.nn.Layer`` under torch's name, with the missing torch aliases."""
    layer = paddle_layer()
    body: dict[str, Any] = {
        "__doc__": "paddle.nn.Layer under torch's name (nnconform's paddle adapter).",
        "__module__": __name__,
        "__qualname__": "Module",
        **missing_aliases(),
    }
    cls = type("Module", (layer,), body)
    globals()["Module"] = cls  # so that pickle finds the class as adapters.paddle_adapter.Module
    return cls


def _torch_spellings(names: dict[str, Any]) -> dict[str, Any]:
    """torch's spelling of Paddle's class names with a ``1D``/``2D``/``3D`` suffix (``Conv1d``...)."""
    extra = {}
    for name, value in names.items():
        if name[-2:] in ("1D", "2D", "3D"):
            torch_name = name[:-1] + "d"
            if torch_name not in names:
                extra[torch_name] = value
    return extra


def paddle_namespace() -> SimpleNamespace:
    """The torch-shaped ``nn`` namespace over ``paddle.nn``."""
    import paddle
    from paddle.nn.layer.layers import HookRemoveHelper

    names = {n: getattr(paddle.nn, n) for n in dir(paddle.nn) if not n.startswith("_")}
    names.update(_torch_spellings(names))
    names["Module"] = make_module_class()
    names["Parameter"] = paddle.nn.Parameter
    names["init"] = paddle.nn.init
    names["RemovableHandle"] = HookRemoveHelper
    # Paddle has no nn.Buffer, no LazyModuleMixin and no global (all-module) hook functions: left out.
    return SimpleNamespace(**names)


def _device_of(place: Any) -> str:
    """A Paddle place under torch's device name: ``Place(cpu)`` -> ``cpu``, ``Place(gpu:0)`` -> ``cuda:0``."""
    text = str(place)
    inner = text[len("Place("):-1] if text.startswith("Place(") and text.endswith(")") else text
    if inner.startswith("gpu:"):
        return "cuda:" + inner.removeprefix("gpu:")
    return inner


class PaddleCandidate(Candidate):
    """The tensor accessors of Candidate for paddle tensors."""

    def tensor(self, values: Any, dtype: str = "float32", requires_grad: bool = False) -> Any:
        import paddle

        return paddle.to_tensor(np.asarray(values), dtype=dtype, stop_gradient=not requires_grad)

    def to_numpy(self, t: Any) -> np.ndarray:
        return np.asarray(t.detach().cpu().numpy())

    def is_tensor(self, x: Any) -> bool:
        import paddle

        return isinstance(x, paddle.Tensor)

    def dtype_name(self, t: Any) -> str:
        return str(t.dtype).removeprefix("paddle.")

    def device_name(self, t: Any) -> str:
        return _device_of(t.place)

    def shape(self, t: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in t.shape)

    def requires_grad(self, t: Any) -> bool:
        return not t.stop_gradient

    def is_leaf(self, t: Any) -> bool:
        return bool(t.is_leaf)

    def has_grad_fn(self, t: Any) -> bool:
        """Whether an operation recorded by autograd made ``t``. Paddle's ``grad_fn`` also shows, on leaf
        tensors, the node that accumulates their gradient (``GradNodeAccumulation``), which torch keeps
        out of ``grad_fn`` (its ``AccumulateGrad`` is only reachable through ``next_functions``); that
        node is read as "no grad_fn"."""
        node = t.grad_fn
        return node is not None and node.name() != "GradNodeAccumulation"

    def grad(self, t: Any) -> Any:
        return t.grad

    def set_grad(self, t: Any, values: Any) -> None:
        t.grad = None if values is None else self.tensor(values, self.dtype_name(t))

    def mul_(self, t: Any, other: Any) -> Any:
        return t.multiply_(other)

    def swap_last_dims(self, t: Any) -> Any:
        import paddle

        perm = list(range(t.ndim))
        perm[-1], perm[-2] = perm[-2], perm[-1]
        return paddle.transpose(t, perm)

    def same_storage(self, a: Any, b: Any) -> bool:
        return bool(a._is_shared_buffer_with(b))

    @contextlib.contextmanager
    def no_grad(self) -> Iterator[None]:
        import paddle

        with paddle.no_grad():
            yield

    def cuda_available(self) -> bool:
        import paddle

        return bool(paddle.device.is_compiled_with_cuda()) and paddle.device.cuda.device_count() > 0

    def snapshot_global_hooks(self) -> Any:
        """Paddle has no global (all-module) hook registries: nothing to save."""
        return None

    def restore_global_hooks(self, state: Any) -> None:
        return None

    def generator(self, seed: int) -> Any:
        raise NotImplementedError("paddle.nn.init functions take no generator (capability init_generator)")

    def manual_seed(self, seed: int) -> None:
        import paddle

        paddle.seed(seed)

    def derived(self, t: Any) -> dict[str, Any]:
        flat = t.reshape([-1])
        return {
            "t + t": t + t, "t * 2": t * 2, "-t": -t, "t[0]": t[0], "flat[1:]": flat[1:],
            "t.view(-1)": t.view(-1), "t.clone()": t.clone(), "t.detach()": t.detach(), "t.sum()": t.sum(),
            "t.data": t.data,
        }


    # --- hooks suites --------------------------------------------

    def backward(self, t: Any) -> None:
        import paddle

        paddle.sum(t).backward()

    # --- apply suites (dtypes, devices and casts the apply suites need) ---------------------------
    # Paddle names dtypes like numpy (``paddle.float64``) and devices as places; ``meta`` has no place
    # (capability ``meta_device``). Layer.to() takes ``(device, dtype, blocking, non_blocking)``: the
    # suites' calls pass what they pass, the adapter only supplies the dtype and place objects.

    def dtype(self, name: str) -> Any:
        import paddle

        return getattr(paddle, name)

    def device(self, name: str) -> Any:
        """``cpu`` -> ``CPUPlace()``, ``cuda`` -> the current GPU's ``CUDAPlace``, ``cuda:i`` ->
        ``CUDAPlace(i)``."""
        import paddle

        kind, _, index = name.partition(":")
        if kind == "cpu" and not index:
            return paddle.CPUPlace()
        if kind == "cuda":
            return paddle.CUDAPlace(int(index) if index else paddle.device.cuda.current_device())
        raise ValueError(f"no Paddle place for the device {name!r}")

    def to_device(self, t: Any, name: str) -> Any:
        place = self.device(name)
        return t if _device_of(t.place) == _device_of(place) else t._copy_to(place, True)

    def cast(self, t: Any, name: str) -> Any:
        import paddle

        return paddle.cast(t.detach(), name)

    def same_tensor(self, a: Any, b: Any) -> bool:
        """``Tensor.grad`` returns a new Python wrapper of the parameter's gradient on every access, so
        two wrappers are one tensor when they share the underlying tensor object (which ``detach()``
        also shares; a view, a copy or a new tensor does not)."""
        if a is b:
            return True
        return self.is_tensor(a) and self.is_tensor(b) and bool(a._is_shared_underline_tensor_with(b))

    @contextlib.contextmanager
    def conversion_switches(self, overwrite: bool, swap: bool) -> Iterator[None]:
        """Paddle has no such switches (capability ``conversion_switches``): only both off is valid."""
        if overwrite or swap:
            raise NotImplementedError("Paddle has no conversion switches (capability conversion_switches)")
        yield

    def synchronize(self) -> None:
        import paddle

        paddle.device.synchronize()

    # --- lazy suites -------------------------------------------------------------------------------


# Capabilities of spec/capabilities.yaml that Paddle does not have.
PADDLE_LACKS = frozenset({
    "buffer_class",  # no paddle.nn.Buffer
    "init_generator",  # paddle.nn.init functions take no generator
    "extra_state",  # Layer has no get_extra_state / set_extra_state protocol
    "torch_save",  # paddle state dicts hold paddle tensors, not something torch.save/torch.load handle
    "lazy_modules",  # no UninitializedParameter or Lazy* layers in paddle.nn
    "full_backward_hooks",  # Layer has forward pre/post hooks only; backward hooks exist per tensor only
    "backward_pre_hooks",  # no register_full_backward_pre_hook on Layer
    "legacy_backward_hooks",  # no register_backward_hook on Layer
    "global_hooks",  # no register_module_*_hook functions: every hook belongs to one Layer
    "hook_tables",  # Layer keeps _forward_pre_hooks / _forward_post_hooks, not torch's table names
    "registration_hooks",  # no parameter / buffer / sublayer registration hooks
    "state_dict_hooks",  # no state_dict pre/post hooks; Layer.register_state_dict_hook is hook(dict) only
    "load_state_dict_hooks",  # set_state_dict / load_state_dict run no hooks
    "meta_device",  # no meta place: Layer.to('meta') raises ValueError naming the device strings it knows
    "conversion_switches",  # nothing like torch.__future__'s overwrite / swap switches
    "to_empty",  # Layer has no to_empty
    "memory_format",  # no memory formats; Layer.to has no memory_format argument
    "to_tensor_argument",  # Layer.to(device, dtype, blocking, non_blocking) takes no tensor
    "tensor_type_names",  # Layer.type accepts dtype names and objects only, no 'torch.FloatTensor'-like names
})


def make_candidate() -> Candidate:
    import paddle

    ns = paddle_namespace()
    lacks = set(PADDLE_LACKS)
    if hasattr(ns, "Buffer"):
        lacks.discard("buffer_class")
    return PaddleCandidate(
        name="paddle",
        version=paddle.__version__,
        nn=ns,
        lacks=frozenset(lacks),
        repro_prelude=PADDLE_PRELUDE,
        description="PaddlePaddle's paddle.nn.Layer",
    )
