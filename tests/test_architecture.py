"""The architecture, checked on the source: analyses go through the engine; subpackages keep their privates.

* An analysis module (value, segments, clv, portraits, lifecycle) never aggregates the raw transactions
  itself: it does not read ``<transactions>.data`` (except its column names), does not open DuckDB or the
  shared connection, and does not register frames with the engine. Heavy work is an engine call.
* No module imports an underscore name from another subpackage: what crosses a package boundary is public.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "segkit"
ANALYSES = ("value", "segments", "clv", "portraits", "lifecycle", "crm")
SUBPACKAGES = tuple(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
#: Engine-only entry points an analysis must not call itself.
ENGINE_ONLY_CALLS = {"memtable", "create_table", "register", "raw_sql"}
ENGINE_ONLY_MODULES = {"duckdb", "segkit._backend"}

#: Modules known to break a rule, each owned by work that is replacing the code in question; the test
#: fails as soon as any other module breaks a rule, and tells when an entry here is no longer needed.
PENDING: set[tuple[str, str]] = set()


def _subpackage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "segkit" and parts[1] in SUBPACKAGES else None


def _absolute(node: ast.ImportFrom, here: str) -> str:
    """The absolute module an import refers to, from the importing module's dotted name."""
    if node.level == 0:
        return node.module or ""
    base = here.split(".")[: -node.level]
    return ".".join([*base, *([node.module] if node.module else [])])


def violations(source: str, module: str) -> set[str]:
    """Rule breaks in one module's source; ``module`` is its dotted name (``segkit.lifecycle._churn``)."""
    tree = ast.parse(source)
    own = _subpackage(module)
    analysis = own in ANALYSES
    found: set[str] = set()
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _absolute(node, module)
            other = _subpackage(target)
            if other is not None and other != own:
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.add(f"imports private name {alias.name} from segkit.{other}")
            if analysis and (target in ENGINE_ONLY_MODULES or target.split(".")[0] == "duckdb"):
                found.add(f"imports {target}")
        elif isinstance(node, ast.Import) and analysis:
            for alias in node.names:
                if alias.name in ENGINE_ONLY_MODULES or alias.name.split(".")[0] == "duckdb":
                    found.add(f"imports {alias.name}")
        elif analysis and isinstance(node, ast.Attribute):
            owner = node.value
            on_transactions = (isinstance(owner, ast.Name) and owner.id != "self") or (
                isinstance(owner, ast.Attribute) and owner.attr == "transactions"
            )
            if node.attr == "data" and on_transactions:
                parent = parents.get(node)
                if not (isinstance(parent, ast.Attribute) and parent.attr == "columns"):
                    found.add("reads transactions.data")
            if node.attr in ENGINE_ONLY_CALLS and isinstance(parents.get(node), ast.Call):
                found.add(f"calls .{node.attr}()")
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        dotted = ".".join(["segkit", *rel.with_suffix("").parts])
        out.append((dotted.removesuffix(".__init__") if rel.name == "__init__.py" else dotted, path))
    return out


def _all_violations() -> set[tuple[str, str]]:
    found = set()
    for module, path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        for problem in violations(path.read_text(encoding="utf-8"), module):
            found.add((rel, problem))
    return found


def test_no_module_breaks_the_architecture():
    found = _all_violations()
    new = sorted(found - PENDING)
    assert not new, "Modules breaking the engine / private-name rules:\n" + "\n".join(
        f"  segkit/{path}: {problem}" for path, problem in new
    )


def test_pending_entries_are_still_needed():
    stale = sorted(PENDING - _all_violations())
    if stale:
        pytest.fail("These PENDING entries are fixed; remove them from the list: " + repr(stale))


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("def f(tx):\n    return tx.data.groupby('customer_id')['amount'].sum()", "reads transactions.data"),
        ("def f(tx):\n    return tx.data['order_date'].min()", "reads transactions.data"),
        ("def f(crm):\n    return crm.transactions.data['amount'].sum()", "reads transactions.data"),
        ("import duckdb", "imports duckdb"),
        ("from .._backend import connection", "imports segkit._backend"),
        ("import ibis\nt = ibis.memtable(frame)", "calls .memtable()"),
        ("from ..engine._aggregates import _table", "imports private name _table from segkit.engine"),
        ("from ..io._contract import _STR", "imports private name _STR from segkit.io"),
    ],
)
def test_checker_catches_each_rule(source, problem):
    assert problem in violations(source, "segkit.lifecycle._example")


def test_checker_allows_what_is_allowed():
    allowed = (
        "from ..engine import customer_summary, snapshot\n"
        "from .._errors import data_error\n"
        "from ._status import _check_days\n"
        "def f(tx, frame):\n"
        "    names = tx.data.columns\n"
        "    return frame.groupby('segment').size()\n"
    )
    assert violations(allowed, "segkit.lifecycle._example") == set()
    # The engine itself is where transactions are aggregated.
    assert violations("def f(tx):\n    return tx.data.groupby('c').size()", "segkit.engine._table") == set()
