"""Maps torch to ndgrad as this Python process starts (see ndgrad.compat).

ndgrad.compat.install() puts this file's folder on PYTHONPATH, so every Python process started
after it runs this first. It then runs the sitecustomize that it hides, if there is one.
"""
import importlib.machinery
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
if importlib.util.find_spec("ndgrad") is None:  # ndgrad from a source tree, not installed
    sys.path.append(os.path.dirname(os.path.dirname(_here)))

import ndgrad.compat

ndgrad.compat.install()

_hidden = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _here])
if _hidden is not None:
    _hidden.loader.exec_module(importlib.util.module_from_spec(_hidden))
