"""nnconform's reference oracle: a from-scratch model of nn.Module registration and attributes.

It is built on torch tensors and autograd only; torch's own module system is never used, so that the
oracle can judge it. Use it as a drop-in ``nn`` namespace: ``oracle.Module``, ``oracle.Parameter``,
``oracle.Buffer``.
"""

from oracle.module import Module
from oracle.parameter import Buffer, Parameter

__all__ = ["Buffer", "Module", "Parameter"]
