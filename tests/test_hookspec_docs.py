"""Meta-tests: every hook in ``exporter.hookspec`` is documented in ``docs/plugins.md`` (with
its docstring, verbatim) and exercised by at least one test; the guide's example plugin is the
tested file.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from exporter import hookspec

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins.md"
TESTS = Path(__file__).resolve().parent
EXAMPLE = TESTS / "plugins" / "plaintext_format.py"


def hookspecs() -> list[str]:
    """Names of all hook specifications (functions carrying pluggy's spec marker)."""
    return sorted(name for name, obj in vars(hookspec).items()
                  if inspect.isfunction(obj) and hasattr(obj, f"{hookspec.PROJECT}_spec"))


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def section(name: str) -> str:
    """The guide's text from the hook's heading to the next heading."""
    text = guide()
    match = re.search(rf"^### `{re.escape(name)}\((.*?)\)`\n(.*?)(?=^#|\Z)", text, re.M | re.S)
    assert match, f"docs/plugins.md has no '### `{name}(...)`' section"
    return match.group(0)


def test_hookspecs_are_found():
    assert hookspecs() == sorted(hookspec.REGISTRATION_HOOKS), "every hookspec must be a registration hook"


@pytest.mark.parametrize("name", hookspecs())
def test_hook_is_documented_with_its_docstring(name):
    fn = getattr(hookspec, name)
    text = section(name)
    params = ", ".join(inspect.signature(fn).parameters)
    assert text.startswith(f"### `{name}({params})`"), "the heading must show the hook's arguments"
    doc = inspect.getdoc(fn)
    assert doc and len(doc) > 80, f"{name} needs a real docstring"
    block = re.search(r"```text\n(.*?)\n```", text, re.S)
    assert block, f"the {name} section must quote the docstring in a ```text block"
    assert block.group(1) == doc, f"docs/plugins.md is out of date for {name}: copy its docstring"


def test_guide_documents_no_hook_that_does_not_exist():
    documented = set(re.findall(r"^### `(exporter_\w+)\(", guide(), re.M))
    assert documented == set(hookspecs())


def test_hooks_are_documented_in_calling_order():
    positions = [guide().index(f"### `{name}(") for name in hookspec.REGISTRATION_HOOKS]
    assert positions == sorted(positions)


def _test_functions_mentioning(name: str) -> list[str]:
    """Test functions (outside this file) whose own source, or a fixture plugin they load, uses ``name``."""
    plugin_modules = {p.stem for p in (TESTS / "plugins").glob("*.py") if name in p.read_text(encoding="utf-8")}
    found = []
    for path in sorted(TESTS.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                body = ast.get_source_segment(source, node) or ""
                if name in body or any(f'"{m}"' in body for m in plugin_modules):
                    found.append(f"{path.name}::{node.name}")
    return found


@pytest.mark.parametrize("name", hookspecs())
def test_every_hook_has_a_test(name):
    assert _test_functions_mentioning(name), f"no test exercises {name}"


def test_guide_example_is_the_tested_plugin():
    blocks = re.findall(r"```python\n(.*?)```", guide(), re.S)
    assert EXAMPLE.read_text(encoding="utf-8") in blocks, \
        "the first example of docs/plugins.md must be tests/plugins/plaintext_format.py, verbatim"


def test_guide_names_every_fixture_fault():
    text = guide()
    for words in ("fails on import", "argument the hook does not have", "name is no hook",
                  "raises (or calls `sys.exit`) while registering",
                  "registers a name that is taken", "raises while rendering", "hangs while rendering",
                  "writes outside its output", "EXPORTER_PLUGINS", "EXPORTER_DISABLE_PLUGINS",
                  "exporter plugins --json", "material=True", "check_format", "exporter_format_check"):
        assert words in text, words
