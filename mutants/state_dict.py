"""state_dict mutants: torch with one realistic bug each in the state_dict area (see mutants/catalog.py).

Each mutant overrides one method of ``torch.nn.Module`` in a subclass named ``Module``. Where an
override copies part of a torch 2.13 method, the copy differs from torch only where a comment says
``bug:``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import torch
from torch.nn.modules.module import _IncompatibleKeys

from mutants.catalog import mutant, torch_namespace

Tensor = torch.Tensor


@mutant(
    "sd-keep-vars-ignored",
    "state_dict",
    "_save_to_state_dict ignores keep_vars and always saves detached tensors",
)
def _keep_vars_ignored() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
            super()._save_to_state_dict(destination, prefix, False)  # bug: keep_vars dropped

    return torch_namespace(Module=Module)


@mutant(
    "sd-non-persistent-saved",
    "state_dict",
    "_save_to_state_dict saves every buffer, non-persistent ones included",
)
def _non_persistent_saved() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
            for name, param in self._parameters.items():
                if param is not None:
                    destination[prefix + name] = param if keep_vars else param.detach()
            for name, buf in self._buffers.items():
                if buf is not None:  # bug: no `and name not in self._non_persistent_buffers_set`
                    destination[prefix + name] = buf if keep_vars else buf.detach()
            if type(self).get_extra_state is not torch.nn.Module.get_extra_state:
                destination[prefix + "_extra_state"] = self.get_extra_state()

    return torch_namespace(Module=Module)


@mutant(
    "sd-children-first",
    "state_dict",
    "state_dict saves the children's entries before the module's own parameters and buffers",
)
def _children_first() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def state_dict(
            self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
        ) -> Any:
            if args:
                return super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
            if destination is None:
                destination = OrderedDict()
                destination._metadata = OrderedDict()  # type: ignore[attr-defined]
            local_metadata = dict(version=self._version)
            if hasattr(destination, "_metadata"):
                destination._metadata[prefix[:-1]] = local_metadata
            for hook in self._state_dict_pre_hooks.values():
                hook(self, prefix, keep_vars)
            # bug: the children loop runs before _save_to_state_dict
            for name, module in self._modules.items():
                if module is not None:
                    module.state_dict(
                        destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                    )
            self._save_to_state_dict(destination, prefix, keep_vars)
            for hook in self._state_dict_hooks.values():
                hook_result = hook(self, destination, prefix, local_metadata)
                if not getattr(hook, "_from_public_api", False):
                    if hook_result is not None:
                        destination = hook_result
                elif hook_result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            return destination

    return torch_namespace(Module=Module)


@mutant(
    "sd-no-metadata",
    "state_dict",
    "state_dict() returns its OrderedDict without the _metadata attribute (versions are lost)",
)
def _no_metadata() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def state_dict(
            self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
        ) -> Any:
            fresh = destination is None and not args
            result = super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
            if fresh and hasattr(result, "_metadata"):
                del result._metadata  # bug: the metadata is dropped
            return result

    return torch_namespace(Module=Module)


@mutant(
    "sd-non-strict-raises-unexpected",
    "state_dict",
    "load_state_dict raises on unexpected keys even when strict=False",
)
def _non_strict_raises_unexpected() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def load_state_dict(
            self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
        ) -> Any:
            result = super().load_state_dict(state_dict, strict=strict, assign=assign)
            if result.unexpected_keys:  # bug: checked whatever strict is
                keys = ", ".join(f'"{k}"' for k in result.unexpected_keys)
                raise RuntimeError(
                    f"Error(s) in loading state_dict for {self.__class__.__name__}:\n\t"
                    f"Unexpected key(s) in state_dict: {keys}. "
                )
            return result

    return torch_namespace(Module=Module)


@mutant("sd-unexpected-dropped", "state_dict", "load_state_dict returns an empty unexpected_keys list")
def _unexpected_dropped() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def load_state_dict(
            self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
        ) -> Any:
            result = super().load_state_dict(state_dict, strict=strict, assign=assign)
            return _IncompatibleKeys(result.missing_keys, [])  # bug: unexpected keys not returned

    return torch_namespace(Module=Module)


@mutant(
    "sd-missing-not-prefixed",
    "state_dict",
    "_load_from_state_dict reports missing keys by local name, without the module's prefix",
)
def _missing_not_prefixed() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def _load_from_state_dict(
            self,
            state_dict: Any,
            prefix: str,
            local_metadata: Any,
            strict: bool,
            missing_keys: list[str],
            unexpected_keys: list[str],
            error_msgs: list[str],
        ) -> None:
            local: list[str] = []
            super()._load_from_state_dict(
                state_dict, prefix, local_metadata, strict, local, unexpected_keys, error_msgs
            )
            missing_keys.extend(k[len(prefix) :] for k in local)  # bug: the prefix is stripped

    return torch_namespace(Module=Module)


@mutant(
    "sd-size-mismatch-ignored-non-strict",
    "state_dict",
    "load_state_dict(strict=False) silently skips values of the wrong shape instead of raising",
)
def _size_mismatch_ignored() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def load_state_dict(
            self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
        ) -> Any:
            if strict:
                return super().load_state_dict(state_dict, strict=strict, assign=assign)
            own = self.state_dict(keep_vars=True)
            # bug: "lenient" loading drops entries whose shape does not fit
            skipped = {
                k
                for k, v in state_dict.items()
                if k in own
                and isinstance(v, Tensor)
                and isinstance(own[k], Tensor)
                and v.shape != own[k].shape
            }
            kept = OrderedDict((k, v) for k, v in state_dict.items() if k not in skipped)
            result = super().load_state_dict(kept, strict=False, assign=assign)
            return _IncompatibleKeys(
                [k for k in result.missing_keys if k not in skipped], result.unexpected_keys
            )

    return torch_namespace(Module=Module)


@mutant(
    "sd-assign-copies",
    "state_dict",
    "load_state_dict ignores assign=True and copies into the existing tensors",
)
def _assign_copies() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def load_state_dict(
            self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
        ) -> Any:
            return super().load_state_dict(state_dict, strict=strict)  # bug: assign not passed on

    return torch_namespace(Module=Module)


@mutant(
    "sd-assign-requires-grad-from-checkpoint",
    "state_dict",
    "with assign=True, a loaded parameter takes requires_grad from the checkpoint tensor",
)
def _assign_requires_grad() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def _load_from_state_dict(
            self,
            state_dict: Any,
            prefix: str,
            local_metadata: Any,
            strict: bool,
            missing_keys: list[str],
            unexpected_keys: list[str],
            error_msgs: list[str],
        ) -> None:
            super()._load_from_state_dict(
                state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
            )
            if local_metadata.get("assign_to_params_buffers", False):
                for name, param in self._parameters.items():
                    given = state_dict.get(prefix + name)
                    if param is not None and isinstance(given, Tensor) and given.shape == param.shape:
                        param.requires_grad_(given.requires_grad)  # bug: the module's flag is not kept

    return torch_namespace(Module=Module)


@mutant(
    "sd-load-ignores-metadata",
    "state_dict",
    "load_state_dict copies the given mapping into a plain dict first, losing _metadata (saved versions)",
)
def _load_ignores_metadata() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def load_state_dict(
            self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
        ) -> Any:
            if not isinstance(state_dict, Mapping):
                raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
            # bug: dict() drops the mapping's _metadata attribute
            return super().load_state_dict(dict(state_dict), strict=strict, assign=assign)

    return torch_namespace(Module=Module)


def _state_dict_copy(
    self: Any, destination: Any, prefix: str, keep_vars: bool, *, child_keep_vars: bool, meta_after: bool
) -> Any:
    """torch 2.13's Module.state_dict body (keyword form), with two switches for the bugs below."""
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()
    local_metadata = dict(version=self._version)
    if hasattr(destination, "_metadata") and not meta_after:
        destination._metadata[prefix[:-1]] = local_metadata
    for hook in self._state_dict_pre_hooks.values():
        hook(self, prefix, keep_vars)
    self._save_to_state_dict(destination, prefix, keep_vars)
    for name, module in self._modules.items():
        if module is not None:
            module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=child_keep_vars)
    if hasattr(destination, "_metadata") and meta_after:
        destination._metadata[prefix[:-1]] = local_metadata
    for hook in self._state_dict_hooks.values():
        hook_result = hook(self, destination, prefix, local_metadata)
        if not getattr(hook, "_from_public_api", False):
            if hook_result is not None:
                destination = hook_result
        elif hook_result is not None:
            raise RuntimeError("state_dict post-hook must return None")
    return destination


