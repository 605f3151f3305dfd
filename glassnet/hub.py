"""``torch.hub``'s weight cache, without downloads: ``get_dir``, ``set_dir`` and
``load_state_dict_from_url``.

PyTorch downloads a ``.pth`` file the first time a URL is asked for, keeps it in
``<hub dir>/checkpoints/`` and unpickles it. glassnet reaches no network and unpickles nothing,
so the same call looks in the same kind of folder for the weights already converted to
safetensors: ``load_state_dict_from_url("https://.../resnet18-f37072fd.pth")`` reads
``<hub dir>/checkpoints/resnet18-f37072fd.safetensors``. When that file is missing, the error
names the exact path to create and the one line of PyTorch that converts the ``.pth``::

    import torch, safetensors.torch
    safetensors.torch.save_file(torch.load("resnet18-f37072fd.pth"), "<that path>")

The hub directory is the one given to ``set_dir``, else ``$GLASSNET_HOME/hub``, where
``GLASSNET_HOME`` defaults to ``$XDG_CACHE_HOME/glassnet`` (``~/.cache/glassnet``), as
PyTorch's is ``$TORCH_HOME/hub`` under ``~/.cache/torch``.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from glassnet.serialization import load

__all__ = ["get_dir", "load_state_dict_from_url", "set_dir"]

ENV_GLASSNET_HOME = "GLASSNET_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = os.path.join("~", ".cache")

_hub_dir = None  # set by set_dir


def _glassnet_home() -> str:
    cache = os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR)
    return os.path.expanduser(os.getenv(ENV_GLASSNET_HOME, os.path.join(cache, "glassnet")))


def get_dir() -> str:
    """The hub directory: what ``set_dir`` set, else ``$GLASSNET_HOME/hub``
    (``~/.cache/glassnet/hub`` when ``GLASSNET_HOME`` and ``XDG_CACHE_HOME`` are unset)."""
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_glassnet_home(), "hub")


def set_dir(d) -> None:
    """Use ``d`` (a path; ``~`` is expanded) as the hub directory from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def weights_path(url, model_dir=None, file_name=None) -> str:
    """Where ``load_state_dict_from_url`` looks for the weights of ``url``: in ``model_dir``
    (default ``<hub dir>/checkpoints``), the stem of ``file_name`` (default: the URL's file
    name) with ``.safetensors``."""
    name = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    stem = os.path.splitext(name)[0]
    if not stem:
        raise ValueError(f"load_state_dict_from_url: no file name in url {url!r}; pass "
                         "file_name='name.safetensors'")
    model_dir = os.path.join(get_dir(), "checkpoints") if model_dir is None else model_dir
    return os.path.join(os.path.expanduser(os.fspath(model_dir)), stem + ".safetensors")


def _missing(url, path, model_dir) -> str:
    pth = os.path.basename(urlparse(url).path) or "weights.pth"
    where = ("" if model_dir is not None else " (in the hub folder, glassnet.hub.get_dir(): "
             "$GLASSNET_HOME/hub unless glassnet.hub.set_dir chose another)")
    return (
        f"load_state_dict_from_url: no weights file at {path}{where}. glassnet downloads "
        f"nothing and never unpickles a .pth file, so it reads the weights of {url} from that "
        f"path as safetensors. Create it once where PyTorch is installed: download {url} "
        f"(PyTorch keeps its downloads in ~/.cache/torch/hub/checkpoints/) and run "
        f"`python -c \"import torch, safetensors.torch; "
        f"safetensors.torch.save_file(torch.load('{pth}'), '{path}')\"`")


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """The state dict for ``url``, read from ``weights_path(url, model_dir, file_name)``
    (``<hub dir>/checkpoints/<stem>.safetensors``), with ``torch.hub``'s signature.

    ``map_location`` is ``glassnet.load``'s. The file is always read weights-only, whatever
    ``weights_only`` says (a state dict needs nothing more). ``progress`` has nothing to show,
    and ``check_hash`` checks nothing: the hash in a URL's file name (``resnet18-f37072fd``) is
    the SHA-256 prefix of the ``.pth`` file, not of its safetensors conversion. A file that
    glassnet wrote carries its own checksum, which loading verifies.

    Raises ``FileNotFoundError`` naming the path to create and the PyTorch line that converts
    the ``.pth`` when the file is missing; ``CheckpointError`` (a ``RuntimeError``) when it is
    damaged or is a PyTorch pickle.
    """
    path = weights_path(url, model_dir, file_name)
    if not os.path.isfile(path):
        raise FileNotFoundError(_missing(url, path, model_dir))
    return load(path, map_location=map_location)
