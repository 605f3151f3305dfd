"""In-place Tensor methods (``x.exp_()``, ``x.scatter_(...)``, ``x.transpose_(0, 1)``, ...).

Each ``name_`` computes the out-of-place ``name`` and then puts the result in ``self``:

* outside autograd (no gradient needed anywhere), the values are copied into ``self``'s array,
  so views of the same memory see the change, as in PyTorch;
* when ``self`` or an argument takes part in autograd, ``self`` takes the result's place in the
  graph (its array and ``grad_fn``), so later ops differentiate through the update. A leaf
  that requires grad cannot be modified in place (PyTorch's rule).

The result must fit ``self``'s dtype: a float result cannot go into an integer tensor.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.variable import Variable


_ORDER = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
# The in-place ops that change a tensor's shape; every other one keeps it (an update that
# broadcasts self to a larger shape is an error, as in PyTorch).
_RESHAPING = {"t_", "transpose_", "squeeze_", "unsqueeze_", "swapaxes_", "swapdims_"}


def inplace(self, name, compute, args=()):
    """Run ``compute(self)`` and store the result in ``self`` (see the module docstring)."""
    tracked = is_grad_enabled() and (
        self.requires_grad or any(isinstance(a, Variable) and a.requires_grad for a in args))
    if tracked and self.requires_grad and self.grad_fn is None:
        raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an "
                           "in-place operation; wrap the update in `with glassnet.no_grad():`")
    # The update counts before it is computed: a node recorded by ``compute`` itself reads
    # self's old array (which a tracked update leaves intact), any earlier node is stale.
    self._version += 1
    # Untracked, nothing in the computation requires grad, so no graph is recorded.
    new = compute(self if tracked else Variable._make(self._data, False))
    if new.shape != self._data.shape and name not in _RESHAPING:
        raise RuntimeError(f"{name}: output with shape {list(self._data.shape)} doesn't match "
                           f"the broadcast shape {list(new.shape)}")
    if new.dtype != self.dtype:
        if _ORDER[new.dtype.kind] > _ORDER[self.dtype.kind]:
            raise RuntimeError(f"{name}: result type {new.dtype} can't be cast to the desired "
                               f"output type {self.dtype}")
        new = new.to(self.dtype)
    if tracked:
        self._data, self.grad_fn, self._output_nr = new._data, new.grad_fn, new._output_nr
        self.requires_grad = new.requires_grad
        return self
    data = self._data
    if new.shape == data.shape and getattr(data, "flags", None) is not None \
            and data.flags.writeable:
        if new._data is not data:
            backend.array_module(data).copyto(data, new._data)
    else:  # a shape change (transpose_, squeeze_, ...) or a read-only array: rebind
        self._data = new._data
    return self


def _method(name):
    def f(self, *args, **kwargs):
        return inplace(self, name + "_", lambda t: getattr(t, name)(*args, **kwargs),
                       args + tuple(kwargs.values()))

    f.__name__ = name + "_"
    f.__doc__ = f"In-place ``{name}``: see ``Tensor.{name}``."
    return f


# The out-of-place methods whose in-place twin is ``name_``.
_NAMES = ["abs", "absolute", "acos", "acosh", "asin", "asinh", "atan", "atanh", "arccos",
          "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "atan2", "arctan2", "ceil",
          "clamp_min", "clamp_max", "clip", "cos", "cosh", "cumsum", "cumprod", "deg2rad",
          "rad2deg", "digamma", "erf", "erfc", "erfinv", "exp", "exp2", "expm1", "fix", "floor",
          "floor_divide", "fmod", "frac", "hypot", "lerp", "lgamma", "log", "log10", "log1p",
          "log2", "logit", "logical_and", "logical_or", "logical_xor", "logical_not",
          "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
          "bitwise_right_shift", "neg", "negative", "nan_to_num", "reciprocal", "relu",
          "remainder", "round", "rsqrt", "sigmoid", "sign", "sgn", "sin", "sinc", "sinh", "sqrt",
          "square", "tan", "tanh", "trunc", "xlogy", "addcmul", "addcdiv", "multiply", "divide",
          "subtract", "true_divide", "copysign", "heaviside", "gcd", "lcm", "ldexp", "nextafter",
          "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal",
          "not_equal", "index_fill", "index_copy", "index_add", "scatter", "scatter_add",
          "scatter_reduce", "index_reduce", "masked_scatter", "put", "tril", "triu", "addmm",
          "addmv", "addbmm", "baddbmm", "addr", "float_power", "t", "transpose", "squeeze", "unsqueeze", "swapaxes",
          "swapdims", "polygamma", "index_put", "renorm"]


class InplaceMixin:
    """``name_`` for every out-of-place ``name`` above, plus the random fills."""

    __slots__ = ()

    def random_(self, from_=0, to=None, *, generator=None):
        """Integers drawn uniformly from [from_, to) (to: the dtype's largest exact integer)."""
        self._data_inplace("random_")
        if to is None:
            from_, to = 0, from_ if from_ else (2 ** 24 if self.dtype == np.float32 else 2 ** 53
                                                if self.dtype.kind == "f" else
                                                int(np.iinfo(self.dtype).max) + 1 if
                                                self.dtype.kind in "iu" else 2)
        r = backend.rng(generator).integers(from_, to, self.shape)
        self._data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def exponential_(self, lambd=1.0, *, generator=None):
        self._data_inplace("exponential_")
        r = backend.rng(generator).exponential(1.0 / lambd, self.shape)
        self._data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def geometric_(self, p, *, generator=None):
        self._data_inplace("geometric_")
        r = backend.rng(generator).geometric(p, self.shape)
        self._data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        self._data_inplace("log_normal_")
        r = backend.rng(generator).lognormal(mean, std, self.shape)
        self._data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        self._data_inplace("cauchy_")
        r = median + sigma * backend.rng(generator).standard_cauchy(self.shape)
        self._data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        self._data_inplace("bernoulli_")
        pa = backend.to_numpy(p._data) if isinstance(p, Variable) else p
        r = backend.rng(generator).random(self.shape) < pa
        self._data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def bernoulli(self, p=None, *, generator=None):
        """0/1 draws with probability ``self`` (or ``p``) of a 1."""
        prob = backend.to_numpy(self._data) if p is None else p
        r = backend.rng(generator).random(self.shape) < prob
        return Variable._make(backend.to_device(r.astype(self.dtype), self.device), False)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """``num_samples`` category indices per row, drawn with the (unnormalised) probabilities
        of the last dim; without ``replacement`` a category is drawn at most once per row."""
        p = backend.to_numpy(self._data).astype(np.float64)
        g = backend.rng(generator)
        rows = p.reshape(-1, p.shape[-1])
        out = np.stack([g.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum())
                        for r in rows])
        return Variable._make(out.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64), False)


for _n in _NAMES:
    if not hasattr(InplaceMixin, _n + "_"):
        setattr(InplaceMixin, _n + "_", _method(_n))
del _n
