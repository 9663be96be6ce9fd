"""Containers of the oracle: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
(spec area: containers).

The list-like containers keep their children under the keys "0", "1", ... of the ordinary child
registry, so every Module method (iteration, state_dict, repr) sees them as registered children.
ParameterList and ParameterDict store their elements as attributes named by position or key, so a
tensor becomes a registered parameter, a Module a registered child, anything else a plain attribute.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import torch

from oracle.module import Module, _indent_continuation
from oracle.parameter import Parameter

__all__ = ["ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"]


def _position(index: Any, size: int) -> int:
    """``index`` (an int-like) as a position in [0, size): IndexError outside [-size, size),
    TypeError when it is not an integer (CONT-SEQ-INDEX-ERRORS, CONT-ML-INDEX-ERRORS)."""
    index = operator.index(index)
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of range for a container of length {size}")
    return index % size if size else index


def _renumber(registry: dict[str, Any]) -> None:
    """Rename the entries of ``registry`` to "0".."n-1", keeping their order (in place)."""
    values = list(registry.values())
    registry.clear()
    for position, value in enumerate(values):
        registry[str(position)] = value


def _without_digit_names(names: list[str]) -> list[str]:
    return [name for name in names if not name.isdigit()]


def _wrap(value: Any) -> Any:
    """A tensor that is not a Parameter becomes a Parameter over the same data
    (CONT-PL-WRAP-TENSOR, CONT-PD-WRAP-TENSOR)."""
    if isinstance(value, torch.Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _check_pair(position: int, pair: Any, owner: str) -> tuple[Any, Any]:
    """One element of an iterable of (key, value) pairs (CONT-MD-UPDATE-PAIRS-ERRORS)."""
    if not isinstance(pair, Iterable):
        raise TypeError(
            f"{owner}.update: sequence element #{position} is a {type(pair).__name__}, not iterable"
        )
    if len(pair) != 2:  # type: ignore[arg-type]
        raise ValueError(
            f"{owner}.update: sequence element #{position} has length {len(pair)}; 2 is required"
        )  # type: ignore[arg-type]
    return pair[0], pair[1]  # type: ignore[index]


class Sequential(Module):
    """Children run one after the other; also usable as a list of modules with string keys."""

    def __init__(self, *args: Any) -> None:
        """Positional modules under "0", "1", ...; or one OrderedDict's entries under their keys.
        Clauses: CONT-SEQ-INIT-POSITIONAL, CONT-SEQ-INIT-ORDEREDDICT, CONT-SEQ-INIT-PLAIN-DICT."""
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
            return
        for position, module in enumerate(args):
            self.add_module(str(position), module)

    def _key_at(self, index: Any) -> str:
        return list(self._modules)[_position(index, len(self._modules))]

    def __getitem__(self, index: Any) -> Any:
        """An int gives the child at that position; a slice a new Sequential keeping the keys.
        Clauses: CONT-SEQ-INDEX, CONT-SEQ-INDEX-ERRORS, CONT-SEQ-SLICE."""
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key_at(index)]

    def __setitem__(self, index: Any, module: Any) -> None:
        """Replace the child at a position under its key (CONT-SEQ-SETITEM, CONT-SEQ-SETITEM-NONE)."""
        setattr(self, self._key_at(index), module)

    def __delitem__(self, index: Any) -> None:
        """Remove a position or a slice, then renumber every child by position.
        Clauses: CONT-SEQ-DELITEM, CONT-SEQ-DELITEM-NAMED."""
        keys = list(self._modules)[index] if isinstance(index, slice) else [self._key_at(index)]
        for key in keys:
            delattr(self, key)
        _renumber(self._modules)

    def pop(self, index: Any) -> Any:
        """``self[index]``, then ``del self[index]`` (CONT-SEQ-POP)."""
        popped = self[index]
        del self[index]
        return popped

    def __len__(self) -> int:
        """Number of children (CONT-SEQ-ITER-LEN)."""
        return len(self._modules)

    def __iter__(self) -> Iterator[Any]:
        """The children in order, read live from the registry (CONT-SEQ-ITER-LEN)."""
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` under ``str(len(self))``; return self (CONT-SEQ-APPEND)."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` at position ``index`` in [-len, len], shifting later children up one key.
        Clauses: CONT-SEQ-INSERT, CONT-SEQ-INSERT-NAMED."""
        if not isinstance(module, Module):
            raise AssertionError(f"Sequential.insert needs a Module, got {type(module).__name__}")
        size = len(self._modules)
        if not -size <= index <= size:
            raise IndexError(f"insert index {index} is out of range for a Sequential of length {size}")
        if index < 0:
            index += size
        for position in range(size, index, -1):
            self._modules[str(position)] = self._modules[str(position - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Append each module in order; return self (CONT-SEQ-EXTEND)."""
        for module in modules:
            self.append(module)
        return self

    def __add__(self, other: Any) -> Sequential:
        """A new Sequential of self's then other's modules, renumbered (CONT-SEQ-ADD)."""
        if not isinstance(other, Sequential):
            raise ValueError(f"only a Sequential can be added to a Sequential, not {type(other)}")
        return Sequential(*self, *other)

    def __iadd__(self, other: Any) -> Sequential:
        """Add other's modules under str(len(self) + i) (CONT-SEQ-IADD)."""
        if not isinstance(other, Sequential):
            raise ValueError(f"only a Sequential can be added to a Sequential, not {type(other)}")
        offset = len(self)
        for position, module in enumerate(other._modules.values()):
            self.add_module(str(offset + position), module)
        return self

    @staticmethod
    def _check_factor(factor: Any) -> None:
        if not isinstance(factor, int):
            raise TypeError(f"a Sequential can only be multiplied by an int, not {type(factor)}")
        if factor <= 0:
            raise ValueError(f"cannot multiply a Sequential by the non-positive factor {factor}")

    def __mul__(self, factor: Any) -> Sequential:
        """A new Sequential with self's modules ``factor`` times over.
        Clauses: CONT-SEQ-MUL, CONT-SEQ-MUL-ERRORS."""
        self._check_factor(factor)
        return Sequential(*(list(self) * factor))

    def __rmul__(self, factor: Any) -> Sequential:
        """Same as ``self * factor`` (CONT-SEQ-MUL)."""
        return self.__mul__(factor)

    def __imul__(self, factor: Any) -> Sequential:
        """Extend self with ``factor - 1`` more copies of the positions "0".."n-1".
        Clauses: CONT-SEQ-MUL, CONT-SEQ-MUL-ERRORS, CONT-SEQ-IMUL-NAMED."""
        self._check_factor(factor)
        size = len(self)
        for repeat in range(1, factor):
            for position in range(size):
                self.add_module(str(repeat * size + position), self._modules[str(position)])
        return self

    def __dir__(self) -> list[str]:
        """Module's dir without numeric names (CONT-SEQ-DIR)."""
        return _without_digit_names(super().__dir__())

    def forward(self, input: Any) -> Any:
        """Feed ``input`` through each child in order (CONT-SEQ-FORWARD)."""
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """A list of child modules, registered under "0", "1", ..."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        """Extend with ``modules`` when given (CONT-ML-INIT)."""
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _key_at(self, index: Any) -> str:
        return str(_position(index, len(self._modules)))

    def __getitem__(self, index: Any) -> Any:
        """An int gives the module there; a slice a new ModuleList, renumbered.
        Clauses: CONT-ML-INDEX, CONT-ML-INDEX-ERRORS, CONT-ML-SLICE."""
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[self._key_at(index)]

    def __setitem__(self, index: Any, module: Any) -> None:
        """Replace the module at a position (CONT-ML-SETITEM)."""
        setattr(self, self._key_at(index), module)

    def __delitem__(self, index: Any) -> None:
        """Remove a position or a slice and renumber the rest (CONT-ML-DELITEM)."""
        if isinstance(index, slice):
            keys = [str(position) for position in range(len(self._modules))[index]]
        else:
            keys = [self._key_at(index)]
        for key in keys:
            delattr(self, key)
        _renumber(self._modules)

    def pop(self, index: Any) -> Any:
        """``self[index]``, then ``del self[index]`` (CONT-ML-POP)."""
        popped = self[index]
        del self[index]
        return popped

    def __len__(self) -> int:
        """Number of modules (CONT-ML-INIT)."""
        return len(self._modules)

    def __iter__(self) -> Iterator[Any]:
        """The modules in order, read live from the registry; ``in`` uses this (CONT-ML-CONTAINS)."""
        return iter(self._modules.values())

    def append(self, module: Module) -> ModuleList:
        """Register ``module`` under ``str(len(self))``; return self (CONT-ML-APPEND)."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each module of an iterable; return self (CONT-ML-EXTEND)."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"ModuleList.extend needs an iterable, got {type(modules).__name__}")
        offset = len(self)
        for position, module in enumerate(modules):
            self.add_module(str(offset + position), module)
        return self

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        """Same as extend (CONT-ML-EXTEND)."""
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        """A new ModuleList of self's then other's modules (CONT-ML-ADD)."""
        combined = ModuleList()
        for module in [*self, *other]:
            combined.append(module)
        return combined

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``, shifting later modules up one key.

        Only 0 <= index <= len is specified (CONT-ML-INSERT); other indices reproduce torch's
        shifting loop as it is (CONT-ML-INSERT-OUTSIDE).
        """
        for position in range(len(self._modules), index, -1):
            self._modules[str(position)] = self._modules[str(position - 1)]
        self._modules[str(index)] = module

    def __dir__(self) -> list[str]:
        """Module's dir without numeric names (CONT-ML-DIR)."""
        return _without_digit_names(super().__dir__())

    def __repr__(self) -> str:
        """One line per run of equal child reprs: ``(i): r`` or ``(i-j): n x r`` (CONT-ML-REPR)."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs: list[list[Any]] = []  # [first, last, repr]
        for position, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = position
            else:
                runs.append([position, position, text])
        lines = []
        for first, last, text in runs:
            line = f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}"
            lines.append(_indent_continuation(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered mapping of str keys to child modules."""

    def __init__(self, modules: Any = None) -> None:
        """Update with ``modules`` when given (CONT-MD-INIT)."""
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Any:
        """The module under ``key``; KeyError if missing (CONT-MD-GETITEM)."""
        return self._modules[key]

    def __setitem__(self, key: str, module: Any) -> None:
        """Register through add_module, with its checks (CONT-MD-SETITEM)."""
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        """Remove ``key``; KeyError if missing (CONT-MD-DELITEM-POP)."""
        del self._modules[key]

    def __len__(self) -> int:
        """Number of entries (CONT-MD-CONTAINS-LEN-ITER)."""
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        """The keys in order (CONT-MD-CONTAINS-LEN-ITER)."""
        return iter(self._modules)

    def __contains__(self, key: Any) -> bool:
        """Whether ``key`` is a key (CONT-MD-CONTAINS-LEN-ITER)."""
        return key in self._modules

    def clear(self) -> None:
        """Remove every entry (CONT-MD-CLEAR)."""
        self._modules.clear()

    def pop(self, key: str) -> Any:
        """Remove ``key`` and return its module (CONT-MD-DELITEM-POP)."""
        module = self[key]
        del self[key]
        return module

    def keys(self) -> Any:
        """The keys in order (CONT-MD-VIEWS)."""
        return self._modules.keys()

    def items(self) -> Any:
        """The (key, module) pairs in order (CONT-MD-VIEWS)."""
        return self._modules.items()

    def values(self) -> Any:
        """The modules in order (CONT-MD-VIEWS)."""
        return self._modules.values()

    def update(self, modules: Any) -> None:
        """Assign each entry of a mapping (in its order) or of an iterable of pairs.
        Clauses: CONT-MD-UPDATE-ORDER, CONT-MD-UPDATE-PAIRS-ERRORS."""
        if not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleDict.update needs an iterable of key/value pairs, got {type(modules).__name__}"
            )
        if isinstance(modules, (Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
            return
        for position, pair in enumerate(modules):
            key, module = _check_pair(position, pair, "ModuleDict")
            self[key] = module


class ParameterList(Module):
    """A list whose tensors are registered parameters named "0", "1", ..."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        """Extend with ``values`` when given (CONT-PL-INIT)."""
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _key_at(self, index: Any) -> str:
        return str(_position(index, self._size))

    def __getitem__(self, index: Any) -> Any:
        """An int gives the element; a slice a new ParameterList of the same objects.
        Clauses: CONT-PL-INDEX, CONT-PL-SLICE."""
        if isinstance(index, slice):
            part = type(self)()
            for position in range(*index.indices(self._size)):
                part.append(self[position])
            return part
        return getattr(self, self._key_at(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        """Store ``value`` at a position, a plain tensor wrapped into a Parameter.
        Clauses: CONT-PL-INDEX, CONT-PL-WRAP-TENSOR, CONT-PL-NON-TENSOR."""
        setattr(self, self._key_at(index), _wrap(value))

    def __len__(self) -> int:
        """Number of elements (CONT-PL-APPEND-EXTEND)."""
        return self._size

    def __iter__(self) -> Iterator[Any]:
        """The elements in order (CONT-PL-APPEND-EXTEND)."""
        return iter([self[position] for position in range(self._size)])

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end; return self (CONT-PL-APPEND-EXTEND, CONT-PL-WRAP-TENSOR)."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append each element of an iterable that is not a tensor; return self (CONT-PL-APPEND-EXTEND)."""
        if not isinstance(values, Iterable) or isinstance(values, torch.Tensor):
            raise TypeError(f"ParameterList.extend needs an iterable, got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        """Same as extend (CONT-PL-APPEND-EXTEND)."""
        return self.extend(values)

    def __dir__(self) -> list[str]:
        """Module's dir without numeric names."""
        return _without_digit_names(super().__dir__())

    def extra_repr(self) -> str:
        """One line per element: its kind, dtype and size, or its type name."""
        return "\n".join(
            f"  ({position}): {_describe(value, str(value.dtype) if isinstance(value, torch.Tensor) else '')}"
            for position, value in enumerate(self)
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """A ParameterList cannot be called (CONT-PL-CALL)."""
        raise RuntimeError("a ParameterList cannot be called")


def _describe(value: Any, dtype_text: str) -> str:
    if not isinstance(value, torch.Tensor):
        return f"Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    size = "x".join(str(extent) for extent in value.size())
    shown_devices = ("cuda", torch._C._get_privateuse1_backend_name())
    device = f" ({value.device})" if value.device.type in shown_devices else ""
    return f"{kind} containing: [{dtype_text} of size {size}{device}]"


class ParameterDict(Module):
    """An ordered mapping of str keys whose tensors are registered parameters."""

    def __init__(self, parameters: Any = None) -> None:
        """Update with ``parameters`` when given (CONT-PD-INIT)."""
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _check_key(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"a ParameterDict key must be a str, not {type(key).__name__}")
        return key

    def __getitem__(self, key: str) -> Any:
        """The value under ``key``, read as an attribute (CONT-PD-KEY-TYPE, CONT-PD-MISSING-KEY)."""
        return getattr(self, self._check_key(key))

    def __setitem__(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``, a plain tensor wrapped into a Parameter.
        Clauses: CONT-PD-WRAP-TENSOR, CONT-PD-NON-TENSOR, CONT-PD-KEY-TYPE."""
        self._keys[key] = None
        setattr(self, self._check_key(key), _wrap(value))

    def __delitem__(self, key: str) -> None:
        """Remove ``key`` (CONT-PD-DICT-METHODS)."""
        del self._keys[key]
        delattr(self, self._check_key(key))

    def __len__(self) -> int:
        """Number of keys (CONT-PD-DICT-METHODS)."""
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        """The keys in insertion order (CONT-PD-DICT-METHODS)."""
        return iter(list(self._keys))

    def __reversed__(self) -> Iterator[str]:
        """The keys, last inserted first (CONT-PD-DICT-METHODS)."""
        return reversed(list(self._keys))

    def __contains__(self, key: Any) -> bool:
        """Whether ``key`` is a key (CONT-PD-DICT-METHODS)."""
        return key in self._keys

    def copy(self) -> ParameterDict:
        """A new ParameterDict with the same objects in the same order (CONT-PD-DICT-METHODS)."""
        return ParameterDict(OrderedDict((key, self[key]) for key in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Store ``default`` under a missing ``key``; return the value under it (CONT-PD-DICT-METHODS)."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Remove every entry (CONT-PD-DICT-METHODS)."""
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str) -> Any:
        """Remove ``key`` and return its value (CONT-PD-DICT-METHODS, CONT-PD-MISSING-KEY)."""
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last entry; KeyError when empty (CONT-PD-DICT-METHODS)."""
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The value under ``key``, or ``default`` when absent (CONT-PD-DICT-METHODS)."""
        if key in self:
            return self[key]
        return default

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with ``default`` under each key (CONT-PD-DICT-METHODS)."""
        return ParameterDict((key, default) for key in keys)

    def keys(self) -> Any:
        """The keys in insertion order (CONT-PD-DICT-METHODS)."""
        return self._keys.keys()

    def items(self) -> Iterator[tuple[str, Any]]:
        """The (key, value) pairs in insertion order (CONT-PD-DICT-METHODS)."""
        return ((key, self[key]) for key in list(self._keys))

    def values(self) -> Iterator[Any]:
        """The values in insertion order (CONT-PD-DICT-METHODS)."""
        return (self[key] for key in list(self._keys))

    def update(self, parameters: Any) -> None:
        """Assign entries: ordered sources in their order, other mappings by sorted key, or an
        iterable of pairs. Clauses: CONT-PD-UPDATE-ORDER, CONT-PD-UPDATE-PLAIN-DICT-SORTED."""
        if not isinstance(parameters, Iterable):
            raise TypeError(
                f"ParameterDict.update needs an iterable of key/value pairs, got {type(parameters).__name__}"
            )
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, value in list(parameters.items()):
                self[key] = value
        elif isinstance(parameters, Mapping):
            for key, value in sorted(parameters.items()):
                self[key] = value
        else:
            for position, pair in enumerate(parameters):
                key, value = _check_pair(position, pair, "ParameterDict")
                self[key] = value

    def extra_repr(self) -> str:
        """One line per entry: its kind, tensor type and size, or its type name."""
        return "\n".join(
            f"  ({key}): {_describe(value, torch.typename(value) if isinstance(value, torch.Tensor) else '')}"
            for key, value in self.items()
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """A ParameterDict cannot be called (CONT-PD-CALL)."""
        raise RuntimeError("a ParameterDict cannot be called")

    def __or__(self, other: Any) -> ParameterDict:
        """A copy updated with ``other`` (CONT-PD-OR)."""
        combined = self.copy()
        combined.update(other)
        return combined

    def __ror__(self, other: Any) -> Any:
        """``other.copy()`` updated with this dict's entries (CONT-PD-OR)."""
        combined = other.copy()
        combined.update(self)
        return combined

    def __ior__(self, other: Any) -> ParameterDict:
        """Update in place (CONT-PD-OR)."""
        self.update(other)
        return self
