"""glassnet.version has torch.version's names."""

import torch

import glassnet as gn


def test_version_names():
    assert gn.version.__version__ == gn.__version__
    assert gn.version.cuda is None and gn.version.hip is None
    assert {n for n in ("__version__", "cuda", "hip", "git_version", "debug")
            if hasattr(torch.version, n)} <= set(dir(gn.version))
