"""Options declared per format: checked by the engine before anything is rendered, offered by
the command line from the registry, refused by formats that do not take them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from exporter import hookimpl
from exporter.engine import CiteRequest, Engine, ExportRequest
from exporter.errors import SelectionError, UnknownNameError, UsageError
from exporter.plugins import load_plugins
from exporter.registry import Format, Option

ENTRY = "kd1-1918-03-06"


def _format(name: str, options: tuple, seen: list) -> Format:
    def render(doc, out):
        seen.append(dict(doc.options))
        out.write(b"ok\n")

    return Format(name=name, media_type="text/plain", extension="txt", render=render, material=False,
                  options=options)


@pytest.fixture
def optioned():
    """An engine with a test format taking typed options, and what its renders received."""
    seen: list = []
    called: list = []

    def flavours():
        called.append(True)
        return ["Sweet", "sour"]

    options = (Option("columns", type=int), Option("ratio", type=float), Option("draft", type=bool),
               Option("flavour", choices=flavours), Option("title"))

    @hookimpl
    def exporter_register_formats(register):
        register(_format("optioned", options, seen))

    plugins = load_plugins(env={"EXPORTER_PLUGINS": ""}, entry_points=[],
                           extra=[("optioned", SimpleNamespace(exporter_register_formats=exporter_register_formats))])
    assert not plugins.failures
    return Engine(plugins), seen, called


def test_options_reach_the_renderer_checked_and_converted(optioned, tmp_path):
    engine, seen, called = optioned
    engine.export(ExportRequest(format="optioned", entries=ENTRY), tmp_path / "a.txt")
    assert seen[-1] == {} and not called  # nothing given: nothing passed, choices never computed
    engine.export(ExportRequest(format="optioned", entries=ENTRY, options={
        "columns": " 2", "ratio": "1.5", "draft": "yes", "flavour": "SWEET", "title": " Draft "}), tmp_path / "b.txt")
    assert seen[-1] == {"columns": 2, "ratio": 1.5, "draft": True, "flavour": "Sweet", "title": "Draft"}
    assert called


@pytest.mark.parametrize("options, message", [
    ({"paper": "a4"}, "format 'optioned' has no option --paper; its options: --columns, --ratio, --draft, "
                      "--flavour, --title"),
    ({"columns": "two"}, "--columns 'two': expected an integer"),
    ({"ratio": "x"}, "--ratio 'x': expected a number"),
    ({"draft": "maybe"}, "--draft 'maybe': expected true or false"),
    ({"flavour": "bitter"}, "--flavour 'bitter': unknown; known values: Sweet, sour"),
])
def test_bad_options_are_refused_before_anything_is_written(optioned, tmp_path, options, message):
    engine, seen, _ = optioned
    with pytest.raises(UsageError) as caught:
        engine.export(ExportRequest(format="optioned", entries=ENTRY, options=options), tmp_path / "x.txt")
    assert str(caught.value) == message
    assert not seen and not (tmp_path / "x.txt").exists()


def test_an_option_is_refused_before_the_selection_is_read(engine, tmp_path):
    """The option check comes first: a bad option on a bad selection reports the option."""
    with pytest.raises(UsageError, match="has no option --pdf-variant"):
        engine.export(ExportRequest(format="docx", entries="no-such-entry", options={"pdf_variant": "pdf/ua-1"}),
                      tmp_path / "x.docx")


def test_builtin_formats_declare_their_options(engine):
    formats = engine.plugins.formats
    assert [o.name for o in formats.get("pdf").options] == ["paper", "pdf_variant"]
    assert [o.name for o in formats.get("docx").options] == ["paper"]
    assert all(not formats.get(n).options for n in ("html", "json", "ris", "bibtex", "csl-json", "epub"))
    assert "pdf/ua-1" in formats.get("pdf").options[1].allowed()
    [as_] = formats.get("bibliography").options
    assert as_.name == "as" and as_.flag == "--as" and as_.allowed() == ("text", "html") and as_.default == "text"


def test_every_builtin_format_is_documented_and_tested(engine):
    """Each built-in format is named with its plugin in docs/plugins.md, and exported by name
    (``"--format", "NAME"`` or ``format="NAME"``/``"format": "NAME"``) in some test file."""
    from pathlib import Path

    from exporter.plugins import BUILTIN_PLUGINS

    root = Path(__file__).resolve().parents[1]
    guide = (root / "docs" / "plugins.md").read_text(encoding="utf-8")
    builtin = guide[guide.index("The built-in plugins have short, stable names"):]
    builtin = builtin[:builtin.index("\n\n")]
    tests = "".join(p.read_text(encoding="utf-8") for p in (root / "tests").glob("test_*.py"))
    for fmt in engine.plugins.formats:
        if fmt.plugin not in BUILTIN_PLUGINS:
            continue
        assert f"`{fmt.name}`" in builtin and f"`{fmt.plugin}`" in builtin, fmt.name
        used = (f'"--format", "{fmt.name}"', f'format="{fmt.name}"', f'"format": "{fmt.name}"',
                f'--format {fmt.name}', f'for fmt in ("{fmt.name}"')
        assert any(u in tests for u in used) or f'"{fmt.name}"' in tests, fmt.name


def test_malformed_option_declarations_are_refused_at_registration():
    @hookimpl
    def exporter_register_formats(register):
        register(_format("bad-name", (Option("Paper"),), []))
        register(_format("bad-type", (Option("size", type=list),), []))
        register(_format("duplicate", (Option("size"), Option("size")), []))
        register(_format("not-an-option", ("size",), []))
        register(_format("fine", (Option("size"),), []))

    plugins = load_plugins(env={"EXPORTER_PLUGINS": ""}, entry_points=[],
                           extra=[("declares", SimpleNamespace(exporter_register_formats=exporter_register_formats))])
    assert "fine" in plugins.formats
    assert not {"bad-name", "bad-type", "duplicate", "not-an-option"} & set(plugins.formats.names())
    reasons = " | ".join(f.reason for f in plugins.failures)
    assert "option name 'Paper'" in reasons and "has type" in reasons and "option name 'size'" in reasons
    assert "not str" in reasons


def test_cli_offers_the_declared_options_and_refuses_them_elsewhere(cli, tmp_path):
    help_text = cli("export", "--help").stdout.decode()
    assert "--paper {a4,letter}" in help_text and "[docx, pdf]" in help_text and "--pdf-variant VALUE" in help_text
    out = tmp_path / "x.html"
    proc = cli("export", "--entries", ENTRY, "--format", "html", "-o", str(out), "--accept-terms", "--paper", "a4")
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr.decode() == "exporter: error: format 'html' has no option --paper; its options: none\n"
    proc = cli("export", "--entries", ENTRY, "--format", "docx", "-o", str(out), "--accept-terms", "--paper", "a5")
    assert proc.returncode == 2 and proc.stderr.decode().endswith("--paper 'a5': unknown; known values: a4, letter\n")
    rows = {r["name"]: r for r in json.loads(cli("formats", "--json").stdout)}
    assert rows["docx"]["options"] == [{"name": "paper", "flag": "--paper", "type": "str", "help": "paper size (default a4)",
                                        "default": "a4", "choices": ["a4", "letter"]}]
    assert rows["pdf"]["options"][1]["name"] == "pdf_variant" and rows["html"]["options"] == []


# -- citations through the engine (what `exporter cite` and the service call) ------------------

def test_citations_in_note_mode_keep_repeats_and_order(engine):
    result = engine.citations(CiteRequest(style="chicago-notes-bibliography", mode="note",
                                          entries=f"{ENTRY},kd1-1918-03-10,{ENTRY}"))
    assert result.style.name == "chicago-notes-bibliography"
    assert [line.entry_id for line in result.lines] == [ENTRY, "kd1-1918-03-10", ENTRY]
    bibliography = engine.citations(CiteRequest(style="chicago-notes-bibliography",
                                                entries=f"{ENTRY},kd1-1918-03-10,{ENTRY}"))
    assert sorted(line.entry_id for line in bibliography.lines) == [ENTRY, "kd1-1918-03-10"]


@pytest.mark.parametrize("request_, error, message", [
    (CiteRequest(style="styles/x.csl", entries=ENTRY), UnknownNameError, "is a path"),
    (CiteRequest(style="no-such-style", entries=ENTRY), UnknownNameError, "'no-such-style' is an unknown style"),
    (CiteRequest(style="apa", mode="footnote", entries=ENTRY), UsageError, "--mode 'footnote'"),
    (CiteRequest(style="apa", entries=ENTRY, locator="21"), UsageError, "not to the bibliography"),
    (CiteRequest(style="apa", mode="note", entries=ENTRY, locator="  "), UsageError, "give a page"),
    (CiteRequest(style="apa", mode="note", entries="no-such-entry,kd1-1918-03-10"), SelectionError, "no-such-entry"),
    (CiteRequest(style="apa", mode="note"), UsageError, "exactly one selection"),
])
def test_citation_requests_are_checked_by_the_engine(engine, request_, error, message):
    with pytest.raises(error, match=message):
        engine.citations(request_)
