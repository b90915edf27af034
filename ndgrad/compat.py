"""Runs programs written for PyTorch on ndgrad: `torch` and `torchvision` as aliases of ndgrad.

`install()` maps `torch` to `ndgrad`, every `torch.X.Y` to `ndgrad.X.Y`, `torchvision` to
`ndgrad.vision` and `torchvision.X` to `ndgrad.vision.X`, for the whole process and for the
Python processes it starts::

    import ndgrad.compat
    ndgrad.compat.install()
    import torch                      # ndgrad itself: `torch is ndgrad`
    from torch.nn.modules import rnn  # ndgrad.nn.modules.rnn, registered under both names

An alias is the ndgrad module object itself, imported on first use by a finder placed first on
`sys.meta_path`, so `torch.nn is ndgrad.nn` and an object pickled under either name unpickles
as the same class. A PyTorch name ndgrad lacks fails at once with an ImportError or
AttributeError naming it: "torch.foo is not available in ndgrad".

Child processes: `install()` puts the folder of ndgrad/_compat_site/ on PYTHONPATH, whose
sitecustomize.py calls `install()` as Python starts. So multiprocessing spawn and forkserver
children (which re-import the main script, and with it `import torch`) and ranks started by a
launcher see the same aliases; forked children inherit them with the process memory.
"""
from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.util
import os
import re
import sys
import types

__all__ = ["MissingNameError", "explain", "install", "installed", "torch_name", "uninstall"]

# PyTorch's top-level packages and the ndgrad modules that stand in for them.
ALIASES = {"torch": "ndgrad", "torchvision": "ndgrad.vision"}

SITE_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_compat_site")


def ndgrad_name(name: str) -> str | None:
    """The ndgrad module that stands in for PyTorch's module `name` (None if not PyTorch's)."""
    root, dot, rest = name.partition(".")
    if root not in ALIASES:
        return None
    return ALIASES[root] + dot + rest


def torch_name(name: str) -> str:
    """The PyTorch name of ndgrad's module `name` (ndgrad.vision.X -> torchvision.X)."""
    for torch_root, ndgrad_root in sorted(ALIASES.items(), key=lambda kv: -len(kv[1])):
        if name == ndgrad_root or name.startswith(ndgrad_root + "."):
            return torch_root + name[len(ndgrad_root):]
    return name


class MissingNameError(AttributeError):
    """An attribute PyTorch has and ndgrad lacks."""


def _missing_attribute(module: types.ModuleType, original, name: str):
    """A module's __getattr__ while the aliases are installed: tries the module's own
    __getattr__ (`original`, e.g. lazy submodules), then names the missing PyTorch name."""
    if original is not None:
        try:
            return original(name)
        except AttributeError:
            pass
    if name.startswith("__"):
        raise AttributeError(f"module '{module.__name__}' has no attribute '{name}'")
    raise MissingNameError(f"{torch_name(module.__name__)}.{name} is not available in ndgrad "
                           f"(module '{module.__name__}' has no attribute '{name}')",
                           name=name, obj=module)


# Modules given a missing-name __getattr__, with the __getattr__ they had before (or None).
# Python calls a module's __getattr__ only when a lookup fails: found names cost nothing.
_marked: dict[str, object] = {}


def _mark(module: types.ModuleType) -> None:
    if module.__name__ not in _marked:
        original = module.__dict__.get("__getattr__")
        _marked[module.__name__] = original
        module.__getattr__ = functools.partial(_missing_attribute, module, original)


def _unmark_all() -> None:
    for name, original in _marked.items():
        module = sys.modules.get(name)
        if module is None:
            continue
        if original is None:
            module.__dict__.pop("__getattr__", None)
        else:
            module.__getattr__ = original
    _marked.clear()


class _AliasLoader(importlib.abc.Loader):
    """Hands the already imported ndgrad module to the import system under PyTorch's name."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        # The module ran when ndgrad imported it. The import system has just set its __spec__
        # to the alias's; give it its own back, so it still knows itself as ndgrad's.
        module.__spec__ = self.spec
        _mark(module)


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds `torch.X` as `ndgrad.X` (and `torchvision.X` as `ndgrad.vision.X`)."""

    def find_spec(self, fullname: str, path=None, target=None):
        target_name = ndgrad_name(fullname)
        if target_name is None:
            return None
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as error:
            # Only ndgrad's own missing module is PyTorch's missing name; a missing
            # dependency (Pillow, onnx, ...) keeps its own message.
            missing = error.name or ""
            if missing == target_name or target_name.startswith(missing + "."):
                raise ModuleNotFoundError(f"{fullname} is not available in ndgrad (there is "
                                          f"no module {target_name})", name=fullname) from None
            raise
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module),
                                               is_package=hasattr(module, "__path__"))


_finder = _AliasFinder()


def installed() -> bool:
    """True while the aliases are installed in this process."""
    return _finder in sys.meta_path


def install() -> None:
    """Maps `torch` and `torchvision` (and their submodules) to ndgrad in this process and in
    the Python processes it starts from now on. Calling it again does nothing."""
    if installed():
        return
    for torch_root in ALIASES:
        module = sys.modules.get(torch_root)
        if module is not None and not module.__name__.startswith("ndgrad"):
            raise RuntimeError(f"{torch_root} ({module.__file__}) is already imported; call "
                               f"ndgrad.compat.install() before the first import {torch_root}")
    sys.meta_path.insert(0, _finder)
    for name, module in list(sys.modules.items()):
        if (name == "ndgrad" or name.startswith("ndgrad.")) and module is not None:
            _mark(module)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if SITE_FOLDER not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([SITE_FOLDER] + [p for p in paths if p])


def uninstall() -> None:
    """Removes the aliases from this process and from the environment its children inherit."""
    if installed():
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if ndgrad_name(n) is not None]:
        module = sys.modules[name]
        if module.__name__.startswith("ndgrad"):
            del sys.modules[name]
    _unmark_all()
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
             if p and p != SITE_FOLDER]
    if paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        os.environ.pop("PYTHONPATH", None)


_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")


def explain(error: BaseException) -> str | None:
    """'torch.X.name is not available in ndgrad' when `error` is a failed lookup of a PyTorch
    name in an ndgrad module (`from torch import name`, `torch.X.name`); otherwise None."""
    if isinstance(error, ModuleNotFoundError) and ndgrad_name(error.name or "") is not None:
        return f"{error.name} is not available in ndgrad"  # torch.cuda.amp: a module's child
    if isinstance(error, AttributeError) and isinstance(getattr(error, "obj", None),
                                                        types.ModuleType):
        module = error.obj.__name__
        if module.startswith("ndgrad") and error.name:
            return f"{torch_name(module)}.{error.name} is not available in ndgrad"
    if isinstance(error, ImportError):
        found = _CANNOT_IMPORT.search(str(error))
        if found and found.group(2).startswith("ndgrad"):
            return f"{torch_name(found.group(2))}.{found.group(1)} is not available in ndgrad"
    return None
