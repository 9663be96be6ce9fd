"""``state_dict`` and ``load_state_dict`` of the oracle's Module (spec area: state_dict).

A mixin of :class:`oracle.module.Module`; it relies on the registries Module.__init__ creates
(``_parameters``, ``_buffers``, ``_non_persistent_buffers_set``, ``_modules``) and on the state-dict
hook runners of :mod:`oracle.hooks`, which it calls where torch runs those hooks.

Saving walks the tree in pre-order, once per path (shared modules and tensors are not de-duplicated);
each module writes its own entries through ``_save_to_state_dict``. Loading walks it the same way;
each module reads its own entries through ``_load_from_state_dict`` and reports missing keys,
unexpected keys and errors into lists shared by the whole load. Both private methods keep torch's
signatures because subclasses (lazy modules, layers) override them.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Any

import torch

from oracle.parameter import Parameter

__all__: list[str] = []

EXTRA_STATE_NAME = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the missing and the unexpected keys (SD-LOAD-RETURN)."""

    __slots__ = ()

    def __repr__(self) -> str:
        """SD-LOAD-RETURN-REPR: a short sentence when nothing is missing or unexpected."""
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _is_tensor_like(value: Any) -> bool:
    """What load_state_dict accepts as a value: a tensor, or an object taking part in torch dispatch."""
    return isinstance(value, torch.Tensor) or hasattr(value, "__torch_function__")


def _is_uninitialized(tensor: Any) -> bool:
    """Whether ``tensor`` is a lazy module's not yet materialized parameter or buffer.

    Such tensors have no shape to check or data to copy into. Recognised, like torch's lazy tensors,
    by the class attribute ``cls_to_become`` (the class they turn into once materialized).
    """
    return getattr(type(tensor), "cls_to_become", None) is not None


def _overrides(module: Any, name: str) -> bool:
    """Whether the module's class (not the instance) overrides the base Module method ``name``."""
    base = StateDictMixin.__dict__[name]
    return getattr(type(module), name, base) is not base


def _quoted(keys: list[str]) -> str:
    return ", ".join(f'"{k}"' for k in keys)


