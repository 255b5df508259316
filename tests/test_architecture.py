"""Who may import whom in ``src/exporter`` (see docs/architecture.md), read from the source.

Every ``import`` and ``from ... import`` of an ``exporter`` module counts, at module level or
inside a function (a lazy import is still a dependency); only imports under
``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "exporter"

#: What a format family may use besides its own package: the public API and shared helpers.
FORMAT_MAY_IMPORT = {"exporter", "exporter.model", "exporter.registry", "exporter.errors", "exporter.view",
                     "exporter.hookspec", "exporter.assets", "exporter.csl", "exporter.textnorm"}
#: What a front end (command line, HTTP service) may use: the engine's public API, not its parts.
#: The annotation store (the package, not its parts) is a backend both front ends write to.
FRONT_END_MAY_IMPORT = {"exporter", "exporter.engine", "exporter.errors", "exporter.model", "exporter.plugins",
                        "exporter.registry", "exporter.view", "exporter.hookspec", "exporter.store"}
FRONT_ENDS = ("exporter.cli", "exporter.service", "exporter.__main__")  # __main__: `python -m exporter`


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The exporter modules ``name`` imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    path, package = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped = {id(node) for stmt in ast.walk(tree)
               if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)
               for node in ast.walk(stmt)}
    here = name if package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "exporter")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[:len(here.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "exporter":
                continue
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in MODULES else module)
    return {m for m in found if m in MODULES} - {name}


GRAPH = {name: _imports(name) for name in MODULES}


def _family(name: str) -> str | None:
    """``exporter.formats.pdf`` for any module of the pdf package (None outside formats)."""
    parts = name.split(".")
    return ".".join(parts[:3]) if len(parts) > 2 and parts[1] == "formats" else None


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_graph_is_read():
    assert len(MODULES) > 40
    assert "exporter.formats.pdf.speedups.tuning" in GRAPH["exporter.formats.pdf"]
    assert "exporter.model" in GRAPH["exporter.view"]
    assert GRAPH["exporter.formats.references.ris"] >= {"exporter.csl", "exporter.formats.references.common"}


def test_no_import_cycles():
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in sorted(GRAPH[name]):
            if state.get(other) == 1:
                cycles.append(path[path.index(other):] + [other] if other in path else [name, other])
            elif other not in state:
                visit(other, path + [other])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_core_imports_no_format_and_no_front_end():
    wrong = sorted((name, other) for name, imports in GRAPH.items() for other in imports
                   if _family(name) is None and not name.startswith(FRONT_ENDS)
                   and (_family(other) is not None or other.startswith(FRONT_ENDS)))
    assert not wrong, wrong


def test_a_format_imports_only_its_own_package_and_the_public_api():
    wrong = sorted((name, other) for name, imports in GRAPH.items() if _family(name)
                   for other in imports
                   if not _inside(other, _family(name)) and other not in FORMAT_MAY_IMPORT)
    assert not wrong, wrong


def test_front_ends_use_only_the_engine_api():
    """The command line and the HTTP service use the engine's API (``exporter serve`` starts the
    service, so the command line may import it; ``python -m exporter`` is the command line)."""
    def allowed(name: str, other: str) -> bool:
        own = ".".join(name.split(".")[:2])
        return (other in FRONT_END_MAY_IMPORT or _inside(other, own)
                or (own == "exporter.cli" and _inside(other, "exporter.service"))
                or (name == "exporter.__main__" and other == "exporter.cli"))

    wrong = sorted((name, other) for name, imports in GRAPH.items() if name.startswith(FRONT_ENDS)
                   for other in imports if not allowed(name, other))
    assert not wrong, wrong


@pytest.mark.parametrize("command", ["formats", "plugins", "styles"])
def test_listing_commands_import_no_parser_or_renderer(command):
    code = (f"import sys; from exporter.cli import main; main([{command!r}]);"
            "print('HEAVY', [m for m in ('lxml', 'markupsafe', 'jinja2', 'weasyprint', 'docx', 'citeproc')"
            " if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in proc.stdout, proc.stdout[-500:] + proc.stderr[-2000:]
