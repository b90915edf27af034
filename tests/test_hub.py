"""ndgrad.hub: PyTorch's hub folder and checkpoint cache, downloading only what is missing."""
from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

import ndgrad
from ndgrad import hub

URL = "https://example.invalid/models/tiny-{}.pth"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty TORCH_HOME, and a downloader that fails if it is called."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setattr(hub, "_hub_dir", None)

    def no_network(url, path, md5):
        raise AssertionError(f"tried to download {url}")
    monkeypatch.setattr(hub, "download_file", no_network)
    return tmp_path / "torch_home"


def _state_dict() -> dict:
    return ndgrad.nn.Linear(3, 2).state_dict()


def _assert_same(loaded: dict, expected: dict) -> None:
    assert list(loaded) == list(expected)
    for key in expected:
        np.testing.assert_array_equal(loaded[key].numpy(), expected[key].numpy())


@pytest.mark.parametrize("env", [{"TORCH_HOME": "/data/th"}, {"XDG_CACHE_HOME": "/data/xdg"},
                                 {}], ids=["torch_home", "xdg", "default"])
def test_get_dir_follows_torch(env, monkeypatch, torch):
    import torch.hub
    for name in ("TORCH_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(hub, "_hub_dir", None)
    assert hub.get_dir() == torch.hub.get_dir()


def test_set_dir(home, tmp_path):
    hub.set_dir(tmp_path / "elsewhere")
    assert hub.get_dir() == str(tmp_path / "elsewhere")


def test_a_cached_checkpoint_loads_without_network(home):
    expected = _state_dict()
    folder = home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    ndgrad.save(expected, folder / "tiny-0123abcd.pth")
    _assert_same(hub.load_state_dict_from_url(URL.format("0123abcd"), check_hash=True),
                 expected)
    ndgrad.save(expected, home / "named.pth")
    _assert_same(hub.load_state_dict_from_url(URL.format("x"), model_dir=str(home),
                                              file_name="named.pth"), expected)


def test_a_missing_checkpoint_is_downloaded_once_and_its_hash_checked(home, tmp_path,
                                                                      monkeypatch):
    expected = _state_dict()
    source = tmp_path / "served.pth"
    ndgrad.save(expected, source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    calls = []

    def serve(url, path, md5):
        calls.append(url)
        with open(path, "wb") as out:
            out.write(source.read_bytes())
    monkeypatch.setattr(hub, "download_file", serve)
    good = URL.format(digest[:8])
    for _ in range(2):
        _assert_same(hub.load_state_dict_from_url(good, check_hash=True, progress=False),
                     expected)
    assert calls == [good]  # the second call read the cache
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.load_state_dict_from_url(URL.format("00000000"), check_hash=True)
    assert sorted(os.listdir(home / "hub" / "checkpoints")) == [f"tiny-{digest[:8]}.pth"]
