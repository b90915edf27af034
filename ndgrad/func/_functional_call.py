"""functional_call: a module run with some of its parameters and buffers swapped for others."""
from __future__ import annotations

from typing import Any

from ndgrad._tensor import Tensor
from ndgrad.nn.modules.module import Module

__all__ = ["functional_call"]


def functional_call(module: Module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """module(*args, **kwargs) with the tensors named in `parameter_and_buffer_dicts` (a dict,
    or a tuple of dicts with distinct keys, of dotted names to Tensors) in place of the
    module's own; the module's tensors are put back afterwards, also when the call raises.

    With tie_weights, a tensor the module holds under several names (tied weights) is replaced
    under all of them when one is given. With strict, every parameter and buffer must be given
    and no other name.
    """
    replacements = _merged(parameter_and_buffer_dicts)
    owned = _named_tensors(module)
    if tie_weights:
        replacements = _with_tied(replacements, owned)
    if strict:
        _check_strict(module, replacements, owned)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    originals = []
    try:
        for name, value in replacements.items():
            originals.append((name, _swap(module, name, value)))
        return module(*args, **(kwargs or {}))
    finally:
        for name, value in reversed(originals):
            _swap(module, name, value)


def _merged(dicts) -> dict:
    if isinstance(dicts, dict):
        return dict(dicts)
    if not isinstance(dicts, (tuple, list)) or not all(isinstance(d, dict) for d in dicts):
        raise ValueError("functional_call: expected parameter_and_buffer_dicts to be a dict, "
                         f"or a list/tuple of dicts, but got {type(dicts).__name__}")
    merged: dict = {}
    for d in dicts:
        repeated = sorted(set(merged) & set(d))
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        merged.update(d)
    return merged


def _named_tensors(module: Module) -> dict:
    """Every parameter and buffer name, shared tensors under each of their names."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    return named


def _with_tied(replacements: dict, owned: dict) -> dict:
    """`replacements` extended to every name of a tied tensor one of whose names is given."""
    groups: dict = {}
    for name, tensor in owned.items():
        groups.setdefault(id(tensor), []).append(name)
    result = dict(replacements)
    for names in groups.values():
        given = [n for n in names if n in replacements]
        if len(names) < 2 or not given:
            continue
        if any(replacements[n] is not replacements[given[0]] for n in given):
            raise ValueError(f"functional_call got multiple values for keys {given}, which are "
                             "tied. Consider using tie_weights=False")
        for n in names:
            result[n] = replacements[given[0]]
    return result


def _check_strict(module: Module, replacements: dict, owned: dict) -> None:
    missing = sorted(set(owned) - set(replacements))
    unexpected = sorted(set(replacements) - set(owned))
    if missing or unexpected:
        lines = [f"Unexpected key(s): {', '.join(map(repr, unexpected))}."] if unexpected else []
        lines += [f"Missing key(s): {', '.join(map(repr, missing))}."] if missing else []
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                           + "\n\t".join(lines))


def _swap(module: Module, name: str, value):
    """Puts `value` under the dotted `name` in `module` and returns what was there."""
    path, _, attr = name.rpartition(".")
    owner = module.get_submodule(path) if path else module
    if value is not None and not isinstance(value, Tensor):
        raise TypeError(f"functional_call: the value for {name!r} must be a Tensor, got "
                        f"{type(value).__name__}")
    for registry in (owner._parameters, owner._buffers):
        if attr in registry:
            previous, registry[attr] = registry[attr], value
            return previous
    raise AttributeError(f"functional_call: {type(module).__name__} has no parameter or buffer "
                         f"named {name!r}")
