"""Parametrizations (PyTorch's torch.nn.utils.parametrize): a tensor of a module computed on
every access from other tensors, e.g. a weight kept orthogonal or normalised.

`register_parametrization(module, "weight", P)` moves the weight to
`module.parametrizations.weight.original` (or `original0`, `original1`, ... when P's
`right_inverse` returns several tensors) and makes `module.weight` a property that returns
P(original). As in PyTorch, the module's class is swapped for a subclass that holds the
properties, so other modules of the same class are untouched, and the state_dict keys become
`parametrizations.weight.original`.
"""
from __future__ import annotations

import contextlib

from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import no_grad
from ndgrad.nn.modules.container import ModuleDict, ModuleList
from ndgrad.nn.modules.module import Module
from ndgrad.nn.parameter import Buffer, Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "type_before_parametrizations"]

_cache_enabled = 0
_cache: dict = {}


@contextlib.contextmanager
def cached():
    """Within this context each parametrized tensor is computed once, on first access, and
    reused (e.g. a weight shared by the steps of a recurrent loop)."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and its original tensor(s):
    `original`, or `original0`, `original1`, ... when the first right_inverse returns a
    tuple."""

    def __init__(self, modules, original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise ValueError(f"When `right_inverse` outputs one tensor, it may not change "
                                 f"the dtype.\noriginal.dtype: {original.dtype}\n"
                                 f"right_inverse(original).dtype: {new.dtype}")
            with no_grad():
                # The original tensor object stays the parameter (optimizers may hold it).
                original.data = new.detach().clone() if new is original else new.detach()
            _register(self, "original", original)
        else:
            for i, value in enumerate(new):
                if not isinstance(value, Tensor):
                    raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of "
                                     f"tensors (list, tuple...). Got element {i} of type "
                                     f"{type(value).__name__}")
                tensor = Tensor._make(value.detach()._data.copy())
                tensor.requires_grad_(original.requires_grad)
                _register(self, f"original{i}", tensor, like=original)
        if not unsafe:
            _check_consistent(self, original)

    def originals(self) -> list:
        """The original tensors in order."""
        if self.is_tensor:
            return [self.original]
        return [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def right_inverse(self, value: Tensor) -> None:
        """Sets the originals so that the parametrized tensor becomes `value` (the inverse of
        each parametrization, last to first); a parametrization without one passes it on."""
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
                elif not self.unsafe:
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       f"implement right_inverse.")
            values = [value] if self.is_tensor else list(value)
            if len(values) != self.ntensors:
                raise ValueError(f"'right_inverse' must return a sequence of {self.ntensors} "
                                 f"tensors. Got {len(values)}.")
            for original, new in zip(self.originals(), values):
                if original.shape != new.shape or original.dtype != new.dtype:
                    raise ValueError(f"right_inverse gave a tensor of shape {list(new.shape)} "
                                     f"and dtype {new.dtype} for an original of shape "
                                     f"{list(original.shape)} and dtype {original.dtype}")
                original.copy_(new)

    def forward(self) -> Tensor:
        first = self[0](*self.originals())
        for module in list(self)[1:]:
            first = module(first)
        return first


def _register(holder: Module, name: str, tensor: Tensor, like: Tensor | None = None) -> None:
    """Registers `tensor` on `holder` as a Parameter or a buffer, as `like` (or it) was."""
    kind = like if like is not None else tensor
    if isinstance(kind, Parameter):
        holder.register_parameter(name, tensor if isinstance(tensor, Parameter)
                                  else Parameter(tensor, requires_grad=tensor.requires_grad))
    else:
        holder.register_buffer(name, tensor)


def _check_consistent(parametrizations: ParametrizationList, original: Tensor) -> None:
    """The parametrized value must keep the original's shape and dtype (unless unsafe)."""
    with no_grad():
        value = parametrizations()
    if not isinstance(value, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")
    if value.shape != original.shape or value.dtype != original.dtype:
        raise ValueError(f"Registering a parametrization may not change the shape or dtype of "
                         f"the tensor, unless `unsafe` flag is enabled.\n"
                         f"unparametrized dtype: {original.dtype}\n"
                         f"parametrized dtype: {value.dtype}\n"
                         f"unparametrized shape: {original.shape}\n"
                         f"parametrized shape: {value.shape}")


def _parametrized_property(name: str) -> property:
    def get(module):
        parametrizations = module.parametrizations[name]
        if not _cache_enabled:
            return parametrizations()
        key = (id(module), name)
        if key not in _cache:
            _cache[key] = parametrizations()
        return _cache[key]

    def set(module, value):
        module.parametrizations[name].right_inverse(value)

    return property(get, set)


def _swap_class(module: Module) -> None:
    """Gives `module` a class of its own (a subclass of its class) to hold the properties."""
    cls = module.__class__
    parametrized = type(f"Parametrized{cls.__name__}", (cls,), {"_original_class": cls})
    module.__class__ = parametrized


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Makes `module.<tensor_name>` the output of `parametrization` applied to the original
    tensor (or appends it to the tensor's existing parametrizations)."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        existing = module.parametrizations[tensor_name]
        if not unsafe:
            with no_grad():
                current = getattr(module, tensor_name)
                value = parametrization(current)
            if value.shape != current.shape or value.dtype != current.dtype:
                raise ValueError(f"Registering a parametrization may not change the shape or "
                                 f"dtype of the tensor, unless `unsafe` flag is enabled. "
                                 f"{tensor_name}: {list(current.shape)} {current.dtype} -> "
                                 f"{list(value.shape)} {value.dtype}")
        existing.append(parametrization)
        existing.unsafe |= unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    original = getattr(module, tensor_name)
    parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _swap_class(module)
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = parametrizations
    setattr(module.__class__, tensor_name, _parametrized_property(tensor_name))
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """True if `module` has a parametrization (on `tensor_name`, when given)."""
    parametrizations = module._modules.get("parametrizations")
    if not isinstance(parametrizations, ModuleDict) or \
            not hasattr(type(module), "_original_class"):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Removes the parametrizations of `module.<tensor_name>`: the tensor becomes a plain
    parameter (or buffer) again, holding its current parametrized value
    (`leave_parametrized`) or the original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            if value.dtype != original.dtype:
                raise ValueError(f"The parametrization changes the dtype of {tensor_name} "
                                 f"({original.dtype} -> {value.dtype}); it cannot be left "
                                 f"parametrized in the original tensor")
            with no_grad():
                original.data = value.detach().clone()
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a "
                             "tensor that is parametrized in terms of a sequence of tensors.")
        with no_grad():
            value = getattr(module, tensor_name).detach().clone()
        kind = parametrizations.original0
        original = Parameter(value, requires_grad=kind.requires_grad) \
            if isinstance(kind, Parameter) else value
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original if not isinstance(original, Buffer)
                               else Tensor._make(original._data))
    if not is_parametrized(module):
        del module.parametrizations
        module.__class__ = module.__class__._original_class
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before it was parametrized (its class if it never was)."""
    return getattr(type(module), "_original_class", type(module))
