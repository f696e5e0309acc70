"""The arrows between Omnistore's apps, checked from the source (`make lint`, and tests/retail/test_layers.py).

The contracts are import-linter's, written in pyproject.toml under [tool.importlinter]: a `layers`
contract (DESIGN.md's "never an arrow upward") and `forbidden` contracts; `make lint` runs
`lint-imports` on them. This module reads the same table and checks it with the standard library
(so the test suite sees a broken arrow too), then the rules no import-linter contract type says:
- private stays private: `a.b._c` (a module or a name) is imported only from inside `a.b`, so
  `orders.services._common`, `orders.services._transitions` or `customers.services._common`
  are not reached into from outside their package or module;
- imports sit at the top of a module; one inside a function or class says why in a comment on its
  line or the line above (a cycle it breaks, an optional dependency, a module read only at run time);
- no import cycle: modules do not import each other at their tops, directly or round a loop
  (Python would hand one of them the other half-initialised).

Every import is seen, also those inside functions, as import-linter's graph sees them.

    python -m tests.layers        # prints each broken rule, exits 1 if there is one
"""

from __future__ import annotations

import ast
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # the module imported (the longest prefix that is one of ours), "" for another package's
    path: tuple[str, ...]  # what the statement names: module segments then the imported name
    path_file: Path
    line: int
    nested: bool  # inside a function or a class
    commented: bool  # a comment on the statement's lines or the line above

    def where(self) -> str:
        return f"{self.path_file.relative_to(ROOT)}:{self.line}"


def config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(roots: list[str]) -> dict[str, Path]:
    found = {}
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            found[module_name(path)] = path
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _nested_nodes(tree: ast.Module) -> set[int]:
    nested = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            nested.update(id(child) for child in ast.walk(node) if child is not node)
    return nested


def imports(known: dict[str, Path]) -> list[Import]:
    found = []
    for importer, path in known.items():
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text, filename=str(path))
        nested = _nested_nodes(tree)
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                named = [tuple(alias.name.split(".")) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                named = [(*base.split("."), alias.name) for alias in node.names]
            else:
                continue
            span = lines[max(node.lineno - 2, 0) : node.end_lineno]
            commented = any("#" in line for line in span)
            for segments in named:
                target = next(
                    (".".join(segments[:n]) for n in range(len(segments), 0, -1) if ".".join(segments[:n]) in known),
                    "",  # not one of ours: seen only by the rule on nested imports
                )
                found.append(
                    Import(importer, target, segments, path, node.lineno, id(node) in nested, commented),
                )
    return found


def layer_of(module: str, layers: list[str]) -> int | None:
    for rank, layer in enumerate(layers):
        if any(within(module, sibling.strip()) for sibling in layer.split("|")):
            return rank
    return None


def ignored(imp: Import, contract: dict) -> bool:
    return any(
        within(imp.importer, rule.split("->")[0].strip()) and within(imp.target, rule.split("->")[1].strip())
        for rule in contract.get("ignore_imports", [])
    )


def broken_contracts(found: list[Import], contracts: list[dict]) -> list[str]:
    broken = []
    for contract in contracts:
        for imp in found:
            if not imp.target or ignored(imp, contract):
                continue
            if contract["type"] == "layers":
                layers = contract["layers"]
                low, high = layer_of(imp.importer, layers), layer_of(imp.target, layers)
                if low is not None and high is not None and high < low:
                    broken.append(f"{imp.where()}: {imp.importer} imports {imp.target} — {contract['name']}")
            elif contract["type"] == "forbidden":
                if any(within(imp.importer, s) for s in contract["source_modules"]) and any(
                    within(imp.target, f) for f in contract["forbidden_modules"]
                ):
                    broken.append(f"{imp.where()}: {imp.importer} imports {imp.target} — {contract['name']}")
            else:
                raise ValueError(f"tests.layers does not know contracts of type {contract['type']!r}")
    return broken


def private_reach_ins(found: list[Import]) -> list[str]:
    broken = []
    for imp in found:
        if not imp.target:
            continue
        for n, segment in enumerate(imp.path):
            if segment.startswith("_") and not segment.startswith("__"):
                owner = ".".join(imp.path[:n])
                if not within(imp.importer, owner):
                    broken.append(
                        f"{imp.where()}: {imp.importer} reaches into {'.'.join(imp.path[: n + 1])}, private to {owner}"
                    )
                break
    return broken


def unexplained_nested(found: list[Import], *, skip: tuple[str, ...] = ("migrations",)) -> list[str]:
    seen, broken = set(), []
    for imp in found:
        quiet = not imp.nested or imp.commented or set(skip) & set(imp.importer.split("."))
        if not quiet and imp.where() not in seen:
            seen.add(imp.where())
            broken.append(f"{imp.where()}: import inside a function without a comment saying why")
    return broken


def import_cycles(found: list[Import]) -> list[str]:
    """Modules that import each other at their top, directly or round a loop (Tarjan's components)."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        if imp.target and not imp.nested and imp.target != imp.importer:
            graph.setdefault(imp.importer, set()).add(imp.target)
    order, low, stack, on_stack, loops = {}, {}, [], set(), []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.get(module, ())):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            loop = []
            while not loop or loop[-1] != module:
                loop.append(stack.pop())
                on_stack.discard(loop[-1])
            if len(loop) > 1:
                loops.append(sorted(loop))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return [f"import cycle: {' <-> '.join(loop)} (import one of them inside a function, and say why)" for loop in loops]


def problems() -> list[str]:
    cfg = config()
    known = modules(cfg["root_packages"])
    found = imports(known)
    found_problems = [
        *broken_contracts(found, cfg["contracts"]),
        *private_reach_ins(found),
        *unexplained_nested(found),
        *import_cycles(found),
    ]
    return list(dict.fromkeys(found_problems))  # one line per statement and rule


def main() -> int:
    found = problems()
    for problem in found:
        print(problem)
    contracts = len(config()["contracts"])
    print(
        f"Layers: {contracts} contracts, private modules, imports at the top, no cycle: {len(found) or 'no'} problem(s)"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
