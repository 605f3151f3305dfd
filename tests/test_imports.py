"""glassnet's import graph: imports run one way (arrays -> Function -> ops -> Tensor -> functions
-> nn.functional -> nn -> models -> train -> cli), with no cycle, no module loaded by name and no
global filled in from another module after import.

The graph is read from the source (ast), counting imports made inside functions too: an import
that is only deferred still ties the two modules together. ``from package import name`` depends
on the submodule ``package.name`` when there is one, and on ``package/__init__.py`` otherwise. The
one import that does not count is a lazy one inside a package's module-level ``__getattr__``
(``glassnet.autograd.functional``, ``glassnet.nn`` on first use): that is how a namespace hands
out a layer above it without depending on it.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "glassnet"
PKG = ROOT.name


def _modules():
    """{module name: (path, parsed tree)} for every module of the package."""
    mods = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        mods[".".join(parts)] = (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return mods


MODULES = _modules()


def _is_package(name):
    return MODULES[name][0].name == "__init__.py"


def _known(name):
    """The longest module of the package that ``name`` is or lies inside."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _lazy_nodes(tree):
    """The nodes inside a module-level ``def __getattr__`` (lazy submodule loading)."""
    out = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            out.update(id(n) for n in ast.walk(node))
    return out


def _imports(name):
    """Every import in module ``name`` as (target module, line, lazy)."""
    path, tree = MODULES[name]
    lazy = _lazy_nodes(tree) if _is_package(name) else set()
    here = name if _is_package(name) else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = here.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            for a in node.names:
                sub = f"{mod}.{a.name}"
                targets.append(sub if sub in MODULES else mod)
        for t in targets:
            if t == PKG or t.startswith(PKG + "."):
                target = _known(t)
                if target and target != name:
                    out.append((target, node.lineno, id(node) in lazy))
    return out


def _graph():
    return {m: {t for t, _, lazy in _imports(m) if not lazy} for m in MODULES}


def _cycles(edges):
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    index, low, on, stack, groups, counter = {}, {}, set(), [], [], [0]
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    group = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        group.append(w)
                        if w == v:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif nxt not in index:
                index[nxt] = low[nxt] = counter[0]
                counter[0] += 1
                stack.append(nxt)
                on.add(nxt)
                work.append((nxt, iter(sorted(edges[nxt]))))
            elif nxt in on:
                low[v] = min(low[v], index[nxt])
    return groups


def test_the_import_graph_is_read():
    edges = _graph()
    assert len(MODULES) > 100
    assert "glassnet.autograd.function" in edges["glassnet.tensor.tensor"]
    assert "glassnet.autograd.graph_engine" in edges["glassnet.autograd.engine"]
    assert "glassnet.functions" in edges["glassnet.autograd.functional"]


def test_no_import_cycles():
    edges = _graph()
    groups = _cycles(edges)
    lines = []
    for group in groups:
        members = set(group)
        lines.append(f"cycle of {len(group)} modules:")
        lines += [f"  {m} -> {t}" for m in group for t in sorted(edges[m] & members)]
    assert not groups, "\n".join(lines)


# The floor of autograd sits below Tensor: it works on any tensor through Variable.
FLOOR = ["glassnet.autograd.grad_mode", "glassnet.autograd.variable", "glassnet.autograd.function",
         "glassnet.autograd.graph", "glassnet.autograd.graph_engine", "glassnet.autograd.engine",
         "glassnet.autograd.gradcheck", "glassnet.autograd.recompute"]


@pytest.mark.parametrize("name", FLOOR)
def test_the_autograd_floor_imports_nothing_above_it(name):
    allowed = {"glassnet.backend", "glassnet.autograd", *FLOOR}
    above = sorted({t for t, _, _ in _imports(name) if t not in allowed})
    assert not above, f"{name} imports {above}"


def test_tensor_methods_import_nothing_above_tensor():
    below = ("glassnet.backend", "glassnet.return_types", "glassnet.autograd.", "glassnet.ops.",
             "glassnet.tensor.")
    for name in MODULES:
        if not name.startswith("glassnet.tensor.") or name == "glassnet.tensor.dtypes":
            continue
        above = sorted({t for t, _, _ in _imports(name) if not t.startswith(below)
                        and t not in ("glassnet.ops", "glassnet.tensor")})
        assert not above, f"{name} imports {above}"


def test_no_module_loaded_by_name_outside_a_package_getattr():
    """``importlib.import_module`` / ``__import__`` of glassnet's own modules hides an edge from
    the graph; only a package's lazy ``__getattr__`` may do it."""
    found = []
    for name, (path, tree) in MODULES.items():
        lazy = _lazy_nodes(tree) if _is_package(name) else set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in lazy:
                continue
            f = node.func
            called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if called not in ("import_module", "__import__") or not node.args:
                continue
            arg = node.args[0]
            text = ast.unparse(arg)
            relative = len(node.args) > 1 or any(k.arg == "package" for k in node.keywords)
            if PKG in text or relative or text.startswith(("'.", '".', "f'.", 'f".')):
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "\n".join(found)


def _placeholders():
    """{module: names} bound to None at module level and never rebound by the module itself."""
    out = {}
    for name, (_, tree) in MODULES.items():
        nones, rebound = set(), set()
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                is_none = isinstance(node.value, ast.Constant) and node.value.value is None
                (nones if is_none else rebound).update(names)
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                rebound.update(node.names)
        if nones - rebound:
            out[name] = nones - rebound
    return out


def test_no_global_placeholder_is_filled_in_from_another_module():
    """No ``X = None`` at module level that another module then sets (``mod.X = value``): a
    module's globals are its own, and what it needs it imports. Checked on the modules as
    loaded by ``import glassnet`` (whatever the filling code looks like), and in the source for
    ``mod.X = ...`` anywhere in the package."""
    import importlib

    import glassnet  # noqa: F401 - loads the core, which is where a filler would run

    placeholders = _placeholders()
    found = []
    for name, names in placeholders.items():
        mod = importlib.import_module(name)
        found += [f"{name}.{x} is {getattr(mod, x)!r} after import, not None"
                  for x in sorted(names) if getattr(mod, x, None) is not None]
    for name, (path, tree) in MODULES.items():
        aliases = _module_aliases(name, tree)
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
                        mod = aliases.get(n.value.id)
                        if mod and mod != name and n.attr in placeholders.get(mod, ()):
                            found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: sets "
                                         f"{mod}.{n.attr}")
    assert not found, "\n".join(found)


def _module_aliases(name, tree):
    """{local name: module} for the package's modules that ``name`` imports as modules."""
    here = name if _is_package(name) else name.rpartition(".")[0]
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in MODULES:
                    top = a.name.split(".")[0]
                    out[a.asname or top] = a.name if a.asname else top
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = here.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            for a in node.names:
                if f"{mod}.{a.name}" in MODULES:
                    out[a.asname or a.name] = f"{mod}.{a.name}"
    return out
