"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterable, Iterator

from ndgrad.nn.modules.module import Module
from ndgrad.nn.parameter import Parameter


def _index(idx: int, size: int) -> int:
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range")
    return idx % size


@contextmanager
def _all_or_nothing(registry: OrderedDict, values, what: str):
    """Runs a block that adds `values` to `registry`, restoring it if any addition raises:
    a failed extend or update adds nothing (PyTorch keeps what came before the bad entry)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{what} should be called with an iterable, but got "
                        f"{type(values).__name__}")
    saved = list(registry.items())
    try:
        yield
    except BaseException:
        registry.clear()
        registry.update(saved)
        raise


def _pairs(items) -> Iterator[tuple]:
    """(key, value) pairs, refusing elements of another length as PyTorch does."""
    for i, item in enumerate(items):
        item = tuple(item)
        if len(item) != 2:
            raise ValueError(f"update sequence element #{i} has length {len(item)}; 2 is "
                             f"required")
        yield item


def _renumber(registry: OrderedDict, modules: list) -> None:
    """Stores `modules` under the keys '0'..'n-1', as PyTorch keeps them after a change."""
    registry.clear()
    for i, module in enumerate(modules):
        registry[str(i)] = module


class Sequential(Module):
    """Runs its modules one after another; built from modules or an OrderedDict of them."""

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self))]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self))]
        self.add_module(key, module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys))]]):
            del self._modules[key]
        _renumber(self._modules, list(self._modules.values()))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Adds a module at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        with _all_or_nothing(self._modules, modules, "Sequential.extend"):
            for module in modules:
                self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type Module, got {type(module).__name__}")
        if not -len(self) <= index <= len(self):
            raise IndexError(f"Index out of range: {index}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self._modules, modules)
        return self

    def pop(self, idx: int) -> Module:
        """Removes and returns the module at `idx`; the rest are renumbered."""
        module = self[idx]
        del self[idx]
        return module


class ModuleList(Module):
    """A list of modules, registered so their parameters are found."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _child_reprs(self) -> list:
        """A run of consecutive children with equal reprs is one line, "(2-4): 3 x Linear(...)",
        as PyTorch prints a ModuleList."""
        runs = []  # [first index, last index, repr]
        for index, module in enumerate(self._modules.values()):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        return [(str(first), text) if first == last else
                (f"{first}-{last}", f"{last - first + 1} x {text}") for first, last, text in runs]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self)))]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(idx, len(self))), module)

    def __delitem__(self, idx) -> None:
        modules = list(self._modules.values())
        del modules[idx]
        _renumber(self._modules, modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Adds a module at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Adds modules at the end (none of them if one is not a Module)."""
        with _all_or_nothing(self._modules, modules, "ModuleList.extend"):
            for module in modules:
                self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Inserts a module before position `index`."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self._modules, modules)

    def pop(self, idx: int) -> Module:
        """Removes and returns the module at `idx`; the rest are renumbered."""
        module = self[idx]
        del self[idx]
        return module


class ModuleDict(Module):
    """A dict of modules, registered so their parameters are found."""

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        """Adds modules from a mapping or an iterable of (name, module) pairs (none of them
        if one is refused)."""
        with _all_or_nothing(self._modules, modules, "ModuleDict.update"):
            items = modules.items() if hasattr(modules, "items") else _pairs(modules)
            for key, module in items:
                self[key] = module


class ParameterList(Module):
    """A list of parameters, registered so `parameters()` finds them."""

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        for value in values or ():
            self.append(value)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(list(self._parameters.values())[idx])
        return self._parameters[str(_index(idx, len(self)))]

    def __setitem__(self, idx: int, value) -> None:
        self.register_parameter(str(_index(idx, len(self))), _as_parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value) -> ParameterList:
        """Adds a parameter (a plain tensor is made a Parameter) at the end."""
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values: Iterable) -> ParameterList:
        with _all_or_nothing(self._parameters, values, "ParameterList.extend"):
            for value in values:
                self.append(value)
        return self

    def extra_repr(self) -> str:
        # PyTorch indents these lines itself, so they end up four spaces in.
        return "\n".join(f"  ({i}): {_describe(p, p.dtype)}" for i, p in enumerate(self))


class ParameterDict(Module):
    """A dict of parameters, registered so `parameters()` finds them."""

    def __init__(self, parameters=None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters) -> None:
        with _all_or_nothing(self._parameters, parameters, "ParameterDict.update"):
            items = parameters.items() if hasattr(parameters, "items") else _pairs(parameters)
            for key, value in items:
                self[key] = value

    def extra_repr(self) -> str:
        # As PyTorch: indented lines, and the legacy type name instead of the dtype.
        return "\n".join(f"  ({k}): {_describe(p, p.type())}" for k, p in self.items())


def _describe(param: Parameter, type_name) -> str:
    return f"Parameter containing: [{type_name} of size {'x'.join(map(str, param.shape))}]"


def _as_parameter(value) -> Parameter:
    return value if isinstance(value, Parameter) else Parameter(value)
