"""ndgrad.compat: torch and torchvision as aliases of ndgrad's modules.

install() changes the whole process, so each check runs in a fresh Python process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ndgrad
from ndgrad import compat

ROOT = Path(__file__).resolve().parent.parent

# PyTorch submodules that programs import by name, and the ndgrad module each must be.
SUBMODULES = {
    "torch": "ndgrad",
    "torch.nn": "ndgrad.nn",
    "torch.nn.functional": "ndgrad.nn.functional",
    "torch.nn.init": "ndgrad.nn.init",
    "torch.nn.parameter": "ndgrad.nn.parameter",
    "torch.nn.modules.module": "ndgrad.nn.modules.module",
    "torch.nn.modules.rnn": "ndgrad.nn.modules.rnn",
    "torch.nn.modules.transformer": "ndgrad.nn.modules.transformer",
    "torch.nn.modules.activation": "ndgrad.nn.modules.activation",
    "torch.nn.modules.container": "ndgrad.nn.modules.container",
    "torch.nn.modules.linear": "ndgrad.nn.modules.linear",
    "torch.nn.utils": "ndgrad.nn.utils",
    "torch.nn.utils.rnn": "ndgrad.nn.utils.rnn",
    "torch.autograd": "ndgrad.autograd",
    "torch.optim": "ndgrad.optim",
    "torch.optim.lr_scheduler": "ndgrad.optim.lr_scheduler",
    "torch.utils.data": "ndgrad.utils.data",
    "torch.serialization": "ndgrad.serialization",
    "torch.backends": "ndgrad.backends",
    "torch.backends.cudnn": "ndgrad.backends.cudnn",
    "torch.backends.mps": "ndgrad.backends.mps",
    "torch.accelerator": "ndgrad.accelerator",
    "torch.cuda": "ndgrad.cuda",
    "torch.multiprocessing": "ndgrad.multiprocessing",
    "torch.hub": "ndgrad.hub",
    "torchvision": "ndgrad.vision",
}


def python_with_aliases(code: str) -> dict:
    """Runs `code` after compat.install() in a new Python; returns the JSON it printed last."""
    program = "import json, sys\nimport ndgrad.compat\nndgrad.compat.install()\n" + \
        textwrap.dedent(code)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_submodules_are_the_ndgrad_modules_themselves():
    result = python_with_aliases(f"""
        import importlib
        names = {sorted(SUBMODULES)!r}
        found = {{name: importlib.import_module(name).__name__ for name in names}}
        same = all(sys.modules[name] is importlib.import_module(found[name]) for name in names)
        import torch.nn as nn, torch.nn.modules.rnn
        rnn = sys.modules["ndgrad.nn.modules.rnn"]
        print(json.dumps(dict(found=found, same=same, own_spec=nn.__spec__.name,
                              attribute=torch.nn.modules.rnn is rnn,
                              linear=nn.Linear.__module__)))
    """)
    assert result["found"] == SUBMODULES
    assert result["same"] and result["attribute"]
    assert result["own_spec"] == "ndgrad.nn"  # the alias leaves the module its own identity
    assert result["linear"] == "ndgrad.nn.modules.linear"


def test_missing_names_are_named_in_a_short_error():
    result = python_with_aliases("""
        import traceback
        errors = {}
        for statement in ("import torch; torch.nn.foo", "import torch.foo",
                          "import torch.nn.bar.baz", "import torchvision; torchvision.qux"):
            try:
                exec(statement)
            except ImportError as error:
                errors[statement] = [type(error).__name__, str(error),
                                     len(traceback.extract_tb(error.__traceback__))]
            except AttributeError as error:
                errors[statement] = [type(error).__name__, str(error),
                                     len(traceback.extract_tb(error.__traceback__))]
        import torch
        import torchvision
        print(json.dumps(dict(errors=errors, hasattr=hasattr(torch, "compile"),
                              getattr=getattr(torch.backends, "foo", "default"),
                              lazy=torchvision.utils.__name__)))
    """)
    errors = result["errors"]
    assert errors["import torch.foo"][:2] == [
        "ModuleNotFoundError", "torch.foo is not available in ndgrad (there is no module "
        "ndgrad.foo)"]
    assert errors["import torch.nn.bar.baz"][1].startswith("torch.nn.bar is not available")
    assert errors["import torchvision; torchvision.qux"][1].startswith(
        "torchvision.qux is not available")
    assert errors["import torch; torch.nn.foo"][:2] == [
        "MissingNameError", "torch.nn.foo is not available in ndgrad (module 'ndgrad.nn' has "
        "no attribute 'foo')"]
    assert all(frames <= 3 for _, _, frames in errors.values()), errors
    assert result["hasattr"] is False and result["getattr"] == "default"
    assert result["lazy"] == "ndgrad.vision.utils"  # the module's own __getattr__ still runs


def test_uninstall_removes_the_aliases_and_the_child_hook():
    result = python_with_aliases("""
        import os, torch, torch.nn, torchvision
        before = os.environ["PYTHONPATH"].split(os.pathsep)[0]
        ndgrad.compat.uninstall()
        print(json.dumps(dict(hook=before == ndgrad.compat.SITE_FOLDER,
                              left=[n for n in sys.modules if n.split(".")[0] == "torch"],
                              path=os.environ.get("PYTHONPATH", ""),
                              hooks=[n for n, m in sys.modules.items()
                                     if n.startswith("ndgrad") and "__getattr__" in vars(m)],
                              installed=ndgrad.compat.installed())))
    """)
    assert result["hook"] and result["left"] == [] and not result["installed"]
    assert compat.SITE_FOLDER not in result["path"]
    assert result["hooks"] == ["ndgrad.vision"]  # its own lazy loader, given back



def test_any_python_child_gets_the_aliases_and_the_sitecustomize_they_hide(tmp_path):
    """A plain subprocess (as a launcher starts ranks) maps torch too, and a sitecustomize that
    was already on its path still runs after ndgrad's."""
    (tmp_path / "sitecustomize.py").write_text("import builtins\nbuiltins.HIDDEN_RAN = True\n")
    result = python_with_aliases(f"""
        import os, subprocess
        env = dict(os.environ, PYTHONPATH=os.environ["PYTHONPATH"] + os.pathsep + {str(tmp_path)!r})
        code = "import builtins, sys, torch; print(torch.__name__, builtins.HIDDEN_RAN)"
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=120, env=env, cwd="/")
        print(json.dumps(dict(out=child.stdout.split(), err=child.stderr[-2000:])))
    """)
    assert result["out"] == ["ndgrad", "True"], result["err"]

