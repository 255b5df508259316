"""The guide's one-file example plugin (``tests/plugins/plaintext_format.py``), the other hooks
(``tests/plugins/hooks_example.py``: a corpus source and a citation style), and the
``exporter.testing`` helper that plugin authors use.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest

from exporter import hookimpl
from exporter.engine import Engine, ExportRequest
from exporter.errors import UnknownNameError
from exporter.plugins import load_plugins
from exporter.registry import Format
from exporter.testing import FormatCheckError, check_format, exporter_format_check  # noqa: F401 -- fixture

PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"
RANGE = "kd1-1918-01-03..kd1-1918-01-08"


@pytest.fixture(autouse=True)
def plugin_path(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))


def load(*modules: tuple[str, str], **kwargs):
    """A plugin manager with the given (entry-point name, module) fixture plugins."""
    return load_plugins(env={}, entry_points=[metadata.EntryPoint(n, m, "exporter") for n, m in modules], **kwargs)


def squash(text: str) -> str:
    return " ".join(text.split())


# -- the example format -----------------------------------------------------------------------

def test_example_plugin_passes_the_basic_checks(tmp_path):
    plugins = load(("plain-text", "plaintext_format"))
    checked = check_format("plain-text", tmp_path, plugins=plugins)
    assert checked.checks == ["registration", "export", "media type", "terms", "print limit"]
    assert checked.format.plugin == "plain-text" and checked.format.material is True
    assert checked.data.decode("utf-8")


def test_example_plugin_on_frus(tmp_path, frus_path):
    plugins = load(("plain-text", "plaintext_format"))
    checked = check_format("plain-text", tmp_path, plugins=plugins, corpus=frus_path)
    assert "Secretary of State" in checked.data.decode("utf-8")


def test_example_output_holds_text_pages_notes_and_annotations(tmp_path):
    engine = Engine(load(("plain-text", "plaintext_format")))
    request = dict(range=RANGE, user="irina", accept_terms=True)
    engine.export(ExportRequest(format="plain-text", **request), tmp_path / "x.txt")
    engine.export(ExportRequest(format="json", **request), tmp_path / "x.json")
    text = squash((tmp_path / "x.txt").read_text(encoding="utf-8"))
    model = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    for entry in model["entries"]:
        assert entry["title"] in text
        assert squash(entry["citation"]["note"]) in text
        for note in entry["notes"]:
            assert squash(note["text"]) in text
        for ann in entry["annotations"]:
            assert f"{{A{ann['number']}}}" in text and squash(ann["body"]) in text
        for layer in entry["layers"].values():
            for label in layer["pages"]:
                assert f"[p. {label}]" in text
    assert model["entries"][0]["annotations"], "irina should see annotations in this range"


def test_example_is_refused_like_any_material_format(tmp_path):
    from exporter.errors import PolicyRefusal

    engine = Engine(load(("plain-text", "plaintext_format")))
    with pytest.raises(PolicyRefusal, match="print limit"):
        engine.export(ExportRequest(format="plain-text", all=True, accept_terms=True), tmp_path / "all.txt")
    assert list(tmp_path.iterdir()) == []


# -- the other hooks: sources and styles --------------------------------------------------------

MEMO = """Memoranda of the Vologda Legation
## memo-1 | 1918-03-01 | On the <evacuation> & the trains
[p. 7]
The trains leave at dawn.

The luggage goes first.
## memo-2 | | An undated memo
[p. 8]
Nothing further.
"""


def test_source_and_style_hooks_from_a_plugin(tmp_path):
    plugins = load(("memo-hooks", "hooks_example"), ("plain-text", "plaintext_format"))
    assert not plugins.failures
    assert plugins.sources.get("memo").plugin == "memo-hooks"
    assert plugins.info["memo-hooks"].registered == {"source": ["memo"], "format": [], "style": ["memo-chicago"]}
    style = plugins.styles.get("memo-chicago")
    assert style.plugin == "memo-hooks" and style.path.is_file()
    volume = tmp_path / "legation.memo.txt"
    volume.write_text(MEMO, encoding="utf-8")
    engine = Engine(plugins)
    corpus = engine.load(volume)
    assert [e.id for e in corpus.entries] == ["memo-1", "memo-2"]
    out = tmp_path / "memo.txt"
    engine.export(ExportRequest(format="plain-text", entries="memo-1,memo-2", corpus=volume, accept_terms=True,
                                style="memo-chicago"), out)
    text = out.read_text(encoding="utf-8")
    assert "On the <evacuation> & the trains" in text and "[p. 7]" in text and "Nothing further." in text
    with pytest.raises(UnknownNameError, match="memo-chicago"):
        engine.export(ExportRequest(format="json", entries="memo-1", corpus=volume, accept_terms=True,
                                    style="no-such-style"), tmp_path / "y.json")


def test_source_hook_runs_before_format_and_style_hooks():
    calls = []
    plugin = SimpleNamespace()
    for hook in ("exporter_register_styles", "exporter_register_formats", "exporter_register_sources"):
        setattr(plugin, hook, hookimpl(lambda register, hook=hook: calls.append(hook)))
    load(extra=[("recorder", plugin)])
    assert calls == ["exporter_register_sources", "exporter_register_formats", "exporter_register_styles"]


# -- the test helper itself ------------------------------------------------------------------

def _liar_plugin():
    """A format that claims to be PDF but writes plain text."""

    def render(doc, out):
        out.write(b"not a pdf")

    @hookimpl
    def exporter_register_formats(register):
        register(Format(name="liar", media_type="application/pdf", extension="pdf", render=render, material=False))

    return SimpleNamespace(exporter_register_formats=exporter_register_formats)


def test_helper_catches_a_wrong_media_type(tmp_path):
    plugins = load(extra=[("liar", _liar_plugin())])
    with pytest.raises(FormatCheckError, match="format 'liar': output does not look like application/pdf"):
        check_format("liar", tmp_path, plugins=plugins)


def test_helper_catches_a_failing_render_and_an_unknown_format(tmp_path):
    plugins = load(("raises-rendering", "plugin_raises_rendering"), ("fails-on-import", "plugin_fails_on_import"))
    with pytest.raises(FormatCheckError, match="format 'boom': export of .* failed: .*renderer bug"):
        check_format("boom", tmp_path, plugins=plugins)
    with pytest.raises(FormatCheckError, match="not registered .*plugin 'fails-on-import' failed"):
        check_format("missing", tmp_path, plugins=plugins)


def test_helper_checks_non_material_formats_need_no_terms(tmp_path):
    plugins = load(("duplicate-name", "plugin_duplicate_name"))
    checked = check_format("dup-survivor", tmp_path, plugins=plugins)
    assert checked.checks[-1] == "not print-limited"


def test_helper_fixture_on_builtin_and_installed_formats(exporter_format_check):  # noqa: F811 -- the fixture
    assert exporter_format_check("json").result.media_type == "application/json"
    assert exporter_format_check("html").path.suffix == ".html"
