"""``glassnet.version`` (``torch.version``'s names): the package version, and ``cuda``/``hip``
None, as for a PyTorch build without them: glassnet reaches GPUs through CuPy instead."""

__version__ = "0.1.0"
cuda = None
hip = None
git_version = None
debug = False

__all__ = ["__version__", "cuda", "debug", "git_version", "hip"]
