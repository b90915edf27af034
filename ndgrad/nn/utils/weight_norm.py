"""The older hook-based weight and spectral normalisation (PyTorch's torch.nn.utils.weight_norm
and torch.nn.utils.spectral_norm): the weight is recomputed into a plain attribute by a forward
pre-hook from parameters `<name>_g`, `<name>_v` (weight norm) or `<name>_orig` with buffers
`<name>_u`, `<name>_v` (spectral norm). New code uses nn.utils.parametrizations instead."""
from __future__ import annotations

from ndgrad._random import randn
from ndgrad.autograd.grad_mode import no_grad
from ndgrad.nn import functional as F
from ndgrad.nn.modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ndgrad.nn.modules.module import Module
from ndgrad.nn.parameter import Parameter
from ndgrad.nn.utils.parametrizations import norm_except_dim

__all__ = ["remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]


class _WeightNormHook:
    """Sets module.<name> = v * g / ||v|| before each forward."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim

    def compute_weight(self, module: Module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


class _SpectralNormHook:
    """Sets module.<name> = weight_orig / sigma before each forward, with one power iteration
    on the buffers (v first, then u, as PyTorch's older form) in training mode."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = (
            name, n_power_iterations, dim, eps)

    def matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def compute_weight(self, module: Module, power_iteration: bool):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        matrix = self.matrix(weight)
        if power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(matrix.T @ u, dim=0, eps=self.eps))
                    u.copy_(F.normalize(matrix @ v, dim=0, eps=self.eps))
            u, v = u.clone(), v.clone()
        return weight / u.dot(matrix @ v)

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def _remove(module: Module, kind: type, label: str, name: str, suffixes: tuple,
            weight) -> Module:
    """Drops the `kind` hook of <name> and its tensors <name><suffix>, and makes <name> a
    parameter holding `weight(hook)`."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            break
    else:
        raise ValueError(f"{label} of '{name}' not found in {module}")
    with no_grad():
        value = weight(hook)
    delattr(module, name)
    for suffix in suffixes:
        module._parameters.pop(name + suffix, None)
        module._buffers.pop(name + suffix, None)
    del module._forward_pre_hooks[key]
    setattr(module, name, Parameter(value.detach()))
    return module


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replaces parameter <name> by <name>_g (magnitude) and <name>_v (direction)."""
    hook = _WeightNormHook(name, -1 if dim is None else dim)
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"Module '{module}' has no parameter named '{name}'")
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, hook.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Folds <name>_g and <name>_v back into a parameter <name>."""
    return _remove(module, _WeightNormHook, "weight_norm", name, ("_g", "_v"),
                   lambda hook: hook.compute_weight(module))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Replaces parameter <name> by <name>_orig and buffers <name>_u, <name>_v; <name> is
    recomputed as <name>_orig / sigma before each forward."""
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    hook = _SpectralNormHook(name, n_power_iterations, dim, eps)
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"Module '{module}' has no parameter named '{name}'")
    rows, cols = hook.matrix(weight).shape
    u = F.normalize(randn(rows, dtype=weight.dtype), dim=0, eps=eps)
    v = F.normalize(randn(cols, dtype=weight.dtype), dim=0, eps=eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Makes <name> a plain parameter again, holding the normalised weight."""
    return _remove(module, _SpectralNormHook, "spectral_norm", name, ("_orig", "_u", "_v"),
                   lambda hook: hook.compute_weight(module, power_iteration=False))
