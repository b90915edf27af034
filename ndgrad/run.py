"""`python -m ndgrad.run [-m module | script.py] [args...]`: runs a PyTorch program on ndgrad.

Installs the torch -> ndgrad aliases (ndgrad.compat.install), then runs the script as
`__main__` with `sys.argv = [script, *args]` and the script's folder as `sys.path[0]`, as
`python script.py args...` would; `-m module` runs a module as `python -m module` does (a
PyTorch module by its ndgrad name: `-m torch.distributed.run` is the distributed launcher). A
PyTorch name ndgrad lacks ends the run with the user's frames of the traceback and a last line
naming it, e.g. "torch.foo is not available in ndgrad".
"""
from __future__ import annotations

import os
import runpy
import sys
import traceback

from ndgrad import compat

USAGE = "usage: python -m ndgrad.run [-m module | script.py] [args...]"


def _run(argv: list[str]) -> None:
    if argv[0] == "-m":
        if len(argv) < 2:
            raise SystemExit(f"{USAGE}\nndgrad.run: -m needs a module name")
        sys.argv = argv[1:]
        sys.path[0] = os.getcwd()
        # `-m torch.distributed.run` (torchrun) runs ndgrad's module of that name.
        module = compat.ndgrad_name(argv[1]) or argv[1]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")


def _report(error: BaseException) -> None:
    """Prints the traceback without the runner's own frames, and what ndgrad lacks."""
    frames = traceback.extract_tb(error.__traceback__)
    internal = (os.path.abspath(__file__), os.path.abspath(runpy.__file__))
    while frames and (os.path.abspath(frames[0].filename) in internal
                      or frames[0].filename.startswith("<frozen runpy")):
        frames.pop(0)
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames),
             *traceback.format_exception_only(type(error), error)]
    missing = compat.explain(error)
    if missing is not None:
        lines.append(f"ndgrad.run: {missing}\n")
    sys.stderr.write("".join(lines))


def main(argv: list[str] | None = None) -> int:
    """Runs the program named in argv (default sys.argv[1:]) with torch mapped to ndgrad."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] != "-m" and not os.path.exists(argv[0]):
        raise SystemExit(f"ndgrad.run: can't open file '{argv[0]}': no such file")
    compat.install()
    try:
        _run(argv)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as error:  # noqa: BLE001 - any failure of the program is reported
        _report(error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
