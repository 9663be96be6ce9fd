"""Registration mutants: torch with one bug in registration, attribute routing or iteration.

Each mutant overrides one method of ``torch.nn.Module`` (or ``torch.nn.Parameter``) in a subclass
named like the original, so reprs and error messages read as torch's. Where an override copies a
torch method, the copy differs from torch 2.13's code only where the comment says ``bug:``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import torch

from adapters.base import Candidate
from mutants.catalog import mutant, torch_namespace

Parameter = torch.nn.Parameter
Buffer = torch.nn.Buffer
Tensor = torch.Tensor


# --------------------------------------------------------------------------------------------------
# names


@mutant("reg-buffer-dot-name-accepted", "registration",
        "register_buffer lacks the '.' check, so a dotted buffer name is registered instead of KeyError")
def _buffer_dot_name_accepted() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
            if "_buffers" not in self.__dict__:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            elif not isinstance(name, str):
                raise TypeError(f"buffer name should be a string. Got {torch.typename(name)}")
            # bug: no `elif "." in name: raise KeyError(...)`
            elif name == "":
                raise KeyError('buffer name can\'t be empty string ""')
            elif hasattr(self, name) and name not in self._buffers:
                raise KeyError(f"attribute '{name}' already exists")
            elif tensor is not None and not isinstance(tensor, torch.Tensor):
                raise TypeError(
                    f"cannot assign '{torch.typename(tensor)}' object to buffer '{name}' "
                    "(torch Tensor or None required)"
                )
            self._buffers[name] = tensor
            if persistent:
                self._non_persistent_buffers_set.discard(name)
            else:
                self._non_persistent_buffers_set.add(name)

    return torch_namespace(Module=Module)


@mutant("reg-add-module-empty-name-accepted", "registration",
        "add_module lacks the empty-name check, so a child named '' is registered instead of KeyError")
def _add_module_empty_name_accepted() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def add_module(self, name: str, module: torch.nn.Module | None) -> None:
            if not isinstance(module, torch.nn.Module) and module is not None:
                raise TypeError(f"{torch.typename(module)} is not a Module subclass")
            elif not isinstance(name, str):
                raise TypeError(f"module name should be a string. Got {torch.typename(name)}")
            elif hasattr(self, name) and name not in self._modules:
                raise KeyError(f"attribute '{name}' already exists")
            elif "." in name:
                raise KeyError(f'module name can\'t contain ".", got: {name}')
            # bug: no `elif name == "": raise KeyError(...)`
            self._modules[name] = module

    return torch_namespace(Module=Module)


@mutant("reg-param-dot-name-value-error", "registration",
        "register_parameter raises ValueError instead of KeyError for a name containing '.'")
def _param_dot_name_value_error() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_parameter(self, name: str, param: Parameter | None) -> None:
            if "_parameters" in self.__dict__ and isinstance(name, str) and "." in name:
                raise ValueError('parameter name can\'t contain "."')  # bug: KeyError expected
            super().register_parameter(name, param)

    return torch_namespace(Module=Module)


@mutant("reg-param-taken-ignores-class-attrs", "registration",
        "register_parameter's name-taken check looks at instance entries only, so 'forward' or 'train' "
        "can be parameter names")
def _param_taken_ignores_class_attrs() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_parameter(self, name: str, param: Parameter | None) -> None:
            if "_parameters" not in self.__dict__:
                raise AttributeError("cannot assign parameter before Module.__init__() call")
            elif not isinstance(name, str):
                raise TypeError(f"parameter name should be a string. Got {torch.typename(name)}")
            elif "." in name:
                raise KeyError('parameter name can\'t contain "."')
            elif name == "":
                raise KeyError('parameter name can\'t be empty string ""')
            elif name in self.__dict__ or name in self._buffers or name in self._modules:
                # bug: `hasattr(self, name) and name not in self._parameters` also covers class attributes
                raise KeyError(f"attribute '{name}' already exists")
            if param is None:
                self._parameters[name] = None
            elif not isinstance(param, Parameter):
                raise TypeError(
                    f"cannot assign '{torch.typename(param)}' object to parameter '{name}' "
                    "(torch.nn.Parameter or None required)"
                )
            elif param.grad_fn:
                raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'.")
            else:
                self._parameters[name] = param

    return torch_namespace(Module=Module)


# --------------------------------------------------------------------------------------------------
# __setattr__ routing


@mutant("reg-setattr-param-keeps-buffer", "registration",
        "assigning a Parameter to a buffer's name registers the parameter but leaves the buffer registered")
def _setattr_param_keeps_buffer() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def __setattr__(self, name: str, value: Any) -> None:
            buffers = self.__dict__.get("_buffers")
            if isinstance(value, Parameter) and buffers is not None and name in buffers:
                self._parameters[name] = value  # bug: the buffer entry is not removed first
                return
            super().__setattr__(name, value)

    return torch_namespace(Module=Module)


@mutant("reg-setattr-tensor-onto-buffer-plain", "registration",
        "assigning a plain tensor to an existing buffer name makes a plain attribute; the old buffer stays")
def _setattr_tensor_onto_buffer_plain() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def __setattr__(self, name: str, value: Any) -> None:
            buffers = self.__dict__.get("_buffers")
            if (isinstance(value, Tensor) and not isinstance(value, Parameter | Buffer)
                    and buffers is not None and name in buffers):
                object.__setattr__(self, name, value)  # bug: should replace the buffer
                return
            super().__setattr__(name, value)

    return torch_namespace(Module=Module)


@mutant("reg-setattr-none-deletes-param", "registration",
        "assigning None to a parameter deletes the parameter instead of leaving a None slot")
def _setattr_none_deletes_param() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def __setattr__(self, name: str, value: Any) -> None:
            params = self.__dict__.get("_parameters")
            if value is None and params is not None and name in params:
                del params[name]  # bug: should be params[name] = None
                return
            super().__setattr__(name, value)

    return torch_namespace(Module=Module)


@mutant("reg-setattr-buffer-loses-nonpersistent", "registration",
        "assigning a tensor to a non-persistent buffer re-registers it as persistent")
def _setattr_buffer_loses_nonpersistent() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def __setattr__(self, name: str, value: Any) -> None:
            buffers = self.__dict__.get("_buffers")
            if (isinstance(value, Tensor) and not isinstance(value, Parameter | Buffer)
                    and buffers is not None and name in buffers):
                self.register_buffer(name, value)  # bug: persistence of the old buffer not passed on
                return
            super().__setattr__(name, value)

    return torch_namespace(Module=Module)


# --------------------------------------------------------------------------------------------------
# re-registration and state_dict


@mutant("reg-param-reregister-moves-to-end", "registration",
        "registering an existing parameter name again moves the name to the end of the parameter order")
def _param_reregister_moves_to_end() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_parameter(self, name: str, param: Parameter | None) -> None:
            params = self.__dict__.get("_parameters")
            if (params is not None and isinstance(name, str) and name in params
                    and (param is None or (isinstance(param, Parameter) and param.grad_fn is None))):
                del params[name]  # bug: dropping the old entry loses its position
            super().register_parameter(name, param)

    return torch_namespace(Module=Module)


@mutant("reg-nonpersistent-buffer-in-state-dict", "registration",
        "state_dict saves non-persistent buffers too (the non-persistent set is never consulted)")
def _nonpersistent_buffer_in_state_dict() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool) -> None:
            for name, param in self._parameters.items():
                if param is not None:
                    destination[prefix + name] = param if keep_vars else param.detach()
            for name, buf in self._buffers.items():
                if buf is not None:  # bug: `and name not in self._non_persistent_buffers_set` missing
                    destination[prefix + name] = buf if keep_vars else buf.detach()

    return torch_namespace(Module=Module)


# --------------------------------------------------------------------------------------------------
# iteration


@mutant("reg-named-modules-always-dedup", "registration",
        "named_modules ignores remove_duplicate=False and always drops repeated modules")
def _named_modules_always_dedup() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def named_modules(self, memo=None, prefix="", remove_duplicate=True):  # type: ignore[override]
            return super().named_modules(memo, prefix, True)

    return torch_namespace(Module=Module)


@mutant("reg-named-parameters-dedup-by-name", "registration",
        "named_parameters removes duplicates by name, not identity, so a shared parameter is yielded "
        "under every path")
def _named_parameters_dedup_by_name() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def named_parameters(  # type: ignore[override]
            self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
        ) -> Iterator[tuple[str, Parameter]]:
            seen: set[str] = set()
            for name, p in super().named_parameters(prefix, recurse, remove_duplicate=False):
                if remove_duplicate and name in seen:  # bug: should remember p, not its name
                    continue
                seen.add(name)
                yield name, p

    return torch_namespace(Module=Module)


@mutant("reg-named-buffers-always-dedup", "registration",
        "named_buffers ignores remove_duplicate=False and yields a shared buffer once")
def _named_buffers_always_dedup() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def named_buffers(  # type: ignore[override]
            self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
        ) -> Iterator[tuple[str, Tensor]]:
            return super().named_buffers(prefix, recurse, True)  # bug: remove_duplicate dropped

    return torch_namespace(Module=Module)


@mutant("reg-children-reversed", "registration",
        "named_children (and so children, apply) yields children in reverse registration order")
def _children_reversed() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def named_children(self) -> Iterator[tuple[str, torch.nn.Module]]:
            memo: set[torch.nn.Module] = set()
            for name, module in reversed(self._modules.items()):  # bug: reversed
                if module is not None and module not in memo:
                    memo.add(module)
                    yield name, module

    return torch_namespace(Module=Module)


@mutant("reg-named-modules-drops-parent-prefix", "registration",
        "named_modules names a descendant by its own name only, forgetting the parent's prefix")
def _named_modules_drops_parent_prefix() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def named_modules(  # type: ignore[override]
            self, memo: set[torch.nn.Module] | None = None, prefix: str = "", remove_duplicate: bool = True
        ) -> Iterator[tuple[str, torch.nn.Module]]:
            if memo is None:
                memo = set()
            if self not in memo:
                if remove_duplicate:
                    memo.add(self)
                yield prefix, self
                for name, module in self._modules.items():
                    if module is None:
                        continue
                    yield from module.named_modules(memo, name, remove_duplicate)  # bug: prefix lost

    return torch_namespace(Module=Module)


@mutant("reg-named-parameters-yields-none", "registration",
        "named_parameters (and so parameters) yields None parameter slots")
def _named_parameters_yields_none() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def named_parameters(  # type: ignore[override]
            self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
        ) -> Iterator[tuple[str, Parameter | None]]:
            memo: set[Any] = set()
            modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                       if recurse else [(prefix, self)])
            for module_prefix, module in modules:
                for k, v in module._parameters.items():
                    if v in memo:  # bug: `v is None or` missing
                        continue
                    if remove_duplicate:
                        memo.add(v)
                    yield module_prefix + ("." if module_prefix else "") + k, v

    return torch_namespace(Module=Module)


# --------------------------------------------------------------------------------------------------
# apply, train, requires_grad_, zero_grad


@mutant("reg-apply-preorder", "registration",
        "apply calls fn on the module before its children (pre-order instead of post-order)")
def _apply_preorder() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def apply(self, fn: Callable[[torch.nn.Module], None]) -> Module:  # type: ignore[override]
            fn(self)  # bug: should come after the children
            for module in self.children():
                module.apply(fn)
            return self

    return torch_namespace(Module=Module)


@mutant("reg-train-not-recursive", "registration",
        "train(mode) sets training on the module itself but not on its descendants")
def _train_not_recursive() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def train(self, mode: bool = True) -> Module:  # type: ignore[override]
            if not isinstance(mode, bool):
                raise ValueError("training mode is expected to be boolean")
            self.training = mode  # bug: no loop over self.children()
            return self

    return torch_namespace(Module=Module)


@mutant("reg-train-returns-none", "registration",
        "train() (and so eval()) returns None instead of the module")
def _train_returns_none() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def train(self, mode: bool = True) -> None:  # type: ignore[override]
            super().train(mode)  # bug: result not returned

    return torch_namespace(Module=Module)


@mutant("reg-requires-grad-touches-buffers", "registration",
        "requires_grad_ sets requires_grad on floating-point buffers as well as on parameters")
def _requires_grad_touches_buffers() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def requires_grad_(self, requires_grad: bool = True) -> Module:  # type: ignore[override]
            for p in self.parameters():
                p.requires_grad_(requires_grad)
            for b in self.buffers():  # bug: buffers are not the module's trainable state
                if (b.is_floating_point() or b.is_complex()) and b.is_leaf:
                    b.requires_grad_(requires_grad)
            return self

    return torch_namespace(Module=Module)


@mutant("reg-zero-grad-replaces-grad", "registration",
        "zero_grad(set_to_none=False) assigns a new zero tensor to .grad instead of zeroing it in place")
def _zero_grad_replaces_grad() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def zero_grad(self, set_to_none: bool = True) -> None:
            for p in self.parameters():
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad = torch.zeros_like(p.grad)  # bug: a new object, not p.grad.zero_()

    return torch_namespace(Module=Module)


# --------------------------------------------------------------------------------------------------
# paths


@mutant("reg-get-submodule-key-error", "registration",
        "get_submodule looks names up in _modules directly and raises KeyError for a missing element")
def _get_submodule_key_error() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def get_submodule(self, target: str) -> torch.nn.Module:
            if target == "":
                return self
            mod: torch.nn.Module = self
            for item in target.split("."):
                mod = mod._modules[item]  # bug: KeyError, not AttributeError, for a missing name
                if not isinstance(mod, torch.nn.Module):
                    raise AttributeError("`" + item + "` is not an nn.Module")
            return mod

    return torch_namespace(Module=Module)


@mutant("reg-set-submodule-strict-creates", "registration",
        "set_submodule ignores strict=True and creates a missing child instead of raising AttributeError")
def _set_submodule_strict_creates() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def set_submodule(self, target: str, module: torch.nn.Module, strict: bool = False) -> None:
            super().set_submodule(target, module)  # bug: strict not passed on

    return torch_namespace(Module=Module)


@mutant("reg-get-buffer-accepts-parameters", "registration",
        "get_buffer accepts any tensor attribute (a parameter, a plain tensor) instead of buffers only")
def _get_buffer_accepts_parameters() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def get_buffer(self, target: str) -> Tensor:
            module_path, _, buffer_name = target.rpartition(".")
            mod = self.get_submodule(module_path)
            if not hasattr(mod, buffer_name):
                raise AttributeError(mod._get_name() + " has no attribute `" + buffer_name + "`")
            buffer = getattr(mod, buffer_name)
            if not isinstance(buffer, Tensor):  # bug: should be `buffer_name not in mod._buffers`
                raise AttributeError("`" + buffer_name + "` is not a buffer")
            return buffer

    return torch_namespace(Module=Module)


# --------------------------------------------------------------------------------------------------
# Parameter


class _Parameter(torch.nn.Parameter):
    """torch's Parameter as a subclass for Parameter mutants to override one method in.

    torch's ``Parameter.__new__`` makes ``Parameter(p)`` a new alias only when ``type(p)`` is exactly
    ``torch.nn.Parameter``; this base does the same for its own subclasses, so a mutant differs from
    torch only in the method it overrides.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Any:
        if data is not None and type(data) is cls:
            return torch.Tensor._make_subclass(cls, data, requires_grad)
        return super().__new__(cls, data, requires_grad)

    def __repr__(self) -> str:
        # torch's tensor repr prints "Parameter(<Subclass>(...))" for a subclass; print torch's text
        return repr(torch.Tensor._make_subclass(torch.nn.Parameter, self.detach(), self.requires_grad))

    def __reduce_ex__(self, proto: Any) -> tuple[Any, ...]:
        # torch's rebuilds a torch.nn.Parameter; rebuild this class (defined at module level for pickle)
        return (_rebuild_parameter, (type(self), self.data, self.requires_grad))


