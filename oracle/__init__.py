"""nnconform's reference oracle: a from-scratch model of torch's ``nn.Module`` system.

It is built on torch tensors and autograd only; torch's own module system is never used, so that the
oracle can judge it. Use it as a drop-in ``nn`` namespace: ``oracle.Module``, ``oracle.Parameter``,
``oracle.Sequential``, ``oracle.init``... Each file mirrors one spec area and lists its public names in
``__all__``; this package re-exports all of them.
"""

from oracle import apply, container, hooks, init, layers, lazy, module, parameter, state_dict

_AREA_MODULES = (module, parameter, hooks, state_dict, apply, container, layers, lazy)

__all__ = ["init"]
for _area in _AREA_MODULES:
    for _name in _area.__all__:
        globals()[_name] = getattr(_area, _name)
        __all__.append(_name)
