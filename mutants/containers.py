"""containers mutants: torch with one realistic bug each in the containers area (see mutants/catalog.py).

Each mutant subclasses one torch container under the same name and overrides one method; where the
override copies torch 2.13's code, it differs only where the comment says ``bug:``.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import torch

from mutants.catalog import mutant, torch_namespace


@mutant(
    "cont-seq-del-no-renumber",
    "containers",
    "del on a Sequential removes the child but does not renumber the remaining keys",
)
def _seq_del_no_renumber() -> SimpleNamespace:
    class Sequential(torch.nn.Sequential):
        def __delitem__(self, idx: Any) -> None:
            if isinstance(idx, slice):
                for key in list(self._modules.keys())[idx]:
                    delattr(self, key)
            else:
                delattr(self, self._get_item_by_idx(self._modules.keys(), idx))
            # bug: no renumbering of self._modules

    return torch_namespace(Sequential=Sequential)


@mutant(
    "cont-seq-slice-returns-list",
    "containers",
    "slicing a Sequential returns a plain list of modules instead of a Sequential",
)
def _seq_slice_returns_list() -> SimpleNamespace:
    class Sequential(torch.nn.Sequential):
        def __getitem__(self, idx: Any) -> Any:
            if isinstance(idx, slice):
                return list(self._modules.values())[idx]  # bug: a list, not self.__class__(OrderedDict(...))
            return self._get_item_by_idx(self._modules.values(), idx)

    return torch_namespace(Sequential=Sequential)


@mutant(
    "cont-pl-append-no-wrap",
    "containers",
    "ParameterList.append stores a plain tensor as is instead of wrapping it into a Parameter",
)
def _pl_append_no_wrap() -> SimpleNamespace:
    class ParameterList(torch.nn.ParameterList):
        def append(self, value: Any) -> Any:
            new_idx = len(self)
            self._size += 1
            # bug: bypasses __setitem__'s wrapping; a plain tensor becomes a plain attribute
            if isinstance(value, torch.Tensor) and not isinstance(value, torch.nn.Parameter):
                object.__setattr__(self, str(new_idx), value)
            else:
                self[new_idx] = value
            return self

    return torch_namespace(ParameterList=ParameterList)


@mutant(
    "cont-md-update-sorted",
    "containers",
    "ModuleDict.update assigns the entries of any mapping in sorted key order, ignoring its own order",
)
def _md_update_sorted() -> SimpleNamespace:
    class ModuleDict(torch.nn.ModuleDict):
        def update(self, modules: Any) -> None:
            if isinstance(modules, (OrderedDict, torch.nn.ModuleDict, Mapping)):
                for key, module in sorted(modules.items()):  # bug: sorted()
                    self[key] = module
            else:
                super().update(modules)

    return torch_namespace(ModuleDict=ModuleDict)


@mutant(
    "cont-negative-index-off-by-one",
    "containers",
    "ModuleList maps a negative index i to len + i - 1 instead of len + i",
)
def _negative_index_off_by_one() -> SimpleNamespace:
    class ModuleList(torch.nn.ModuleList):
        def _get_abs_string_index(self, idx: Any) -> str:
            idx = operator.index(idx)
            if not (-len(self) <= idx < len(self)):
                raise IndexError(f"index {idx} is out of range")
            if idx < 0:
                idx += len(self) - 1  # bug: - 1
                idx = max(idx, 0)
            return str(idx)

    return torch_namespace(ModuleList=ModuleList)


@mutant(
    "cont-ml-pop-no-renumber",
    "containers",
    "ModuleList.pop removes the entry directly from _modules without renumbering the rest",
)
def _ml_pop_no_renumber() -> SimpleNamespace:
    class ModuleList(torch.nn.ModuleList):
        def pop(self, key: Any) -> Any:
            v = self[key]
            del self._modules[self._get_abs_string_index(key)]  # bug: skips __delitem__'s renumbering
            return v

    return torch_namespace(ModuleList=ModuleList)


@mutant(
    "cont-ml-contains-by-name",
    "containers",
    "`x in ModuleList` tests the child names ('0', '1', ...) instead of the modules",
)
def _ml_contains_by_name() -> SimpleNamespace:
    class ModuleList(torch.nn.ModuleList):
        def __contains__(self, item: Any) -> bool:
            return item in self._modules  # bug: keys, not values

    return torch_namespace(ModuleList=ModuleList)


@mutant(
    "cont-pd-dict-keeps-insertion-order",
    "containers",
    "ParameterDict.update with a plain dict keeps the dict's insertion order instead of sorting the keys",
)
def _pd_dict_insertion_order() -> SimpleNamespace:
    class ParameterDict(torch.nn.ParameterDict):
        def update(self, parameters: Any) -> None:
            if isinstance(parameters, Mapping) and not isinstance(parameters, OrderedDict):
                for key, parameter in parameters.items():  # bug: no sorted()
                    self[key] = parameter
            else:
                super().update(parameters)

    return torch_namespace(ParameterDict=ParameterDict)


@mutant("cont-seq-forward-reversed", "containers", "Sequential.forward runs the children from last to first")
def _seq_forward_reversed() -> SimpleNamespace:
    class Sequential(torch.nn.Sequential):
        def forward(self, input: Any) -> Any:
            for module in reversed(list(self)):  # bug: reversed
                input = module(input)
            return input

    return torch_namespace(Sequential=Sequential)


@mutant(
    "cont-ml-slice-keeps-keys",
    "containers",
    "slicing a ModuleList keeps the original keys instead of renumbering from '0'",
)
def _ml_slice_keeps_keys() -> SimpleNamespace:
    class ModuleList(torch.nn.ModuleList):
        def __getitem__(self, idx: Any) -> Any:
            if isinstance(idx, slice):
                out = self.__class__()
                for key in list(self._modules)[idx]:  # bug: keys carried over
                    out._modules[key] = self._modules[key]
                return out
            return super().__getitem__(idx)

    return torch_namespace(ModuleList=ModuleList)


@mutant(
    "cont-seq-mul-copies",
    "containers",
    "Sequential * k deep-copies the repeated modules instead of repeating the same objects",
)
def _seq_mul_copies() -> SimpleNamespace:
    import copy

    class Sequential(torch.nn.Sequential):
        def __mul__(self, other: Any) -> Any:
            result = super().__mul__(other)
            seen: set[int] = set()
            for key, module in list(result._modules.items()):
                if id(module) in seen:
                    result._modules[key] = copy.deepcopy(module)  # bug: a copy for each repeat
                seen.add(id(module))
            return result

    return torch_namespace(Sequential=Sequential)


@mutant(
    "cont-md-setitem-no-check",
    "containers",
    "ModuleDict[key] = value stores into _modules directly, skipping add_module's type and name checks",
)
def _md_setitem_no_check() -> SimpleNamespace:
    class ModuleDict(torch.nn.ModuleDict):
        def __setitem__(self, key: str, module: Any) -> None:
            self._modules[key] = module  # bug: no add_module

    return torch_namespace(ModuleDict=ModuleDict)


@mutant(
    "cont-md-pop-keeps-entry",
    "containers",
    "ModuleDict.pop returns the module but leaves it registered under its key",
)
def _md_pop_keeps_entry() -> SimpleNamespace:
    class ModuleDict(torch.nn.ModuleDict):
        def pop(self, key: str) -> Any:
            return self[key]  # bug: no `del self[key]`

    return torch_namespace(ModuleDict=ModuleDict)


@mutant(
    "cont-ml-insert-drops-last",
    "containers",
    "ModuleList.insert starts its shift loop one short, so the last module is overwritten and lost",
)
def _ml_insert_drops_last() -> SimpleNamespace:
    class ModuleList(torch.nn.ModuleList):
        def insert(self, index: int, module: Any) -> None:
            for i in range(len(self._modules) - 1, index, -1):  # bug: - 1
                self._modules[str(i)] = self._modules[str(i - 1)]
            self._modules[str(index)] = module

    return torch_namespace(ModuleList=ModuleList)


@mutant(
    "cont-pd-setdefault-overwrites",
    "containers",
    "ParameterDict.setdefault stores the default even when the key is already present",
)
def _pd_setdefault_overwrites() -> SimpleNamespace:
    class ParameterDict(torch.nn.ParameterDict):
        def setdefault(self, key: str, default: Any = None) -> Any:
            self[key] = default  # bug: no `if key not in self`
            return self[key]

    return torch_namespace(ParameterDict=ParameterDict)


@mutant(
    "cont-ml-extend-non-iterable-ignored",
    "containers",
    "ModuleList.extend silently ignores a non-iterable argument instead of raising TypeError",
)
def _ml_extend_non_iterable_ignored() -> SimpleNamespace:
    from collections.abc import Iterable

    class ModuleList(torch.nn.ModuleList):
        def extend(self, modules: Any) -> Any:
            if not isinstance(modules, Iterable):
                return self  # bug: should raise TypeError
            return super().extend(modules)

    return torch_namespace(ModuleList=ModuleList)


@mutant(
    "cont-md-len-skips-none",
    "containers",
    "len(ModuleDict) leaves out the keys whose value is None",
)
def _md_len_skips_none() -> SimpleNamespace:
    class ModuleDict(torch.nn.ModuleDict):
        def __len__(self) -> int:
            return sum(1 for m in self._modules.values() if m is not None)  # bug: None entries skipped

    return torch_namespace(ModuleDict=ModuleDict)