@mutant(
    "sd-keep-vars-not-passed-down",
    "state_dict",
    "state_dict honours keep_vars for the module's own tensors but calls the children with keep_vars=False",
)
def _keep_vars_not_passed_down() -> SimpleNamespace:
    return _state_dict_mutant(drop_child_keep_vars=True, meta_after=False)


def _state_dict_mutant(drop_child_keep_vars: bool, meta_after: bool) -> SimpleNamespace:
    """A Module whose keyword-only state_dict goes through _state_dict_copy with the given bugs."""

    class Module(torch.nn.Module):
        def state_dict(
            self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
        ) -> Any:
            if args:
                return super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
            child_keep_vars = False if drop_child_keep_vars else keep_vars
            return _state_dict_copy(
                self, destination, prefix, keep_vars, child_keep_vars=child_keep_vars, meta_after=meta_after
            )

    return torch_namespace(Module=Module)


@mutant(
    "sd-metadata-post-order",
    "state_dict",
    "state_dict records a module's _metadata entry after its children's, so _metadata is in post-order",
)
def _metadata_post_order() -> SimpleNamespace:
    return _state_dict_mutant(drop_child_keep_vars=False, meta_after=True)


@mutant(
    "sd-error-unexpected-before-missing",
    "state_dict",
    "the strict load error message lists the unexpected keys before the missing keys",
)
def _error_unexpected_first() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def load_state_dict(
            self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
        ) -> Any:
            try:
                return super().load_state_dict(state_dict, strict=strict, assign=assign)
            except RuntimeError as exc:
                head, _, body = str(exc).partition("\n\t")
                lines = body.split("\n\t")
                if len(lines) > 1 and lines[0].startswith("Missing") and lines[1].startswith("Unexpected"):
                    lines[0], lines[1] = lines[1], lines[0]  # bug: inserted in the other order
                raise RuntimeError(head + "\n\t" + "\n\t".join(lines)) from None

    return torch_namespace(Module=Module)