def test_install_refuses_once_pytorch_is_imported(torch):
    with pytest.raises(RuntimeError, match="already imported"):
        compat.install()
    assert not compat.installed()


@pytest.mark.parametrize("error, expected", [
    (ImportError("cannot import name 'foo' from 'ndgrad.nn' (x.py)"), "torch.nn.foo"),
    (ImportError("cannot import name 'Foo' from 'ndgrad.vision.models'"),
     "torchvision.models.Foo"),
    (AttributeError("no", name="bar", obj=compat), "torch.compat.bar"),
    (ModuleNotFoundError("No module named 'torch.cuda.amp'; 'torch.cuda' is not a package",
                         name="torch.cuda.amp"), "torch.cuda.amp"),
    (ModuleNotFoundError("No module named 'PIL'", name="PIL"), None),
    (ImportError("cannot import name 'foo' from 'numpy'"), None),
    (ValueError("cannot import name 'foo' from 'ndgrad'"), None),
], ids=["from_import", "torchvision", "attribute", "submodule_of_a_module", "dependency",
        "not_ndgrad", "not_a_lookup"])
def test_explain_names_the_pytorch_name(error, expected):
    message = compat.explain(error)
    if expected is None:
        assert message is None
    else:
        assert message == f"{expected} is not available in ndgrad"


# ---- what programs ask about devices: the answers of PyTorch's CPU build

DEVICE_QUERIES = {
    "accelerator.is_available": lambda t: t.accelerator.is_available(),
    "accelerator.current_accelerator": lambda t: t.accelerator.current_accelerator(),
    "accelerator.device_count": lambda t: t.accelerator.device_count(),
    "cuda.is_available": lambda t: t.cuda.is_available(),
    "cuda.device_count": lambda t: t.cuda.device_count(),
    "cuda.is_initialized": lambda t: t.cuda.is_initialized(),
    "cuda.memory_allocated": lambda t: t.cuda.memory_allocated(),
    "cuda.is_bf16_supported": lambda t: t.cuda.is_bf16_supported(),
    "cuda.manual_seed_all": lambda t: t.cuda.manual_seed_all(1),
    "backends.cudnn.is_available": lambda t: t.backends.cudnn.is_available(),
    "backends.cudnn.version": lambda t: t.backends.cudnn.version(),
    "backends.cudnn.flags": lambda t: [t.backends.cudnn.enabled, t.backends.cudnn.benchmark,
                                       t.backends.cudnn.deterministic],
    "backends.mps.is_available": lambda t: t.backends.mps.is_available(),
    "backends.mps.is_built": lambda t: t.backends.mps.is_built(),
    "backends.cuda.matmul.allow_tf32": lambda t: t.backends.cuda.matmul.allow_tf32,
}


@pytest.mark.parametrize("query", DEVICE_QUERIES.values(), ids=DEVICE_QUERIES.keys())
def test_device_queries_answer_as_pytorch_on_the_cpu(query, torch):
    import torch.backends.cuda  # imported by name, as programs do
    assert query(ndgrad) == query(torch)


@pytest.mark.parametrize("call", ["current_device_index", "synchronize", "empty_cache",
                                  "memory_allocated"])
def test_accelerator_calls_that_need_a_device_raise(call, torch):
    with pytest.raises(RuntimeError, match="no.* available"):
        getattr(torch.accelerator, call)()
    with pytest.raises(RuntimeError, match="none is available"):
        getattr(ndgrad.accelerator, call)()


def test_cudnn_flags_are_settable_and_restored():
    cudnn = ndgrad.backends.cudnn
    with cudnn.flags(enabled=False, benchmark=True, deterministic=True):
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (False, True, True)
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (True, False, False)
    cudnn.benchmark = True
    try:
        assert ndgrad.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = False
