"""Reference ``Module``: registration of parameters, buffers and children, attribute routing,
path lookup, iteration, train/eval, repr.

The per-instance state lives in the instance ``__dict__`` under the same names torch uses, so that
name clashes with it behave alike:

* ``_parameters``: name -> Parameter or None, in registration order;
* ``_buffers``: name -> tensor or None, in registration order;
* ``_non_persistent_buffers_set``: names of buffers left out of ``state_dict``;
* ``_modules``: name -> child Module or None, in registration order;
* ``training``: the train/eval flag.

Every registered entry is written through one method per kind (``_store_parameter``,
``_store_buffer``, ``_store_module``), which is where registration hooks belong.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import torch

from oracle.apply import TransferMixin
from oracle.hooks import HooksMixin, run_registration_hooks
from oracle.parameter import Buffer, Parameter
from oracle.state_dict import StateDictMixin

__all__ = ["Module"]


def _typename(obj: Any) -> str:
    """The type name used in error messages (``torch.FloatTensor``, ``int``...).

    ``torch.typename`` (a general torch utility, not part of torch.nn) is used on purpose: it probes
    the value's attributes, and torch's error paths do the same, so a value whose attribute lookup
    itself fails fails alike here.
    """
    return torch.typename(obj)


def _is_tensor_like(value: Any) -> bool:
    """What may be stored as a buffer: a tensor, or an object that takes part in torch's dispatch."""
    return isinstance(value, torch.Tensor) or hasattr(value, "__torch_function__")


def _join(prefix: str, name: str) -> str:
    """Dotted path of ``name`` below ``prefix`` (no leading dot when the prefix is empty)."""
    return prefix + ("." if prefix else "") + name


