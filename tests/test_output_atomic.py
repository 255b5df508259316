"""Atomic output: on any failure no target and no temp file remain; an old target is kept."""

from __future__ import annotations

import pytest

from exporter.engine import ExportRequest
from exporter.errors import RenderError
from exporter.registry import Format


def _fmt(name, render):
    return Format(name=name, media_type="text/plain", extension="txt", material=False, render=render)


@pytest.fixture
def with_format(engine):
    added = []

    def add(name, render):
        engine.plugins.formats.add(_fmt(name, render), "tests")
        added.append(name)

    yield add
    for name in added:
        engine.plugins.formats.remove(name)


def test_failure_mid_write_leaves_nothing(engine, tmp_path, with_format):
    def render(doc, out):
        out.write(b"half of the file" * 1000)
        raise OSError("disk full (injected)")

    with_format("half", render)
    target = tmp_path / "out.txt"
    with pytest.raises(RenderError, match="format 'half' \\(plugin 'tests'\\) failed: OSError: disk full"):
        engine.export(ExportRequest(format="half", all=True), target)
    assert list(tmp_path.iterdir()) == []


def test_old_target_survives_a_failed_export(engine, tmp_path, with_format):
    def render(doc, out):
        out.write(b"new")
        raise ValueError("boom")

    with_format("boom", render)
    target = tmp_path / "out.txt"
    target.write_text("old content")
    with pytest.raises(RenderError):
        engine.export(ExportRequest(format="boom", all=True), target)
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_interruption_leaves_nothing(engine, tmp_path, with_format):
    def render(doc, out):
        out.write(b"partial")
        raise KeyboardInterrupt

    with_format("interrupted", render)
    with pytest.raises(KeyboardInterrupt):
        engine.export(ExportRequest(format="interrupted", all=True), tmp_path / "out.txt")
    assert list(tmp_path.iterdir()) == []


def test_success_is_complete_and_reports(engine, tmp_path, with_format):
    with_format("ok", lambda doc, out: out.write(b"x" * 10) and None)
    result = engine.export(ExportRequest(format="ok", all=True), tmp_path / "out.txt")
    assert result.size == 10 and result.media_type == "text/plain" and result.source_pages > 60
    assert (tmp_path / "out.txt").read_bytes() == b"x" * 10


def test_stdout_gets_nothing_on_failure(cli, tmp_path):
    r = cli("export", "--entries", "nope", "--format", "json", "-o", "-", "--accept-terms")
    assert r.returncode == 4 and r.stdout == b""