class StateDictMixin:
    """Saving and loading a module tree's tensors by dotted key."""

    # --- extra state (overridden by subclasses) ---------------------------------------------------

    def get_extra_state(self) -> Any:
        """The extra state a subclass wants saved; only called when the class overrides it
        (SD-SAVE-EXTRA-STATE)."""
        raise RuntimeError("Module.get_extra_state() is only called when a subclass overrides it")

    def set_extra_state(self, state: Any) -> None:
        """Take back the extra state saved by ``get_extra_state``; only called when the class
        overrides it (SD-LOAD-EXTRA-STATE)."""
        raise RuntimeError("Module.set_extra_state() is only called when a subclass overrides it")

    # --- saving -----------------------------------------------------------------------------------

    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool) -> None:
        """Put this module's own entries into ``destination`` under ``prefix``: non-None parameters,
        then non-None persistent buffers (detached unless ``keep_vars``), then the extra state when the
        class overrides ``get_extra_state``.
        Clauses: SD-SAVE-ENTRIES, SD-SAVE-ORDER, SD-SAVE-DETACH, SD-SAVE-KEEP-VARS, SD-SAVE-EXTRA-STATE.
        """
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if _overrides(self, "get_extra_state"):
            destination[prefix + EXTRA_STATE_NAME] = self.get_extra_state()

    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> Any:
        """Every entry of the tree, in pre-order, once per path.

        Records this module's metadata (``{"version": self._version}`` under the prefix without its
        last character) when the destination has ``_metadata``, runs the state-dict pre-hooks, saves
        its own entries, then each non-None child under ``prefix + name + "."``, then runs the
        post-hooks (which may replace the destination). Returns the destination: a new OrderedDict
        with an empty ``_metadata`` when none was given. Positional arguments are taken in the order
        (destination, prefix, keep_vars) with a FutureWarning.
        Clauses: SD-SAVE-ENTRIES, SD-SAVE-KEYS, SD-SAVE-ORDER, SD-SAVE-SHARED, SD-SAVE-ORDEREDDICT,
        SD-SAVE-DESTINATION, SD-SAVE-PREFIX, SD-SAVE-POSITIONAL, SD-SAVE-PER-MODULE, SD-META-VERSION,
        REG-PARAM-NONE, REG-BUF-REGISTER, REG-BUF-NONPERSISTENT, REG-BUF-NONE, REG-SETATTR-TENSOR-NEW.
        """
        if args:
            warnings.warn(
                "state_dict(): positional arguments are deprecated, pass destination, prefix and "
                "keep_vars by keyword",
                FutureWarning,
                stacklevel=2,
            )
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()  # type: ignore[attr-defined]
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        self._run_state_dict_pre_hooks(prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return self._run_state_dict_post_hooks(destination, prefix, local_metadata)

    # --- loading ----------------------------------------------------------------------------------

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """Load this module's own entries from ``state_dict`` (keys under ``prefix``).

        Runs the load pre-hooks, then for each non-None parameter and persistent buffer: a missing
        key is reported (when ``strict``), a non-tensor value or a shape other than the tensor's is an
        error, otherwise the value is copied in place (or, when ``local_metadata`` asks for
        assignment, put in the attribute's place). Then the extra state, then (when ``strict``) every
        key under the prefix that names nothing here is unexpected.
        Clauses: SD-LOAD-COPIES, SD-LOAD-MISSING, SD-LOAD-UNEXPECTED, SD-LOAD-NONE-SLOT-KEY,
        SD-LOAD-NONPERSISTENT-KEY, SD-LOAD-NONE-CHILD-KEYS, SD-LOAD-SIZE-MISMATCH, SD-LOAD-NON-TENSOR,
        SD-LOAD-SHARED, SD-LOAD-ASSIGN-IDENTITY, SD-LOAD-ASSIGN-REQUIRES-GRAD, SD-LOAD-ASSIGN-PARAMETER,
        SD-LOAD-EXTRA-STATE.
        """
        self._run_load_state_dict_pre_hooks(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
        own: dict[str, torch.Tensor] = {}
        for name, param in self._parameters.items():
            if param is not None:
                own[name] = param
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                own[name] = buf
        assign = bool(local_metadata.get("assign_to_params_buffers", False))

        for name, current in own.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            self._load_one(name, key, current, state_dict[key], assign, error_msgs)

        extra_key = prefix + EXTRA_STATE_NAME
        if _overrides(self, "set_extra_state"):
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)

        if strict:
            for key in state_dict:
                if not key.startswith(prefix) or key == extra_key:
                    continue
                head, dot, _ = key[len(prefix) :].partition(".")
                known = head in self._modules if dot else head in own
                if not known:
                    unexpected_keys.append(key)

    def _load_one(
        self, name: str, key: str, current: torch.Tensor, value: Any, assign: bool, error_msgs: list[str]
    ) -> None:
        """Load ``value`` into this module's tensor ``current`` (attribute ``name``, state key ``key``)."""
        if not _is_tensor_like(value):
            error_msgs.append(
                f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like object '
                f"from checkpoint but received {type(value)}"
            )
            return
        lazy = _is_uninitialized(current)
        if not lazy and current.dim() == 0 and value.dim() == 1 and value.shape[0] == 1:
            value = value[0]  # SD-LOAD-SCALAR-FROM-1ELEM (quirk kept for torch parity)
        if not lazy and value.shape != current.shape:
            error_msgs.append(
                f"size mismatch for {key}: copying a param with shape {value.shape} from checkpoint, "
                f"the shape in current model is {current.shape}."
            )
            return
        try:
            with torch.no_grad():
                if assign:
                    self._assign_loaded(name, current, value)
                else:
                    current.copy_(value)
        except Exception as exc:
            error_msgs.append(
                f'While copying the parameter named "{key}", whose dimensions in the model are '
                f"{current.size()} and whose dimensions in the checkpoint are {value.size()}, "
                f"an exception occurred : {exc.args}."
            )

    def _assign_loaded(self, name: str, current: torch.Tensor, value: torch.Tensor) -> None:
        """assign=True: put ``value`` itself in the attribute's place; a parameter stays a Parameter
        with the requires_grad it had."""
        if name in self._parameters:
            if isinstance(value, Parameter):
                value.requires_grad_(current.requires_grad)
            else:
                value = Parameter(value, requires_grad=current.requires_grad)
        setattr(self, name, value)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        """Load ``state_dict`` into the tree and report what did not match.

        Works on a shallow copy of the mapping (its ``_metadata`` carried over), calls
        ``_load_from_state_dict`` once per module path in pre-order with the keys under that path and
        ``strict=True`` (so the key lists are always computed), and runs each module's load post-hooks
        after its subtree. Raises RuntimeError when there are errors, or missing or unexpected keys
        and ``strict``; the message lists missing keys, then unexpected keys, then the other errors.
        Clauses: SD-LOAD-RETURN, SD-LOAD-MISSING, SD-LOAD-UNEXPECTED, SD-LOAD-NONSTRICT-REPORTS,
        SD-LOAD-STRICT-RAISES, SD-LOAD-ERROR-MESSAGE, SD-LOAD-MAPPING, SD-LOAD-INPUT-UNCHANGED,
        SD-LOAD-PER-MODULE, SD-LOAD-METADATA, SD-ROUNDTRIP, SD-ROUNDTRIP-SERIALIZED.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict() expects a mapping, got {type(state_dict)}")
        missing_keys: list[str] = []
        unexpected_keys: list[str] = []
        error_msgs: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        entries: Any = OrderedDict(state_dict)
        if metadata is not None:
            entries._metadata = metadata

        def load(module: Any, local_entries: dict[str, Any], prefix: str) -> None:
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                local_metadata["assign_to_params_buffers"] = assign  # SD-LOAD-ASSIGN-METADATA-LEAK
            module._load_from_state_dict(
                local_entries, prefix, local_metadata, True, missing_keys, unexpected_keys, error_msgs
            )
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    below = {k: v for k, v in local_entries.items() if k.startswith(child_prefix)}
                    load(child, below, child_prefix)
            module._run_load_state_dict_post_hooks(_IncompatibleKeys(missing_keys, unexpected_keys))

        load(self, entries, "")

        if strict:
            if unexpected_keys:
                error_msgs.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected_keys)}. ")
            if missing_keys:
                error_msgs.insert(0, f"Missing key(s) in state_dict: {_quoted(missing_keys)}. ")
        if error_msgs:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(error_msgs)
            )
        return _IncompatibleKeys(missing_keys, unexpected_keys)