def _indent_continuation(text: str, spaces: int) -> str:
    """Indent every line but the first by ``spaces``; blank lines are left empty."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    rest = [pad + line if line.strip() else "" for line in lines[1:]]
    return lines[0] + "\n" + "\n".join(rest)


def _forward_unimplemented(self: Module, *args: Any, **kwargs: Any) -> Any:
    """Default ``forward``: a subclass must define its own."""
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module(HooksMixin, StateDictMixin, TransferMixin):
    """Base class of the oracle's modules: a tree of named parameters, buffers and child modules.

    Registration, attribute routing, lookup, iteration and repr live here; hooks and calling in
    ``oracle/hooks.py``, state_dict in ``oracle/state_dict.py``, device/dtype transfer in
    ``oracle/apply.py`` (mixins, one file per spec area).
    """

    dump_patches: bool = False
    _version: int = 1

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, torch.Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]

    # Declared as a class attribute (not a method) so that subclasses may define forward with any
    # signature. Clause: calling a module without its own forward raises NotImplementedError.
    forward: Callable[..., Any] = _forward_unimplemented

    def __init__(self) -> None:
        """Create the empty registries and set ``training`` to True (REG-TRAIN-DEFAULT)."""
        init = object.__setattr__
        init(self, "training", True)
        init(self, "_parameters", {})
        init(self, "_buffers", {})
        init(self, "_non_persistent_buffers_set", set())
        init(self, "_modules", {})
        self._init_hook_registries()

    # --- the single write path per kind (registration hooks go here) ----------------------------

    def _store_parameter(self, name: str, param: Parameter | None) -> None:
        # torch runs parameter registration hooks only when ``param`` is not None (HOOK-REG-PARAM).
        if param is not None:
            param = run_registration_hooks("parameter", self, name, param)
        self._parameters[name] = param

    def _store_buffer(self, name: str, tensor: torch.Tensor | None, persistent: bool) -> None:
        tensor = run_registration_hooks("buffer", self, name, tensor)  # HOOK-REG-BUFFER
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def _store_module(self, name: str, module: Module | None, registry: dict[str, Any] | None = None) -> None:
        # ``registry`` is the child dict fetched by the caller (``__setattr__`` reads it up front).
        if registry is None:
            registry = self._modules
        module = run_registration_hooks("module", self, name, module)  # HOOK-REG-MODULE
        registry[name] = module

    # --- registration -----------------------------------------------------------------------------

    def register_buffer(self, name: str, tensor: torch.Tensor | None, persistent: bool = True) -> None:
        """Register ``tensor`` (or a None slot) as a buffer called ``name``.

        Checks, in order: module initialised (AttributeError), name is a str (TypeError), no "." in
        it (KeyError), not empty (KeyError), not already an attribute other than a buffer (KeyError),
        value is tensor-like or None (TypeError). Re-registering keeps the position and takes the
        new persistence.
        Clauses: REG-BUF-REGISTER, REG-BUF-NONPERSISTENT, REG-BUF-NONE, REG-BUF-REREGISTER,
        REG-BUF-NAME-TYPE, REG-BUF-NAME-DOT, REG-BUF-NAME-EMPTY, REG-BUF-NAME-TAKEN,
        REG-BUF-VALUE-TYPE, REG-BUF-BEFORE-INIT.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError(f"cannot register buffer {name!r} before Module.__init__() has run")
        if not isinstance(name, str):
            raise TypeError(f"buffer name must be a str, not {_typename(name)}")
        if "." in name:
            raise KeyError(f'buffer name {name!r} must not contain "."')
        if name == "":
            raise KeyError("buffer name must not be the empty string")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"cannot register buffer {name!r}: the attribute already exists")
        if tensor is not None and not _is_tensor_like(tensor):
            raise TypeError(f"buffer {name!r} must be a tensor or None, not {_typename(tensor)}")
        self._store_buffer(name, tensor, persistent)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or a None slot) as a parameter called ``name``.

        Checks, in order: module initialised (AttributeError), name is a str (TypeError), no "." in
        it (KeyError), not empty (KeyError), not already an attribute other than a parameter
        (KeyError); then a non-None value must be a Parameter (TypeError) that is a leaf
        (ValueError). Re-registering keeps the position.
        Clauses: REG-PARAM-REGISTER, REG-PARAM-NONE, REG-PARAM-REPLACE-KEEPS-POSITION,
        REG-PARAM-NAME-TYPE, REG-PARAM-NAME-DOT, REG-PARAM-NAME-EMPTY, REG-PARAM-NAME-TAKEN,
        REG-PARAM-VALUE-TYPE, REG-PARAM-NONLEAF, REG-PARAM-BEFORE-INIT.
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot register parameter {name!r} before Module.__init__() has run")
        if not isinstance(name, str):
            raise TypeError(f"parameter name must be a str, not {_typename(name)}")
        if "." in name:
            raise KeyError(f'parameter name {name!r} must not contain "."')
        if name == "":
            raise KeyError("parameter name must not be the empty string")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"cannot register parameter {name!r}: the attribute already exists")

        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(f"parameter {name!r} must be a Parameter or None, not {_typename(param)}")
            if param.grad_fn:
                raise ValueError(
                    f"parameter {name!r} is not a leaf tensor (it has a grad_fn); a value computed from "
                    "other tensors belongs in forward(), not in a parameter"
                )
        self._store_parameter(name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or a None slot) as a child called ``name``.

        Checks, in order (note: the name is checked for being taken *before* dots and emptiness):
        value is a Module or None (TypeError), name is a str (TypeError), not already an attribute
        other than a child (KeyError), no "." (KeyError), not empty (KeyError).
        Re-adding keeps the position.
        Clauses: REG-MOD-ADD, REG-MOD-NONE, REG-MOD-REPLACE-KEEPS-POSITION, REG-MOD-VALUE-TYPE,
        REG-MOD-NAME-TYPE, REG-MOD-NAME-DOT, REG-MOD-NAME-EMPTY, REG-MOD-NAME-TAKEN.
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"child {name!r} must be a Module or None, not {_typename(module)}")
        if not isinstance(name, str):
            raise TypeError(f"module name must be a str, not {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"cannot add module {name!r}: the attribute already exists")
        if "." in name:
            raise KeyError(f'module name {name!r} must not contain "."')
        if name == "":
            raise KeyError("module name must not be the empty string")
        self._store_module(name, module)

    def register_module(self, name: str, module: Module | None) -> None:
        """Same as ``add_module`` (REG-MOD-REGISTER-ALIAS)."""
        self.add_module(name, module)

    # --- attribute protocol -----------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        """Registered entries read as attributes: parameters, then buffers, then children.

        Only reached when normal lookup fails. Clauses: REG-PARAM-REGISTER, REG-BUF-REGISTER,
        REG-MOD-ADD, REG-GETATTR-MISSING.
        """
        state = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in state:
                entries = state[registry]
                if name in entries:
                    return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        """Route an assignment by the kind of value and the kind of entry already under ``name``.

        1. A Parameter: drop ``name`` from instance attributes, buffers (with its non-persistent
           mark) and children, then ``register_parameter``.
        2. ``name`` is a parameter: only None is accepted (a None slot); else TypeError.
        3. A Module: drop ``name`` from instance attributes, parameters and buffers, store the child.
        4. ``name`` is a child: only None is accepted; else TypeError.
        5. A Buffer, or ``name`` is a buffer: value must be tensor-like or None (TypeError); register
           it with the Buffer's persistence, or else the existing entry's.
        6. Anything else is an ordinary instance attribute.
        Parameters and Modules assigned before ``__init__`` raise AttributeError.
        Clauses: REG-SETATTR-PARAM, REG-SETATTR-MODULE, REG-SETATTR-TENSOR-NEW,
        REG-SETATTR-TENSOR-ONTO-BUFFER, REG-SETATTR-NONE-ONTO-PARAM, REG-SETATTR-NONE-ONTO-MODULE,
        REG-SETATTR-NONE-ONTO-BUFFER, REG-SETATTR-WRONG-ONTO-PARAM, REG-SETATTR-WRONG-ONTO-MODULE,
        REG-SETATTR-WRONG-ONTO-BUFFER, REG-SETATTR-PARAM-REPLACES, REG-SETATTR-MODULE-REPLACES,
        REG-SETATTR-PLAIN, REG-SETATTR-BEFORE-INIT, REG-SETATTR-BUFFER-CLASS.
        """
        state = self.__dict__
        params = state.get("_parameters")

        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(f"cannot assign parameter {name!r} before Module.__init__() has run")
            # The old entries go first; if registration then fails they stay removed (as in torch).
            self._forget(name, state, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {_typename(value)} to parameter {name!r}: "
                    "a Parameter or None is required"
                )
            self.register_parameter(name, value)
            return

        modules = state.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError(f"cannot assign module {name!r} before Module.__init__() has run")
            self._forget(name, state, self._parameters, self._buffers, self._non_persistent_buffers_set)
            # ``modules`` was fetched before the removal: even ``name == "_modules"`` stores the child.
            self._store_module(name, value, modules)
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {_typename(value)} to child module {name!r}: "
                    "a Module or None is required"
                )
            self._store_module(name, value, modules)
            return

        buffers = state.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not _is_tensor_like(value):
                raise TypeError(
                    f"cannot assign {_typename(value)} to buffer {name!r}: "
                    "a tensor, Buffer or None is required"
                )
            if isinstance(value, Buffer):
                persistent = value.persistent
            else:
                persistent = name not in self._non_persistent_buffers_set
            self._register_buffer_from_setattr(name, value, persistent)
            return

        object.__setattr__(self, name, value)

    @staticmethod
    def _forget(name: str, *registries: dict[str, Any] | set[str]) -> None:
        """Remove ``name`` from each of the given dicts and sets where present."""
        for registry in registries:
            if name in registry:
                if isinstance(registry, dict):
                    del registry[name]
                else:
                    registry.discard(name)

    def _register_buffer_from_setattr(self, name: str, value: Any, persistent: bool) -> None:
        """Call ``register_buffer`` from ``__setattr__``, tolerating subclasses whose override of it
        has no ``persistent`` argument (such an override is only usable for persistent buffers)."""
        register = self.register_buffer
        if (
            getattr(register, "__func__", None) is Module.register_buffer
            or "persistent" in inspect.signature(register).parameters
        ):
            register(name, value, persistent)
            return
        if not persistent:
            raise RuntimeError(
                f"cannot register non-persistent buffer {name!r}: this module's register_buffer() "
                "takes no 'persistent' argument"
            )
        register(name, value)

    def __delattr__(self, name: str) -> None:
        """Delete a parameter, a buffer (and its non-persistent mark), a child, or else an ordinary
        attribute (AttributeError when there is none).
        Clauses: REG-DELATTR-REGISTERED, REG-DELATTR-PLAIN.
        """
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    # --- dotted-path lookup -----------------------------------------------------------------------

    def get_submodule(self, target: str) -> Module:
        """The module at dotted path ``target`` ("" is this module).

        Each step must exist (AttributeError) and be a Module (AttributeError).
        Clauses: REG-GETSUB-PATH, REG-GETSUB-MISSING, REG-GETSUB-NOT-MODULE.
        """
        if target == "":
            return self
        current: Any = self
        for atom in target.split("."):
            if not hasattr(current, atom):
                raise AttributeError(f"{current._get_name()} has no attribute `{atom}`")
            current = getattr(current, atom)
            if not isinstance(current, Module):
                raise AttributeError(f"`{atom}` is not a Module")
        return current

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at dotted path ``target``, replacing a child or (unless strict) adding one.

        Checks, in order: target not empty (ValueError), value is a Module (ValueError), parent path
        resolves (as get_submodule: AttributeError), with strict the last name exists
        (AttributeError), an existing attribute there is a Module (AttributeError). Then the
        assignment goes through the parent's ``__setattr__``.
        Clauses: REG-SETSUB-REPLACE, REG-SETSUB-CREATE, REG-SETSUB-STRICT-MISSING,
        REG-SETSUB-EMPTY-TARGET, REG-SETSUB-VALUE-TYPE, REG-SETSUB-TARGET-NOT-MODULE,
        REG-SETSUB-PARENT-MISSING.
        """
        if target == "":
            raise ValueError("set_submodule needs a non-empty target")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError(f"cannot set {target!r}: the value is not a Module, found {type(module)}")
        parent = self if len(atoms) == 1 else self.get_submodule(".".join(atoms[:-1]))
        last = atoms[-1]
        exists = hasattr(parent, last)
        if strict and not exists:
            raise AttributeError(f"{parent._get_name()} has no attribute `{last}`")
        if exists and not isinstance(getattr(parent, last), Module):
            raise AttributeError(f"`{last}` is not a Module")
        setattr(parent, last, module)

    def get_parameter(self, target: str) -> Parameter:
        """The Parameter at dotted path ``target``.

        The owner path resolves as in get_submodule; the last name must exist and hold a Parameter
        (AttributeError otherwise). Clauses: REG-GETPARAM-PATH, REG-GETPARAM-ERRORS.
        """
        owner_path, _, param_name = target.rpartition(".")
        owner = self.get_submodule(owner_path)
        if not hasattr(owner, param_name):
            raise AttributeError(f"{owner._get_name()} has no attribute `{param_name}`")
        param = getattr(owner, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{param_name}` is not a Parameter")
        return param

    def get_buffer(self, target: str) -> torch.Tensor:
        """The buffer at dotted path ``target``.

        The owner path resolves as in get_submodule; the last name must exist (AttributeError) and be
        registered as a buffer of its owner (AttributeError). Clauses: REG-GETBUF-PATH,
        REG-GETBUF-ERRORS.
        """
        owner_path, _, buffer_name = target.rpartition(".")
        owner = self.get_submodule(owner_path)
        if not hasattr(owner, buffer_name):
            raise AttributeError(f"{owner._get_name()} has no attribute `{buffer_name}`")
        buffer = getattr(owner, buffer_name)
        if buffer_name not in owner._buffers:
            raise AttributeError(f"`{buffer_name}` is not a buffer")
        return buffer

    # --- iteration --------------------------------------------------------------------------------

    def _named_members(
        self,
        members_of: Callable[[Module], Any],
        prefix: str = "",
        recurse: bool = True,
        remove_duplicate: bool = True,
    ) -> Iterator[tuple[str, Any]]:
        """Walk ``members_of(module)`` for this module (and descendants when ``recurse``), skipping
        None and, when ``remove_duplicate``, objects already yielded."""
        seen: set[Any] = set()
        if recurse:
            owners: Any = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            owners = [(prefix, self)]
        for owner_prefix, owner in owners:
            for name, value in members_of(owner):
                if value is None or value in seen:
                    continue
                if remove_duplicate:
                    seen.add(value)
                yield _join(owner_prefix, name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield (dotted name, Parameter): own parameters in registration order, then each
        descendant's, depth-first pre-order; None slots skipped; by default each object once.
        Clauses: REG-ITER-PARAMS-ORDER, REG-ITER-PARAMS-NAMES, REG-ITER-PARAMS-PREFIX,
        REG-ITER-PARAMS-RECURSE, REG-ITER-PARAMS-DEDUP, REG-ITER-PARAMS-NODEDUP, REG-ITER-PARAMS-NONE,
        REG-ITER-LAZY.
        """
        yield from self._named_members(
            lambda module: module._parameters.items(),
            prefix=prefix,
            recurse=recurse,
            remove_duplicate=remove_duplicate,
        )

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield the Parameters of ``named_parameters(recurse=recurse)`` (REG-ITER-PARAMETERS,
        REG-ITER-LAZY)."""
        for _name, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, torch.Tensor]]:
        """Yield (dotted name, buffer), persistent or not, in the same order and with the same
        de-duplication as named_parameters.
        Clauses: REG-ITER-BUFFERS-ORDER, REG-ITER-BUFFERS-PREFIX, REG-ITER-BUFFERS-RECURSE,
        REG-ITER-BUFFERS-DEDUP, REG-ITER-BUFFERS-NONE, REG-ITER-LAZY.
        """
        yield from self._named_members(
            lambda module: module._buffers.items(),
            prefix=prefix,
            recurse=recurse,
            remove_duplicate=remove_duplicate,
        )

    def buffers(self, recurse: bool = True) -> Iterator[torch.Tensor]:
        """Yield the tensors of ``named_buffers(recurse=recurse)`` (REG-ITER-BUFFERS, REG-ITER-LAZY)."""
        for _name, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield (name, child) for immediate children in registration order, skipping None slots;
        a module registered under several names comes once, under its first name.
        Clauses: REG-ITER-CHILDREN, REG-ITER-CHILDREN-DEDUP, REG-ITER-LAZY.
        """
        seen: set[Module] = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self) -> Iterator[Module]:
        """Yield the modules of named_children() (REG-ITER-CHILDREN, REG-ITER-LAZY)."""
        for _name, child in self.named_children():
            yield child

    def named_modules(
        self, memo: set[Module] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yield (path, module): this module under ``prefix`` first, then descendants depth-first
        pre-order in child order, None slots skipped. With ``remove_duplicate`` a module met again
        (or already in ``memo``) is skipped along with its subtree; without it, shared modules are
        walked at every path.
        Clauses: REG-ITER-MODULES-SELF, REG-ITER-MODULES-ORDER, REG-ITER-MODULES-DEDUP,
        REG-ITER-MODULES-NODEDUP, REG-ITER-MODULES-PREFIX, REG-ITER-LAZY.
        """
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        """Yield the modules of named_modules() (REG-ITER-MODULES, REG-ITER-LAZY)."""
        for _name, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    # --- modes and bulk operations ----------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` to ``mode`` here and, through children(), in every descendant; return
        self. A non-bool mode raises ValueError. Clauses: REG-TRAIN-RECURSIVE, REG-TRAIN-NONBOOL.
        """
        if not isinstance(mode, bool):
            raise ValueError(f"train() expects a bool mode, got {type(mode).__name__}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """``train(False)``; returns self (REG-EVAL)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set requires_grad on every parameter of the tree (buffers untouched); return self
        (REG-REQUIRES-GRAD)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter of the tree.

        ``set_to_none=True`` drops them; ``False`` cuts each existing gradient from autograd
        (``detach_`` if it has a grad_fn, else ``requires_grad_(False)``) and zeroes it in place.
        Clauses: REG-ZERO-GRAD-NONE, REG-ZERO-GRAD-ZERO.
        """
        if getattr(self, "_is_replica", False):
            # torch marks data-parallel replicas so; their parameters are not leaves.
            warnings.warn(
                "zero_grad() has no effect on a data-parallel replica: its parameters are copies of the "
                "original module's and never receive gradients",
                stacklevel=2,
            )
        for param in self.parameters():
            grad = param.grad
            if grad is None:
                continue
            if set_to_none:
                param.grad = None
                continue
            if grad.grad_fn is not None:
                grad.detach_()
            else:
                grad.requires_grad_(False)
            grad.zero_()

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``apply(fn)`` on each child (children() order), then ``fn(self)``; return self.
        Clauses: REG-APPLY-VISITS, REG-APPLY-ORDER.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- representation ---------------------------------------------------------------------------

    def _get_name(self) -> str:
        """The class name, used by repr and error messages."""
        return type(self).__name__

    def extra_repr(self) -> str:
        """Extra text shown inside this module's repr; empty by default (REG-EXTRA-REPR-DEFAULT)."""
        return ""

    def __repr__(self) -> str:
        """``Name(...)``: extra_repr lines, then one ``(name): <child repr>`` line per child slot
        (None shows as ``None``), continuation lines indented by two spaces. A single extra_repr line
        and no children print on one line.
        Clauses: REG-REPR-LEAF, REG-REPR-CHILDREN.
        """
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _indent_continuation(repr(child), 2) for name, child in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return self._get_name() + "(" + body + ")"

    def __dir__(self) -> list[str]:
        """Sorted class attributes, instance attributes and registered names, leaving out names that
        start with a digit (REG-DIR)."""
        names = [
            *dir(type(self)),
            *self.__dict__.keys(),
            *self._parameters.keys(),
            *self._modules.keys(),
            *self._buffers.keys(),
        ]
        return sorted(name for name in names if not name[0].isdigit())

    # --- copying and pickling ---------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """A shallow copy of the instance dict (copy.deepcopy and pickle then recurse into it)."""
        return self.__dict__.copy()

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the instance dict; a state saved without the non-persistent set gets an empty one."""
        self.__dict__.update(state)
        if "_non_persistent_buffers_set" not in self.__dict__:
            object.__setattr__(self, "_non_persistent_buffers_set", set())
        self._init_hook_registries()
