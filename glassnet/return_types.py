"""Named results of ops that return several tensors (``torch.return_types``).

``values, indices = x.max(dim=1)`` unpacks like a tuple, and ``x.max(dim=1).values`` reads a
field by name.
"""

from __future__ import annotations


def _structseq(name, fields):
    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], (tuple, list)) \
                and len(args[0]) == len(fields):
            args = tuple(args[0])
        vals = list(args) + [kwargs.pop(f) for f in fields[len(args):]]
        if kwargs or len(vals) != len(fields):
            raise TypeError(f"{name}: expected the fields {fields}")
        return tuple.__new__(cls, vals)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"glassnet.return_types.{name}(\n{body})"

    ns = {"__new__": __new__, "__repr__": __repr__, "__slots__": (), "_fields": fields,
          "__doc__": f"({', '.join(fields)}) returned by {name}."}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i))
    return type(name, (tuple,), ns)


_VI = ("values", "indices")
max = _structseq("max", _VI)
min = _structseq("min", _VI)
sort = _structseq("sort", _VI)
topk = _structseq("topk", _VI)
kthvalue = _structseq("kthvalue", _VI)
median = _structseq("median", _VI)
nanmedian = _structseq("nanmedian", _VI)
mode = _structseq("mode", _VI)
cummax = _structseq("cummax", _VI)
cummin = _structseq("cummin", _VI)
aminmax = _structseq("aminmax", ("min", "max"))
slogdet = _structseq("slogdet", ("sign", "logabsdet"))
qr = _structseq("qr", ("Q", "R"))
eigh = _structseq("eigh", ("eigenvalues", "eigenvectors"))
eig = _structseq("eig", ("eigenvalues", "eigenvectors"))
svd = _structseq("svd", ("U", "S", "Vh"))
lstsq = _structseq("lstsq", ("solution", "residuals", "rank", "singular_values"))
histogram = _structseq("histogram", ("hist", "bin_edges"))
histogramdd = _structseq("histogramdd", ("hist", "bin_edges"))
triangular_solve = _structseq("triangular_solve", ("solution", "cloned_coefficient"))
frexp = _structseq("frexp", ("mantissa", "exponent"))
lu_unpack = _structseq("lu_unpack", ("P", "L", "U"))
linalg_lu = _structseq("linalg_lu", ("P", "L", "U"))
linalg_lu_factor = _structseq("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _structseq("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_solve_ex = _structseq("linalg_solve_ex", ("result", "info"))
geqrf = _structseq("geqrf", ("a", "tau"))
linalg_ldl_factor = _structseq("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = _structseq("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
