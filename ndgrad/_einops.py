"""einops support: einops finds ndgrad tensors whether it is imported before or after ndgrad.

einops (0.8) looks for a backend among the subclasses of its `AbstractBackend` whose
`framework_name` is in sys.modules, so ndgrad's backend class must exist once both are
imported. Defining it needs einops, which ndgrad does not depend on and does not import: if
einops is already imported the backend is defined at once, otherwise a one-shot import hook
defines it right after einops' own import finishes.
"""
from __future__ import annotations

import importlib.abc
import sys


def install() -> None:
    """Defines the einops backend now if einops is imported, else when it gets imported."""
    if "einops" in sys.modules:
        _define_backend()
    elif not any(isinstance(finder, _EinopsFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _EinopsFinder())


def _define_backend() -> None:
    import ndgrad._einops_backend  # noqa: F401 - its class statement registers the backend


class _EinopsFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: it lets the other finders locate einops, then wraps the loader so
    that the backend is defined when einops has been executed. It stays in sys.meta_path until
    then, since a find_spec("einops") that only checks availability imports nothing."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "einops":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _ThenDefineBackend(spec.loader)
                return spec
        return None


class _ThenDefineBackend(importlib.abc.Loader):
    """einops' own loader, followed by defining ndgrad's backend."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _EinopsFinder)]
        _define_backend()

    def __getattr__(self, name: str):
        return getattr(self.loader, name)  # get_resource_reader, is_package, ...
