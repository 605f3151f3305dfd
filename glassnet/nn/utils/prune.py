"""Pruning: zeroing chosen weights through a mask (``torch.nn.utils.prune``).

Pruning a parameter ``name`` of a module reparametrises it as ``orig * mask``:

* the parameter moves to ``name + '_orig'`` (still a Parameter, still what the optimiser
  trains);
* the 0/1 mask is a buffer ``name + '_mask'`` (saved in the ``state_dict``);
* ``module.<name>`` becomes a plain attribute, ``orig * mask``, recomputed before every forward
  by a forward pre-hook: the pruning method itself. Gradients reach ``orig`` through the
  product, so pruned entries get a zero gradient and stay pruned however ``orig`` is trained.

Pruning the same parameter again replaces the hook by a :class:`PruningContainer` holding the
history; each new method acts only on what is still unpruned (the entries whose mask is 1, or,
for structured methods, the channels not yet all zero) and its mask is multiplied into the old
one. :func:`remove` makes the pruning permanent: ``name`` becomes a Parameter again holding
``orig * mask``, and ``_orig``, ``_mask`` and the hook go.

``amount`` is an ``int`` (how many entries, or channels, to prune) or a ``float`` in [0, 1]
(the fraction, rounded to the nearest count). The methods: :class:`Identity`,
:class:`RandomUnstructured`, :class:`L1Unstructured` (smallest magnitudes),
:class:`RandomStructured`, :class:`LnStructured` (whole channels along ``dim`` with the smallest
L\\ ``n`` norm) and :class:`CustomFromMask`; :func:`global_unstructured` ranks the entries of
several parameters together. A new method subclasses :class:`BasePruningMethod`, sets
``PRUNING_TYPE`` ('unstructured', 'structured' with a ``dim`` attribute, or 'global') and
writes ``compute_mask``.

The course material's "optimal brain damage" idea in its simplest form: small weights matter
little, so a network keeps most of its accuracy with many of them set to zero.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from glassnet.autograd import no_grad
from glassnet.functions import ones_like, rand, rand_like, zeros_like
from glassnet.nn.utils.convert_parameters import parameters_to_vector

__all__ = ["BasePruningMethod", "CustomFromMask", "Identity", "L1Unstructured",
           "LnStructured", "PruningContainer", "RandomStructured", "RandomUnstructured",
           "custom_from_mask", "global_unstructured", "identity", "is_pruned",
           "l1_unstructured", "ln_structured", "random_structured", "random_unstructured",
           "remove"]


class BasePruningMethod(ABC):
    """A way of choosing a mask; an instance, once applied, is the forward pre-hook that
    recomputes ``module.<name> = <name>_orig * <name>_mask``.

    Subclasses define ``PRUNING_TYPE`` and :meth:`compute_mask`.
    """

    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for ``t`` (the importance scores), respecting ``default_mask`` (the mask
        of earlier pruning, ones if none): a tensor of ``t``'s shape."""

    def apply_mask(self, module):
        """``<name>_orig * <name>_mask``: the pruned tensor (differentiable in ``_orig``)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, on top of any earlier pruning
        of it; the mask is computed from ``importance_scores`` (the parameter if None).
        Returns the hook now on the module (a :class:`PruningContainer` if pruned before)."""
        method = _composite_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(
                    f"importance_scores should have the same shape as parameter {name} of "
                    f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        first = not isinstance(method, PruningContainer)
        if first:
            # name -> name_orig; name itself comes back below as orig * mask
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            with no_grad():
                mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:
                module.__dict__.pop(name, None)
                module._buffers.pop(name + "_mask", None)
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask computed from ``importance_scores`` (``t`` if None) on top of
        ``default_mask`` (ones if None)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError(
                    f"importance_scores should have the same shape as tensor t, got "
                    f"{importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning permanent: ``module.<name>`` becomes the Parameter ``_orig`` holding
        ``orig * mask``; ``_orig`` and ``_mask`` are deleted (the hook is :func:`remove`'s)."""
        if self._tensor_name is None:
            raise AssertionError(
                f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        module.__dict__.pop(self._tensor_name, None)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.detach()
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _composite_method(cls, module, name, *args, **kwargs):
    """The hook that prunes ``module.<name>`` after this call: a new ``cls(*args, **kwargs)``,
    or it appended to the container of the earlier pruning (whose hook is taken off)."""
    found = [(k, hook) for k, hook in module._forward_pre_hooks.items()
             if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(found) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of "
                             f"module {module}. Use a PruningContainer.")
    for k, _ in found:
        del module._forward_pre_hooks[k]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if not found:
        return method
    old = found[0][1]
    if not isinstance(old, PruningContainer):
        old = PruningContainer(old)
    old.add_pruning_method(method)
    return old


class PruningContainer(BasePruningMethod):
    """The pruning history of one tensor, for iterative pruning: the last method added computes
    the new mask on what the earlier ones left (see :meth:`compute_mask`)."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if args:
            self._tensor_name = args[0]._tensor_name
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append ``method`` (which must act on the same tensor) to the history."""
        if method is not None and not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """``default_mask`` with the latest method's mask written into its still-active part:
        the entries equal to 1 ('unstructured'), the channels along the method's ``dim`` not yet
        all zero ('structured'), or everything ('global', which multiplies its own mask in)."""
        method = self._pruning_methods[-1]
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            slc = default_mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have '
                                     "the attribute `dim` defined.")
            n_dims = t.dim()
            dim = method.dim + n_dims if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            keep_channel = default_mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
            slc = tuple(keep_channel if d == dim else slice(None) for d in range(n_dims))
        elif kind == "global":
            slc = (slice(None),) * t.dim()
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        new_mask = default_mask.to(dtype=t.dtype)
        partial = method.compute_mask(t[slc], default_mask=default_mask[slc])
        new_mask[slc] = partial.to(dtype=new_mask.dtype)
        return new_mask


class Identity(BasePruningMethod):
    """Prunes nothing: the reparametrisation with a mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes ``amount`` of the (still unpruned) entries, chosen uniformly at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _count_to_prune(self.amount, t.nelement())
        if k == 0:
            return default_mask.clone()
        # the k largest of independent uniforms: a uniformly random k-subset
        return _zero_entries(default_mask, rand_like(t).reshape(-1).topk(k).indices)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes ``amount`` of the (still unpruned) entries with the smallest absolute value."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _count_to_prune(self.amount, t.nelement())
        if k == 0:
            return default_mask.clone()
        return _zero_entries(default_mask, t.abs().reshape(-1).topk(k, largest=False).indices)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes ``amount`` of the (still unpruned) channels along ``dim``, chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        channels = t.shape[self.dim]
        k = _count_to_prune(self.amount, channels)
        if k == 0:
            return default_mask
        prob = rand(channels, device=t.device)
        keep = prob > prob.kthvalue(k).values
        return _channel_mask(t, self.dim, keep) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes ``amount`` of the (still unpruned) channels along ``dim`` with the smallest
    L\\ ``n`` norm (``n`` as ``p`` of :func:`glassnet.norm`: 1, 2, ``inf``, ``-inf``, 'fro',
    ...), the norm taken over all the other dimensions."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        channels = t.shape[self.dim]
        k = _count_to_prune(self.amount, channels)
        if k == 0:
            return default_mask
        dim = self.dim % t.dim()
        norm = t.norm(p=self.n, dim=[d for d in range(t.dim()) if d != dim])
        keep = norm.topk(channels - k, largest=True).indices
        return _channel_mask(t, dim, keep) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes by a given 0/1 ``mask`` (of the parameter's shape), multiplied into any earlier
    mask."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match "
                                 f"self.mask shape {self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def _zero_entries(mask, flat_indices):
    """A copy of ``mask`` with the entries at ``flat_indices`` (into its flattened form) zeroed."""
    flat = mask.reshape(-1).clone()
    flat[flat_indices] = 0
    return flat.view_as(mask)


def _channel_mask(t, dim, keep):
    """Zeros of ``t``'s shape with ones in the channels ``keep`` (indices or booleans) along
    ``dim``."""
    mask = zeros_like(t)
    mask[tuple(keep if d == dim else slice(None) for d in range(t.dim()))] = 1
    return mask


def identity(module, name):
    """Reparametrise ``module.<name>`` as pruned with a mask of ones (nothing pruned).
    Returns ``module``."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (int: count, float: fraction) of the still unpruned entries of
    ``module.<name>``, chosen at random. Returns ``module``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune ``amount`` of the still unpruned entries of ``module.<name>`` with the smallest
    magnitude (of ``importance_scores``, if given, instead of the parameter). Returns
    ``module``.

    Example: ``l1_unstructured(nn.Linear(2, 3), 'weight', amount=0.2).state_dict().keys()``
    is ``['bias', 'weight_orig', 'weight_mask']``.
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` of the still unpruned channels of ``module.<name>`` along ``dim``,
    chosen at random. Returns ``module``."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune ``amount`` of the still unpruned channels of ``module.<name>`` along ``dim`` with
    the smallest L\\ ``n`` norm. ``dim=0`` of a convolution's weight removes whole filters
    (output channels). Returns ``module``."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the ``(module, name)`` pairs of ``parameters`` together: ``pruning_method`` (an
    'unstructured' class such as :class:`L1Unstructured`, built with ``kwargs``, e.g.
    ``amount=0.2``) ranks all their still unpruned entries as one vector, so layers lose
    different fractions. ``importance_scores`` maps ``(module, name)`` to a tensor used in
    place of the parameter. Each parameter ends pruned by :func:`custom_from_mask`.
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container = PruningContainer(method)
    with no_grad():
        scores = parameters_to_vector([importance_scores.get((m, n), getattr(m, n))
                                       for m, n in parameters])
        # the masks of parameters already pruned, ones for the others
        default_mask = parameters_to_vector([_mask_or_ones(m, n) for m, n in parameters])
        final_mask = container.compute_mask(scores, default_mask)
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        size = param.numel()
        custom_from_mask(module, name, mask=final_mask[pointer:pointer + size].view_as(param))
        pointer += size


def _mask_or_ones(module, name):
    mask = getattr(module, name + "_mask", None)
    return ones_like(getattr(module, name)) if mask is None else mask


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` with the given 0/1 ``mask``. Returns ``module``."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent: ``name`` becomes a Parameter holding the
    pruned values; ``name_orig``, ``name_mask`` and the hook are removed. Returns ``module``."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module):
    """Whether ``module`` or any submodule carries a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())


def _validate_pruning_amount_init(amount):
    """``amount`` is a non-negative int or a float in [0, 1] (checked before the tensor is
    known)."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (amount < 0) if isinstance(amount, numbers.Integral) else not 0.0 <= float(amount) <= 1.0:
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _count_to_prune(amount, size):
    """How many of ``size`` entries (or channels) ``amount`` means: itself if an int, else
    ``round(amount * size)`` (Python's round: halves to even); never more than ``size``."""
    k = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if k > size:
        raise ValueError(f"amount={k} should be smaller than the number of parameters to "
                         f"prune={size}")
    return k


def _validate_structured_pruning(t):
    if t.dim() <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {t.shape} with {t.dim()} dims")


def _validate_pruning_dim(t, dim):
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")
