"""torch.hub's checkpoint cache: get_dir, set_dir, load_state_dict_from_url, download_url_to_file.

Checkpoints live in `<get_dir()>/checkpoints/<file name>`, the folder PyTorch uses, so files
that PyTorch downloaded are found without network. A missing file is downloaded atomically
(nothing is left behind when the download fails or its hash does not match), then read with
ndgrad.load. Loading models from GitHub repositories (torch.hub.load, list, help) runs code from
the network and is not provided.
"""
from __future__ import annotations

import os
import re
import sys
from urllib.parse import urlparse

from ndgrad.datasets.mnist import download_file, file_digest
from ndgrad.serialization import load

__all__ = ["download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

# The sha256 prefix PyTorch puts in checkpoint names: resnet18-f37072fd.pth.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

_hub_dir: str | None = None


def _torch_home() -> str:
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))


def get_dir() -> str:
    """The hub folder: the one set_dir gave, else $TORCH_HOME/hub (TORCH_HOME defaults to
    $XDG_CACHE_HOME/torch, XDG_CACHE_HOME to ~/.cache)."""
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_torch_home(), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Makes `d` the hub folder for this process."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Downloads `url` to `dst`; with `hash_prefix`, the file's sha256 must start with it.
    `dst` appears only complete and checked."""
    dst = os.path.expanduser(dst)
    partial = f"{dst}.{os.getpid()}.partial"
    download_file(url, partial, md5=None)
    try:
        if hash_prefix is not None:
            digest = file_digest(partial, "sha256")
            if not digest.startswith(hash_prefix):
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}"); the download was deleted')
        os.replace(partial, dst)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None, weights_only: bool = False) -> dict:
    """Loads the checkpoint at `url` from `model_dir` (default `<get_dir()>/checkpoints`),
    downloading it there first only if it is missing.

    The file is named `file_name`, else the last part of the URL's path. With `check_hash`,
    a download must have the sha256 prefix written in that name (`name-<prefix>.ext`). The file
    is read with ndgrad.load, which never executes code from it, whatever `weights_only` says.
    """
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        found = HASH_REGEX.search(filename) if check_hash else None
        download_url_to_file(url, cached_file, found.group(1) if found else None, progress)
    return load(cached_file, map_location=map_location, weights_only=True)
