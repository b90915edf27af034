"""`python -m ndgrad.run`: PyTorch programs run unchanged, with torch mapped to ndgrad."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ndgrad import compat, run

ROOT = Path(__file__).resolve().parent.parent


def ndgrad_run(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs `python -m ndgrad.run args...` in a new process (ndgrad importable from ROOT)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "ndgrad.run", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=env)


def write(path: Path, code: str) -> Path:
    path.write_text(textwrap.dedent(code))
    return path


REPORT = """
    import json, sys, torch, ndgrad
    print(json.dumps(dict(name=__name__, argv=sys.argv, path0=sys.path[0],
                          torch_is_ndgrad=torch is ndgrad, file=__file__)))
"""


def test_runs_a_script_as_main_with_its_arguments(tmp_path):
    script = write(tmp_path / "program.py", textwrap.dedent(REPORT) + "sys.exit(3)\n")
    done = ndgrad_run(str(script), "--epochs", "2", "x y")
    assert done.returncode == 3, done.stderr  # the script's own exit status
    report = json.loads(done.stdout)
    assert report == dict(name="__main__", argv=[str(script), "--epochs", "2", "x y"],
                          path0=str(tmp_path), torch_is_ndgrad=True, file=str(script))


def test_runs_a_module_with_dash_m(tmp_path):
    write(tmp_path / "program_module.py", REPORT)
    done = ndgrad_run("-m", "program_module", "--lr", "0.1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["name"] == "__main__" and report["torch_is_ndgrad"]
    assert report["argv"] == [str(tmp_path / "program_module.py"), "--lr", "0.1"]
    assert report["path0"] == str(tmp_path)


def test_usage_and_a_missing_script(capsys):
    assert run.main([]) == 2 and run.USAGE in capsys.readouterr().out
    with pytest.raises(SystemExit, match="can't open file 'no_such_program.py'"):
        run.main(["no_such_program.py"])
    assert not compat.installed()


def test_a_missing_pytorch_name_is_reported_briefly(tmp_path):
    script = write(tmp_path / "program.py", """
        import torch

        def build():
            from torch.nn import NotALayer
        build()
    """)
    done = ndgrad_run(str(script))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == "ndgrad.run: torch.nn.NotALayer is not available in ndgrad"
    assert "runpy" not in done.stderr and "ndgrad/run.py" not in done.stderr
    assert len(lines) <= 8, done.stderr


def test_children_see_the_aliases(tmp_path):
    """DataLoader workers and spawn children import torch as ndgrad, and an ndgrad module
    pickled to a spawn child arrives as the same class."""
    script = write(tmp_path / "program.py", """
        import json, sys
        import torch
        import torch.multiprocessing as mp
        from torch.utils.data import DataLoader, Dataset

        class Probe(Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return torch.tensor(float(sys.modules["torch"] is sys.modules["ndgrad"]))

        def child(layer, queue):
            import torch.nn
            queue.put([type(layer) is torch.nn.Linear, type(layer).__module__,
                       float(layer.weight.sum())])

        if __name__ == "__main__":
            workers = [float(b.sum()) for b in DataLoader(Probe(), batch_size=2, num_workers=2)]
            layer = torch.nn.Linear(3, 2)
            context = mp.get_context("spawn")
            queue = context.Queue()
            process = context.Process(target=child, args=(layer, queue))
            process.start()
            result = queue.get(timeout=60)
            process.join(60)
            print(json.dumps(dict(workers=workers, result=result,
                                  weight=float(layer.weight.sum()))))
    """)
    done = ndgrad_run(str(script))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["workers"] == [2.0, 2.0]
    same_class, module, weight = report["result"]
    assert same_class and module == "ndgrad.nn.modules.linear"
    assert abs(weight - report["weight"]) < 1e-6


def test_dash_m_runs_a_pytorch_module_by_its_ndgrad_name():
    done = ndgrad_run("-m", "torch.distributed.run", "--help")  # torchrun: ndgrad's launcher
    assert done.returncode == 0, done.stderr
    assert "ndgrad.distributed.run" in done.stdout or "nproc" in done.stdout
