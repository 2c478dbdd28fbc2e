"""The shape of the house, checked on the source (see ../shared/GUIDE.md, "The shape of the
house"): imports point one way, the store owns the SQL, errors come from the errors module.

Imports are read with :mod:`ast` from every ``import`` node of every module, **including
imports written inside functions** and under ``if TYPE_CHECKING:``: an import in a function
body is still an arrow.
"""

from __future__ import annotations

import ast
import builtins
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "uppks_qual"


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _targets(module: str, node: ast.Import | ast.ImportFrom, is_package: bool) -> Iterator[str]:
    """The package modules an import node names (a name imported from a package that is a
    submodule counts as that submodule)."""
    if isinstance(node, ast.Import):
        yield from (a.name for a in node.names if a.name.split(".")[0] == "uppks_qual")
        return
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    elif (node.module or "").split(".")[0] == "uppks_qual":
        target = str(node.module)
    else:
        return
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        yield sub if sub in modules() else target


@cache
def imports() -> dict[str, frozenset[str]]:
    """Module -> the package modules it imports anywhere in its source."""
    graph = {}
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = {t for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
                 for t in _targets(module, node, path.name == "__init__.py")}
        graph[module] = frozenset(found - {module})
    return graph


def _cycle() -> list[str] | None:
    graph, state, stack = imports(), {}, []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_walker_sees_imports_inside_functions() -> None:
    # the architecture tests must not pass because they miss arrows: the command line imports
    # the main job inside its command, and the walker sees that arrow
    assert "uppks_qual.pipeline" in imports()["uppks_qual.cli"]
    assert "uppks_qual.interop.refi_read" in imports()["uppks_qual.codebook"]  # in a function


def _reaches(module: str, owners: tuple[str, ...]) -> list[str]:
    """The imports of ``module`` that are one of ``owners`` or inside one (an owner ending
    in "." is a prefix)."""
    def inside(t: str, owner: str) -> bool:
        return t.startswith(owner) if owner.endswith(".") else t == owner or \
            t.startswith(owner + ".")
    return sorted(t for t in imports()[module] if any(inside(t, o) for o in owners))


BOTTOM = ("uppks_qual.errors", "uppks_qual.params", "uppks_qual.textio", "uppks_qual._version",
          "uppks_qual.limits")
#: Module -> what it must never import (GUIDE: arrows point down the flow).
FORBIDDEN = {
    # the bottom knows no format and no layer above it
    "uppks_qual.errors": ("uppks_qual.",),
    "uppks_qual.params": ("uppks_qual.records", "uppks_qual.corpus", "uppks_qual.store"),
    "uppks_qual.textio": ("uppks_qual.records", "uppks_qual.corpus", "uppks_qual.interop"),
    "uppks_qual.nlp": ("uppks_qual.",),  # but its own tokenizer (below)
    "uppks_qual.tokenizer": ("uppks_qual.",),
    "uppks_qual.records": ("uppks_qual.interop", "uppks_qual.corpus", "uppks_qual.codebook",
                           "uppks_qual.store", "uppks_qual.project", "uppks_qual.autocode"),
    # reading a codebook or a corpus never compiles matchers; codebook.py may read the REFI
    # codebook format through interop.refi_read (a format reader, as corpus.py reads .docx)
    "uppks_qual.codebook": ("uppks_qual.autocode", "uppks_qual.nlp", "uppks_qual.store",
                            "uppks_qual.project", "uppks_qual.interop.refi",
                            "uppks_qual.interop.tables"),
    "uppks_qual.corpus": ("uppks_qual.autocode", "uppks_qual.store", "uppks_qual.project",
                          "uppks_qual.interop"),
    "uppks_qual.autocode": ("uppks_qual.store", "uppks_qual.project", "uppks_qual.interop"),
    "uppks_qual.learn": ("uppks_qual.store", "uppks_qual.project", "uppks_qual.interop"),
    # the store never imports analysis, charts or the facade
    "uppks_qual.store": ("uppks_qual.analysis", "uppks_qual.charts", "uppks_qual.project",
                         "uppks_qual.interop", "uppks_qual.autocode", "uppks_qual.report"),
    # interop takes and returns records and frames; Project calls it, never the reverse
    "uppks_qual.interop": ("uppks_qual.project", "uppks_qual.store", "uppks_qual.report",
                           "uppks_qual.cli"),
    "uppks_qual.project": ("uppks_qual.report", "uppks_qual.cli", "uppks_qual.charts"),
    "uppks_qual.display": ("uppks_qual.store", "uppks_qual.project", "uppks_qual.cli",
                           "uppks_qual.interop", "uppks_qual.report"),
    "uppks_qual.manifest": ("uppks_qual.corpus", "uppks_qual.records", "uppks_qual.store",
                            "uppks_qual.project"),
    "uppks_qual.report": ("uppks_qual.cli", "uppks_qual.store"),
    # spreading work over processes and coding on Dask: below the facade, never the database
    # (only the calling process writes a project)
    "uppks_qual.parallel": ("uppks_qual.store", "uppks_qual.project", "uppks_qual.cli",
                            "uppks_qual.report", "uppks_qual.interop"),
    "uppks_qual.scale": ("uppks_qual.project", "uppks_qual.cli", "uppks_qual.report",
                         "uppks_qual.charts", "uppks_qual.interop"),
}
#: Analysis, agreement and charts take DataFrames and never import the store or the facade.
for _module in ("uppks_qual.analysis", "uppks_qual.agreement", "uppks_qual.text_agreement",
                "uppks_qual.charts", "uppks_qual.schema", "uppks_qual.evaluation"):
    FORBIDDEN[_module] = ("uppks_qual.store", "uppks_qual.project", "uppks_qual.report",
                          "uppks_qual.cli", "uppks_qual.interop", "uppks_qual.corpus",
                          "uppks_qual.autocode")


