"""Module: the base of every layer and model, with parameters, buffers, hooks and state_dict."""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Any, Callable, Iterator

import numpy as np

from ndgrad import _dtype
from ndgrad._creation import zeros_like
from ndgrad._tensor import Size, Tensor
from ndgrad.autograd.grad_mode import no_grad
from ndgrad.nn.parameter import Buffer, Parameter
from ndgrad.ops.hooks import tap


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict found missing and unexpected; prints as PyTorch's does."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class _RemovableHandle:
    """Returned by register_*_hook; `remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: OrderedDict, with_kwargs: set) -> None:
        self._hooks, self._with_kwargs = hooks, with_kwargs
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        self._with_kwargs.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


class Module:
    """Base class of layers and models: subclasses set attributes in __init__ and define forward.

    Assigning a Parameter, a Module or a registered buffer to an attribute registers it, so
    `parameters()`, `state_dict()`, `to()` and friends find it.
    """

    training: bool

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        for name, value in (("training", True), ("_parameters", OrderedDict()),
                            ("_buffers", OrderedDict()), ("_non_persistent", set()),
                            ("_modules", OrderedDict()), ("_forward_pre_hooks", OrderedDict()),
                            ("_forward_hooks", OrderedDict()),
                            ("_backward_hooks", OrderedDict()),
                            ("_hooks_with_kwargs", set())):
            object.__setattr__(self, name, value)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    # ---- attribute registration ----

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign attributes before Module.__init__() call")
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            self._forget(name, keep=params)  # a replaced entry keeps its place, as in PyTorch
            self.register_parameter(name, value)
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(ndgrad.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (ndgrad.nn.Module or None expected)")
            modules[name] = None
        elif isinstance(value, Buffer):
            self._forget(name, keep=buffers)
            self.register_buffer(name, value, persistent=value.persistent)
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(ndgrad.Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: OrderedDict | None = None) -> None:
        """Removes `name` from the attributes and every registry but `keep`."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent.discard(name)

    def __getattr__(self, name: str) -> Any:
        registries = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in registries and name in registries[registry]:
                return registries[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (or a None placeholder) under `name`."""
        _check_name(name, self, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (ndgrad.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a tensor that is state but not a parameter (e.g. running mean); persistent
        buffers are part of state_dict."""
        _check_name(name, self, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(ndgrad.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a child module under `name`."""
        _check_name(name, self, "module", self._modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path like 'encoder.layers.0'."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path like 'encoder.weight'."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    # ---- traversal ----

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every submodule, each once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) of the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two modules appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters, each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ---- modes and conversions ----

    def train(self, mode: bool = True) -> Module:
        """Sets training mode (dropout active, batch norm updating statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Sets evaluation mode recursively."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Sets requires_grad on every parameter."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the gradients of every parameter (to None, or to zeros in place)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                with no_grad():
                    param.grad = param.grad.detach().zero_()

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Calls fn on every submodule (children first) and on self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, convert: Callable[[Tensor], Tensor]) -> Module:
        """Converts every parameter and buffer in place (identity kept, so optimizers holding
        the parameters stay valid)."""
        for module in self.modules():
            for param in module._parameters.values():
                if param is None:
                    continue
                param.data = convert(param.data)
                if param.grad is not None:
                    param.grad = convert(param.grad)
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = convert(buffer)
        return self

    def share_memory(self) -> Module:
        """Moves every parameter, buffer and gradient into shared memory (Tensor.share_memory_),
        so processes that receive this module update the same weights (Hogwild)."""
        for module in self.modules():
            tensors = [*module._parameters.values(), *module._buffers.values()]
            for tensor in tensors:
                if tensor is not None:
                    tensor.share_memory_()
                    if tensor.grad is not None:
                        tensor.grad.share_memory_()
        return self

    def to(self, *args, **kwargs) -> Module:
        """Converts floating point parameters and buffers to a dtype and/or moves them."""
        dtype, device = _parse_module_to(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")

        def convert(t: Tensor) -> Tensor:
            if dtype is not None and t.is_floating_point():
                t = t.to(dtype)
            return t if device is None else t.to(device)
        return self._apply_to_tensors(convert)

    def float(self) -> Module:
        return self.to(_dtype.float32)

    def double(self) -> Module:
        return self.to(_dtype.float64)

    def half(self) -> Module:
        return self.to(_dtype.float16)

    def cpu(self) -> Module:
        return self.to("cpu")

    def type(self, dst_type) -> Module:
        return self._apply_to_tensors(lambda t: t.to(dst_type))

    # ---- calling, hooks ----

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)  # the common case, without hook bookkeeping
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id not in self._hooks_with_kwargs:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
                continue
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        if self._backward_hooks:
            return self._call_with_backward_hooks(args, kwargs)
        output = self.forward(*args, **kwargs)
        return self._run_forward_hooks(args, kwargs, output)

    def _run_forward_hooks(self, args: tuple, kwargs: dict, output):
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._hooks_with_kwargs:
                result = hook(self, args, kwargs, output)
            else:
                result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def _call_with_backward_hooks(self, args: tuple, kwargs: dict):
        """Wraps inputs and outputs in taps that report grad_input and grad_output to hooks.

        grad_input has one entry per positional argument: as in PyTorch, None for arguments
        that are not tensors, zeros for tensors that do not require grad.
        """
        state = {"grad_output": None}
        tapped_positions = [i for i, a in enumerate(args)
                            if isinstance(a, Tensor) and a.requires_grad]

        def on_grad_input(grads: tuple) -> tuple:
            grad_input = [zeros_like(a) if isinstance(a, Tensor) else None for a in args]
            for i, grad in zip(tapped_positions, grads):
                grad_input[i] = grad
            grad_input = self._run_backward_hooks(tuple(grad_input), state["grad_output"])
            return tuple(grad_input[i] for i in tapped_positions)

        def on_grad_output(grads: tuple) -> tuple:
            state["grad_output"] = grads
            if not tapped_positions:  # no input needs grad: hooks fire here, with no grad_input
                self._run_backward_hooks((None,) * len(args), grads)
            return grads

        if tapped_positions:
            tapped = tap(on_grad_input, *(args[i] for i in tapped_positions))
            args = list(args)
            for i, t in zip(tapped_positions, tapped):
                args[i] = t
            args = tuple(args)
        output = self.forward(*args, **kwargs)
        output = self._run_forward_hooks(args, kwargs, output)
        outputs = output if isinstance(output, tuple) else (output,)
        differentiable = [o for o in outputs if isinstance(o, Tensor) and o.requires_grad]
        if not differentiable:
            return output
        tapped = iter(tap(on_grad_output, *differentiable))
        outputs = tuple(next(tapped) if isinstance(o, Tensor) and o.requires_grad else o
                        for o in outputs)
        return outputs if isinstance(output, tuple) else outputs[0]

    def _run_backward_hooks(self, grad_input: tuple, grad_output: tuple) -> tuple:
        for hook in list(self._backward_hooks.values()):
            result = hook(self, grad_input, grad_output)
            if result is None:
                continue
            result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            if len(result) != len(grad_input):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {len(result)}, but expected {len(grad_input)}")
            grad_input = result
        return grad_input

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> _RemovableHandle:
        """hook(module, args) runs before forward and may return new args; with_kwargs:
        hook(module, args, kwargs) may return (new_args, new_kwargs). prepend runs it first."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False,
                              with_kwargs: bool = False) -> _RemovableHandle:
        """hook(module, args, output) (with_kwargs: hook(module, args, kwargs, output)) runs
        after forward and may return a new output. prepend runs it first."""
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """hook(module, grad_input, grad_output) runs when the gradients with respect to the
        module's inputs are computed, and may return replacements for grad_input."""
        return self._add_hook(self._backward_hooks, hook, prepend, False)

    def _add_hook(self, hooks: OrderedDict, hook, prepend: bool,
                  with_kwargs: bool) -> _RemovableHandle:
        handle = _RemovableHandle(hooks, self._hooks_with_kwargs)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    # ---- state_dict ----

    def state_dict(self, *args, destination=None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name, as PyTorch names them."""
        destination = OrderedDict() if destination is None else destination
        # A module reachable under two names is saved under both, as in PyTorch.
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."),
                                                        remove_duplicate=False):
            dotted = f"{module_prefix}." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    destination[dotted + name] = param if keep_vars else param.detach()
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    destination[dotted + name] = buffer if keep_vars else buffer.detach()
        return destination

    def load_state_dict(self, state_dict, strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copies values from `state_dict` into the parameters and buffers.

        Checks everything first: with missing or unexpected keys (strict), a value that is no
        array, or any shape mismatch, raises RuntimeError listing them all and changes nothing
        (PyTorch copies the entries that fit before it raises).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        arrays = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            array = _as_array(state_dict[key])
            if array is None:
                errors.append(f'While copying the parameter named "{key}", expected Tensor or '
                              f"Tensor-like object from checkpoint but received "
                              f"{type(state_dict[key])}")
            elif array.shape != target._data.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{Size(array.shape)} from checkpoint, the shape in current model "
                              f"is {Size(target._data.shape)}.")
            arrays[key] = array
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for key, array in arrays.items():
                target = own[key]
                if assign:
                    target.data = Tensor._make(np.array(array, dtype=target._data.dtype))
                else:
                    np.copyto(target._data, array, casting="unsafe")
                    target._vc[0] += 1
        return IncompatibleKeys(missing, unexpected)

    # ---- repr ----

    def extra_repr(self) -> str:
        """The layer's settings, shown inside its repr's parentheses."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for label, body in self._child_reprs():
            body = body.replace("\n", "\n  ")
            lines.append(f"({label}): {body}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


    def _child_reprs(self) -> list:
        """(label, repr) for each line of children in this module's repr."""
        return [(name, repr(module)) for name, module in self._modules.items()]


def _check_name(name: str, module: Module, kind: str, registry: OrderedDict) -> None:
    """A valid new name for `registry`: an entry of the same kind may be replaced, but not an
    attribute, a method or an entry of another kind (a buffer named like a parameter)."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if not name:
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    taken = hasattr(type(module), name) or name in module.__dict__ or any(
        name in other for other in (module._parameters, module._buffers, module._modules))
    if taken and name not in registry:
        raise KeyError(f"attribute '{name}' already exists")


def _as_array(value) -> np.ndarray | None:
    """A state_dict value as an array: ndgrad tensors, NumPy arrays and anything with
    __array__ (e.g. torch tensors) are accepted; None for anything else (lists, numbers)."""
    if isinstance(value, Tensor):
        return value._data
    if not hasattr(value, "__array__"):
        return None
    return np.asarray(value.detach() if hasattr(value, "detach") else value)


def _parse_module_to(args: tuple, kwargs: dict):
    dtype = kwargs.get("dtype")
    device = kwargs.get("device")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, str) or type(arg).__name__ == "device":
            device = arg
        else:
            dtype = arg
    return (None if dtype is None else _dtype.to_dtype(dtype), device)