def _rebuild_parameter(cls: type[_Parameter], data: Tensor, requires_grad: bool) -> _Parameter:
    return cls(data, requires_grad)


class _ParameterDeepcopySharingStorage(_Parameter):
    """A Parameter whose deepcopy shares storage with the original."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data, self.requires_grad)  # bug: self.data.clone() expected
        memo[id(self)] = result
        return result


@mutant("reg-parameter-deepcopy-shares-storage", "registration",
        "deepcopy of a Parameter wraps the same data without cloning, so the copy shares storage")
def _parameter_deepcopy_shares_storage() -> SimpleNamespace:
    return torch_namespace(Parameter=_ParameterDeepcopySharingStorage)


class _ParameterPickledWithoutRequiresGrad(_Parameter):
    """A Parameter whose pickled form forgets requires_grad (module level, so pickle can find it)."""

    def __reduce_ex__(self, proto: Any) -> tuple[Any, ...]:
        return (type(self), (self.data,))  # bug: requires_grad is not saved, so it comes back True


@mutant("reg-parameter-pickle-drops-requires-grad", "registration",
        "pickling a Parameter drops requires_grad, so an unpickled frozen parameter requires grad again")
def _parameter_pickle_drops_requires_grad() -> SimpleNamespace:
    return torch_namespace(Parameter=_ParameterPickledWithoutRequiresGrad)


# --------------------------------------------------------------------------------------------------
# repr and dir


@mutant("reg-repr-child-not-indented", "registration",
        "repr does not indent the continuation lines of a multi-line child repr")
def _repr_child_not_indented() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def __repr__(self) -> str:
            extra_repr = self.extra_repr()
            extra_lines = extra_repr.split("\n") if extra_repr else []
            # bug: `_addindent(repr(module), 2)` expected
            child_lines = [f"({key}): {module!r}" for key, module in self._modules.items()]
            lines = extra_lines + child_lines
            main_str = self._get_name() + "("
            if lines:
                if len(extra_lines) == 1 and not child_lines:
                    main_str += extra_lines[0]
                else:
                    main_str += "\n  " + "\n  ".join(lines) + "\n"
            return main_str + ")"

    return torch_namespace(Module=Module)


@mutant("reg-dir-missing-buffers", "registration",
        "dir(module) lists parameters and children but leaves out buffer names")
def _dir_missing_buffers() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def __dir__(self) -> list[str]:
            keys = (dir(self.__class__) + list(self.__dict__) + list(self._parameters)
                    + list(self._modules))  # bug: list(self._buffers) missing
            return sorted(key for key in keys if not key[0].isdigit())

    return torch_namespace(Module=Module)


# --------------------------------------------------------------------------------------------------
# control


class _ControlModule(torch.nn.Module):
    """torch's Module as a subclass that overrides nothing, named ``Module`` like the mutants' ones."""


_ControlModule.__name__ = "Module"  # repr and error messages read "Module"; pickle uses __qualname__


def control_candidate() -> Candidate:
    """torch through the mutants' Module subclass, without a bug.

    ``--candidate mutants.registration:control_candidate`` must pass every suite: a Module mutant's
    failures then come from its bug, not from being a subclass.
    """
    from adapters.torch_adapter import make_candidate

    return replace(
        make_candidate(),
        name="mutant-control",
        nn=torch_namespace(Module=_ControlModule),
        description="torch through the mutants' Module subclass, without a bug",
    )


def parameter_control_candidate() -> Candidate:
    """torch through the mutants' Module and Parameter subclasses, without a bug.

    It must pass the registration suites, the area of every Parameter mutant. Other areas may tell the
    subclass apart: torch's ``_apply`` and ``load_state_dict(assign=True)`` create plain
    ``torch.nn.Parameter`` objects, which are not instances of the subclass.
    """
    from adapters.torch_adapter import make_candidate

    return replace(
        make_candidate(),
        name="mutant-parameter-control",
        nn=torch_namespace(Module=_ControlModule, Parameter=_Parameter),
        description="torch through the mutants' Module and Parameter subclasses, without a bug",
    )


@mutant(
    "reg-register-module-skips-checks",
    "registration",
    "register_module stores the child directly instead of going through add_module, so a dotted, empty, "
    "taken or non-str name and a non-module value are accepted where add_module raises",
)
def _register_module_skips_checks() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_module(self, name: str, module: torch.nn.Module | None) -> None:
            self._modules[name] = module  # bug: torch calls add_module, which validates both arguments

    return torch_namespace(Module=Module)