@pytest.mark.parametrize("owner", sorted(FORBIDDEN))
def test_arrows_point_down(owner: str) -> None:
    owned = [m for m in modules() if m == owner or m.startswith(owner + ".")]
    assert owned, owner
    for module in owned:
        bad = _reaches(module, FORBIDDEN[owner])
        if owner == "uppks_qual.errors":
            bad = [b for b in bad if b != "uppks_qual.errors"]
        if owner == "uppks_qual.nlp":  # the pipeline's tokenizer, which imports nothing ours
            bad = [b for b in bad if b != "uppks_qual.tokenizer"]
        assert not bad, f"{module} imports {bad}"


def test_nothing_imports_the_command_line_or_the_package_root() -> None:
    for module, targets in imports().items():
        if module != "uppks_qual":
            assert "uppks_qual.cli" not in targets, module
            assert "uppks_qual" not in targets, f"{module} imports the package root"


def test_the_bottom_imports_only_the_bottom() -> None:
    for module in (*BOTTOM, "uppks_qual.records"):
        assert set(imports()[module]) <= set(BOTTOM), module


# --------------------------------------------------------------------------- the store owns SQL
SQL = re.compile(r"\.execute\(|exec_driver_sql|\bsa\.text\(|\bsqlalchemy\b|\bsqlite3\b|"
                 r"\b(SELECT|INSERT|UPDATE|DELETE)\s+(\*|INTO|FROM|\w+\s+SET)")


def test_no_sql_outside_the_store() -> None:
    offenders = []
    for module, path in modules().items():
        if module == "uppks_qual.store" or module.startswith("uppks_qual.store."):
            continue  # the store package: its engines, tables and migrations
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# --------------------------------------------------------------------------- one errors module
BUILTIN_EXCEPTIONS = {name for name, obj in vars(builtins).items()
                      if isinstance(obj, type) and issubclass(obj, BaseException)}
#: Raised on purpose, not a user's error: Ctrl-C passes through.
ALLOWED = {"KeyboardInterrupt"}


def _raised_name(node: ast.Raise) -> str | None:
    exc = node.exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return exc.id if isinstance(exc, ast.Name) else None


def _protocol(tree: ast.AST) -> set[int]:
    """Lines of ``raise AttributeError`` inside a module's ``__getattr__`` (Python's protocol
    for a missing attribute)."""
    return {n.lineno for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
            and f.name == "__getattr__" for n in ast.walk(f)
            if isinstance(n, ast.Raise) and _raised_name(n) == "AttributeError"}


def test_every_exception_raised_comes_from_the_errors_module() -> None:
    offenders = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        protocol = _protocol(tree)
        for node in ast.walk(tree):
            name = _raised_name(node) if isinstance(node, ast.Raise) else None
            if name in BUILTIN_EXCEPTIONS and name not in ALLOWED and \
                    node.lineno not in protocol:
                offenders.append(f"{module}:{node.lineno}: raise {name}")
    assert not offenders, "\n".join(offenders)


def test_the_walkers_would_see_an_offence(tmp_path: Path) -> None:
    """The checks above can fail: on a planted module they find the raise, the SQL and the
    arrow."""
    source = ("import sqlite3\ndef f():\n    from uppks_qual.project import Project\n"
              "    raise ValueError('x')\n")
    tree = ast.parse(source)
    raises = [_raised_name(n) for n in ast.walk(tree) if isinstance(n, ast.Raise)]
    assert raises == ["ValueError"] and "ValueError" in BUILTIN_EXCEPTIONS
    assert SQL.search(source.splitlines()[0])
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert list(_targets("uppks_qual.analysis.x", node, False)) == ["uppks_qual.project"]


# --------------------------------------------------------------------------- dependencies
def _third_party() -> set[str]:
    names = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "uppks_qual"}


def test_every_imported_package_is_a_declared_runtime_dependency() -> None:
    declared = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    runtime = {re.split(r"[<>=!~\[; ]", d)[0].lower().replace("_", "-")
               for d in declared["dependencies"]}
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for name in sorted(_third_party()):
        dists = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
        if not dists & runtime:
            missing[name] = sorted(dists)
    assert not missing, f"imported but not in [project] dependencies: {missing}"
