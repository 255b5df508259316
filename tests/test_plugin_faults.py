"""Plugin fault isolation, in process: fixture plugins from ``tests/plugins`` loaded through real
entry points.  Each fault is reported with the plugin's name and what happened, nothing partial
is written, and every built-in format keeps working in the same process.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from importlib import metadata
from pathlib import Path

import pytest

from exporter.engine import Engine, ExportRequest
from exporter.errors import RenderError
from exporter.plugins import BUILTIN_PLUGINS, load_plugins

PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"
ENTRY = "kd1-1918-01-03"

#: entry-point name -> module of the fixture plugin
FIXTURES = {
    "fails-on-import": "plugin_fails_on_import",
    "wrong-signature": "plugin_wrong_signature",
    "unknown-hook": "plugin_unknown_hook",
    "raises-registering": "plugin_raises_registering",
    "exits-registering": "plugin_exits_registering",
    "bad-registration": "plugin_bad_registration",
    "duplicate-name": "plugin_duplicate_name",
    "raises-rendering": "plugin_raises_rendering",
    "hangs-rendering": "plugin_hangs_rendering",
    "writes-outside": "plugin_writes_outside",
    "plain-text": "plaintext_format",
}


def entry_points(*names: str) -> list[metadata.EntryPoint]:
    return [metadata.EntryPoint(name=n, value=FIXTURES[n], group="exporter") for n in names or FIXTURES]


@pytest.fixture(scope="module")
def plugin_path():
    import sys

    sys.path.insert(0, str(PLUGIN_DIR))
    yield
    sys.path.remove(str(PLUGIN_DIR))


@pytest.fixture(scope="module")
def clean():
    return load_plugins(env={}, entry_points=[])


@pytest.fixture(scope="module")
def faulty(plugin_path):
    return load_plugins(env={}, entry_points=entry_points())


@pytest.fixture(scope="module")
def faulty_engine(faulty):
    return Engine(faulty)


def failures(plugins, name: str) -> list:
    return [f for f in plugins.failures if f.name == name]


def builtin_names(plugins, kind: str) -> set[str]:
    registry = {"format": plugins.formats, "style": plugins.styles, "source": plugins.sources}[kind]
    return {item.name for item in registry if item.plugin in BUILTIN_PLUGINS}


# -- loading and registering ----------------------------------------------------------------

def test_failing_import_is_reported_and_skipped(faulty):
    [f] = failures(faulty, "fails-on-import")
    assert f.stage == "import"
    assert "ImportError" in f.reason and "no-such-library" in f.reason
    assert "fails-on-import" not in faulty.info
    assert "plugin 'fails-on-import' failed (import)" in str(f)


def test_wrong_hook_signature_is_reported_and_skipped(faulty):
    [f] = failures(faulty, "wrong-signature")
    assert f.stage == "validate"
    assert "exporter_register_formats" in f.reason and "options" in f.reason
    assert "wrong-signature" not in faulty.info
    assert faulty.pm.get_plugin("wrong-signature") is None


def test_unknown_hook_name_is_reported_and_skipped(faulty):
    [f] = failures(faulty, "unknown-hook")
    assert f.stage == "validate" and "exporter_register_format" in f.reason
    assert faulty.pm.get_plugin("unknown-hook") is None


def test_raising_while_registering_withdraws_its_registrations(faulty):
    [f] = failures(faulty, "raises-registering")
    assert f.stage == "register"
    assert "RuntimeError: configuration file missing" in f.reason
    assert "half-registered" not in faulty.formats
    assert faulty.info["raises-registering"].registered["format"] == []


def test_sys_exit_while_registering_does_not_end_the_run(faulty):
    [f] = failures(faulty, "exits-registering")
    assert f.stage == "register" and "SystemExit" in f.reason


def test_invalid_registrations_are_refused_one_by_one(faulty):
    reasons = [f.reason for f in failures(faulty, "bad-registration")]
    assert len(reasons) == 3, reasons
    assert "must be an exporter.registry.Format, not dict" in reasons[0]
    assert "'Bad Name!'" in reasons[1]
    assert "render is not callable" in reasons[2]
    assert faulty.info["bad-registration"].registered["format"] == []


def test_duplicate_name_names_both_plugins_and_keeps_the_first(faulty):
    [f] = failures(faulty, "duplicate-name")
    assert f.stage == "register"
    assert "format 'json'" in f.reason
    assert "'duplicate-name'" in f.reason and "'json'" in f.reason
    assert faulty.formats.get("json").plugin == "json"
    # the plugin's other, valid registration stands
    assert faulty.formats.get("dup-survivor").plugin == "duplicate-name"


def test_builtins_are_untouched_by_faulty_plugins(faulty, clean):
    for kind in ("format", "style", "source"):
        assert builtin_names(faulty, kind) == builtin_names(clean, kind), kind
    assert not clean.failures
    for name in BUILTIN_PLUGINS:
        assert faulty.info[name].registered == clean.info[name].registered


def test_good_third_party_plugins_load_beside_faulty_ones(faulty):
    assert faulty.formats.get("plain-text").plugin == "plain-text"
    assert set(faulty.info["raises-rendering"].registered["format"]) == {"boom", "boom-exit", "boom-junk"}


# -- restricting which plugins load ---------------------------------------------------------

def test_exporter_plugins_loads_only_the_named_ones(plugin_path):
    plugins = load_plugins(env={"EXPORTER_PLUGINS": "plain-text, duplicate-name"}, entry_points=entry_points())
    third_party = {name for name, info in plugins.info.items() if not info.builtin}
    assert third_party == {"plain-text", "duplicate-name"}
    # the others were never imported, so they cannot fail
    assert {f.name for f in plugins.failures} == {"duplicate-name"}


def test_empty_exporter_plugins_loads_no_third_party_plugin(plugin_path):
    plugins = load_plugins(env={"EXPORTER_PLUGINS": ""}, entry_points=entry_points())
    assert all(info.builtin for info in plugins.info.values())
    assert not plugins.failures


def test_exporter_disable_plugins(plugin_path, clean):
    env = {"EXPORTER_DISABLE_PLUGINS": "fails-on-import,wrong-signature,html"}
    plugins = load_plugins(env=env, entry_points=entry_points())
    names = {f.name for f in plugins.failures}
    assert "fails-on-import" not in names and "wrong-signature" not in names
    assert "unknown-hook" in names
    assert "html" not in plugins.formats and "html" not in plugins.info
    assert builtin_names(plugins, "format") == builtin_names(clean, "format") - {"html"}
    assert not plugins.notices


def test_builtin_plugins_have_short_names(clean):
    assert set(clean.info) == {"tei", "json", "html", "pdf", "docx", "references", "bibliography", "annotations",
                               "styles"}
    assert all(info.builtin for info in clean.info.values())
    assert clean.formats.get("pdf").plugin == "pdf" and clean.formats.get("ris").plugin == "references"
    assert clean.formats.get("annotations-csv").plugin == "annotations" and clean.sources.get("tei").plugin == "tei"


@pytest.mark.parametrize("variable", ["EXPORTER_DISABLE_PLUGINS", "EXPORTER_PLUGINS"])
def test_former_builtin_module_names_are_accepted_with_a_deprecation_warning(variable, clean):
    env = {variable: "exporter.formats.annotation_exports"}
    with pytest.warns(DeprecationWarning, match="'exporter.formats.annotation_exports' is deprecated.*use 'annotations'"):
        plugins = load_plugins(env=env, entry_points=[])
    assert plugins.notices == [f"{variable}: plugin name 'exporter.formats.annotation_exports' is deprecated and "
                               "will not be accepted in the next release; use 'annotations'"]
    if variable == "EXPORTER_DISABLE_PLUGINS":
        assert "annotations" not in plugins.info and "annotations-md" not in plugins.formats
    else:  # built-ins always load; the name just means the built-in
        assert set(plugins.info) == set(clean.info)


def test_the_real_environment_is_read_by_default(plugin_path, monkeypatch):
    monkeypatch.setenv("EXPORTER_PLUGINS", "plain-text")
    plugins = load_plugins(entry_points=entry_points())
    assert [n for n, i in plugins.info.items() if not i.builtin] == ["plain-text"]


# -- rendering ------------------------------------------------------------------------------

RENDER_FAULTS = [
    # format, plugin, words expected in the error
    ("boom", "raises-rendering", ["failed", "ValueError", "renderer bug"]),
    ("boom-exit", "raises-rendering", ["failed", "SystemExit", "renderer gave up"]),
    ("boom-junk", "raises-rendering", ["failed", "render returned dict"]),
    ("hang", "hangs-rendering", ["did not finish within 1 s"]),
    ("hang-stubborn", "hangs-rendering", ["did not finish within 1 s"]),
    ("sneaky-open", "writes-outside", ["stopped", "outside its output"]),
    ("sneaky-swallow", "writes-outside", ["stopped", "outside its output", "carried on"]),
    ("sneaky-remove", "writes-outside", ["stopped", "os.remove"]),
    ("sneaky-rename", "writes-outside", ["stopped", "os.rename"]),
    ("sneaky-chdir", "writes-outside", ["stopped", "changed the working directory"]),
]


@pytest.mark.parametrize("fmt,plugin,words", RENDER_FAULTS, ids=[f[0] for f in RENDER_FAULTS])
def test_render_fault_is_reported_and_nothing_is_written(faulty_engine, tmp_path, monkeypatch, fmt, plugin, words):
    work = tmp_path / "work"
    out_dir = tmp_path / "out"
    work.mkdir()
    out_dir.mkdir()
    victim = work / "victim.txt"
    victim.write_text("must survive\n")
    side = victim if fmt in ("sneaky-remove", "sneaky-rename", "sneaky-chdir") else work / "side.txt"
    cwd = os.getcwd()
    monkeypatch.setenv("EXPORTER_TEST_OUTSIDE", str(side))
    alarm_handler = signal.getsignal(signal.SIGALRM)
    tempdir = tempfile.tempdir
    target = out_dir / "out.txt"
    started = time.monotonic()
    with pytest.raises(RenderError) as caught:
        faulty_engine.export(ExportRequest(format=fmt, entries=ENTRY, timeout=1), target)
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert f"format '{fmt}'" in message and f"plugin '{plugin}'" in message, message
    for word in words:
        assert word in message, message
    assert "nothing was written" in message
    assert list(out_dir.iterdir()) == [], "no target and no temp file may remain"
    assert sorted(p.name for p in work.iterdir()) == ["victim.txt"]
    assert victim.read_text() == "must survive\n"
    assert elapsed < 15, f"{fmt} took {elapsed:.1f} s to stop"
    # the guards put everything back
    assert signal.getsignal(signal.SIGALRM) == alarm_handler
    assert tempfile.tempdir == tempdir
    assert os.getcwd() == cwd


def test_render_fault_to_stdout_prints_nothing(faulty_engine, capfdbinary):
    with pytest.raises(RenderError):
        faulty_engine.export(ExportRequest(format="boom", entries=ENTRY), "-")
    assert capfdbinary.readouterr().out == b""


def test_a_writer_may_use_temporary_files(faulty_engine, tmp_path):
    before = {p.name for p in Path(tempfile.gettempdir()).glob("exporter-render-*")}
    target = tmp_path / "scratch.txt"
    result = faulty_engine.export(ExportRequest(format="scratch-ok", entries=ENTRY), target)
    assert target.read_bytes() == b"spooled through a temporary file\n"
    assert result.size == target.stat().st_size
    after = {p.name for p in Path(tempfile.gettempdir()).glob("exporter-render-*")}
    assert after <= before, "the render's scratch folder must be removed"


def test_a_writer_may_import_modules_lazily(faulty_engine, tmp_path, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as without PYTHONDONTWRITEBYTECODE
    sys.modules.pop("lazy_helper", None)
    cache = PLUGIN_DIR / "__pycache__"
    for old in cache.glob("lazy_helper.*.pyc"):
        old.unlink()
    target = tmp_path / "lazy.txt"
    faulty_engine.export(ExportRequest(format="lazy-import", entries=ENTRY), target)
    assert target.read_bytes() == b"imported lazily inside render\n"
    assert "lazy_helper" in sys.modules
    assert not list(cache.glob("lazy_helper.*.pyc")), "no byte-code cache is written during a render"
    assert sys.dont_write_bytecode is False


def test_writes_work_again_after_a_refused_render(faulty_engine, tmp_path):
    with pytest.raises(RenderError):
        faulty_engine.export(ExportRequest(format="sneaky-open", entries=ENTRY), tmp_path / "x.txt")
    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("the guard is off outside renders")
    os.rename(ordinary, tmp_path / "renamed.txt")
    assert (tmp_path / "renamed.txt").exists()


def test_every_builtin_format_still_works_in_the_same_process(faulty_engine, clean, tmp_path):
    # run the faults first, in this very engine
    for fmt in ("boom", "sneaky-open", "hang"):
        with pytest.raises(RenderError):
            faulty_engine.export(ExportRequest(format=fmt, entries=ENTRY, timeout=1), tmp_path / "fault.out")
    names = sorted(builtin_names(clean, "format"))
    assert {"json", "html"} <= set(names)
    for name in names:
        fmt = faulty_engine.plugins.formats.get(name)
        target = tmp_path / f"ok.{fmt.extension}"
        result = faulty_engine.export(
            ExportRequest(format=name, entries=ENTRY, user="irina", annotations="visible", accept_terms=True),
            target)
        assert target.stat().st_size == result.size > 0, name
        assert result.media_type == fmt.media_type
        target.unlink()
    assert list(tmp_path.iterdir()) == []