@mutant(
    "sd-shared-first-key-wins",
    "state_dict",
    "load_state_dict copies into a tensor shared under several keys only once, so the first key wins",
)
def _shared_first_key_wins() -> SimpleNamespace:
    import threading

    loaded = threading.local()

    class Module(torch.nn.Module):
        def load_state_dict(
            self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
        ) -> Any:
            outer = getattr(loaded, "ids", None)
            loaded.ids = {} if outer is None else outer
            try:
                return super().load_state_dict(state_dict, strict=strict, assign=assign)
            finally:
                loaded.ids = outer

        def _load_from_state_dict(
            self,
            state_dict: Any,
            prefix: str,
            local_metadata: Any,
            strict: bool,
            missing_keys: list[str],
            unexpected_keys: list[str],
            error_msgs: list[str],
        ) -> None:
            seen = getattr(loaded, "ids", None)
            if seen is None:
                seen = {}
            own = [t for t in [*self._parameters.values(), *self._buffers.values()] if isinstance(t, Tensor)]
            # bug: tensors already loaded under an earlier key are put back to that value afterwards
            earlier = [(t, seen[id(t)]) for t in own if id(t) in seen]
            super()._load_from_state_dict(
                state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
            )
            with torch.no_grad():
                for t, value in earlier:
                    if t.shape == value.shape:
                        t.copy_(value)
            for name, t in [*self._parameters.items(), *self._buffers.items()]:
                if isinstance(t, Tensor) and prefix + name in state_dict and id(t) not in seen:
                    seen[id(t)] = t.detach().clone()

    return torch_namespace(Module=Module)


@mutant(
    "sd-load-extra-state-checks-getter",
    "state_dict",
    "_load_from_state_dict decides whether a module loads extra state by its get_extra_state override",
)
def _load_extra_state_checks_getter() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def _load_from_state_dict(
            self,
            state_dict: Any,
            prefix: str,
            local_metadata: Any,
            strict: bool,
            missing_keys: list[str],
            unexpected_keys: list[str],
            error_msgs: list[str],
        ) -> None:
            key = prefix + "_extra_state"
            getter = type(self).get_extra_state is not torch.nn.Module.get_extra_state
            setter = type(self).set_extra_state is not torch.nn.Module.set_extra_state
            if getter == setter:
                super()._load_from_state_dict(
                    state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
                )
                return
            # bug: the getter's override decides, where torch looks at set_extra_state
            rest = {k: v for k, v in state_dict.items() if k != key}
            at = len(unexpected_keys)
            super()._load_from_state_dict(
                rest, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
            )
            if setter:  # torch would load it; the bug treats the module as having no extra state
                if key in missing_keys:
                    missing_keys.remove(key)
                if strict and key in state_dict:
                    unexpected_keys.insert(at, key)
            elif key in state_dict:
                self.set_extra_state(state_dict[key])
            elif strict:
                missing_keys.append(key)

    return torch_namespace(Module=Module)
