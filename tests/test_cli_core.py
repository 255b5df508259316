"""The core commands through the real console script."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import FRUS


def test_version_and_help(cli):
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.decode().startswith("exporter ")
    for cmd in ("export", "formats", "toc", "cite", "styles", "plugins"):
        r = cli(cmd, "--help")
        assert r.returncode == 0 and b"usage:" in r.stdout


def test_python_dash_m_is_the_same_command_line(cli):
    via_module = subprocess.run([sys.executable, "-m", "exporter", "toc", "--json"], capture_output=True)
    assert via_module.returncode == 0, via_module.stderr
    assert via_module.stdout == cli("toc", "--json").stdout
    bad = subprocess.run([sys.executable, "-m", "exporter", "export", "--format", "json"], capture_output=True)
    assert bad.returncode == 2 and b"usage:" in bad.stderr


def test_usage_errors_exit_2(cli, tmp_path):
    r = cli("export", "--format", "json")
    assert r.returncode == 2
    r = cli("export", "--entries", "a", "--range", "a..b", "--format", "json", "-o", str(tmp_path / "x"))
    assert r.returncode == 2 and "exactly one selection" in r.stderr.decode()
    r = cli("export", "--entries", "kd1-1918-03-06", "--pages", "5-2", "--format", "json", "-o", str(tmp_path / "x"))
    assert r.returncode == 2 and "reversed" in r.stderr.decode()
    r = cli()
    assert r.returncode == 2


def test_unknown_format_lists_known(cli, tmp_path):
    r = cli("export", "--entries", "kd1-1918-03-06", "--format", "nope", "-o", str(tmp_path / "x"))
    err = r.stderr.decode()
    assert r.returncode == 6 and "unknown format 'nope'" in err and "html" in err and "json" in err


def test_formats_json(cli):
    r = cli("formats", "--json")
    rows = json.loads(r.stdout)
    by_name = {row["name"]: row for row in rows}
    assert {"json", "html"} <= set(by_name)
    for row in rows:
        assert set(row) >= {"name", "media_type", "extension", "plugin", "print_limited"}
    assert by_name["json"]["print_limited"] is True and by_name["json"]["plugin"] == "json"


def test_toc_json(cli):
    rows = json.loads(cli("toc", "--json").stdout)
    assert len(rows) == 46
    first = rows[0]
    assert set(first) >= {"id", "title", "date", "volume", "pages"}
    assert first["pages"] == {"translation": ["1", "2"], "transcription": ["1", "2"]}
    assert any(r["date"] is None for r in rows)
    frus = json.loads(cli("toc", "--corpus", str(FRUS), "--json").stdout)
    assert len(frus) == 478 and frus[1]["pages"] == {"text": ["2", "3"]}


def test_export_json_end_to_end(cli, tmp_path):
    out = tmp_path / "sel.json"
    r = cli("export", "--range", "kd1-1918-03-03a..kd1-1918-03-06", "--layer", "translation", "--user", "irina",
            "--format", "json", "-o", str(out), "--accept-terms")
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout.decode()
    data = json.loads(out.read_text())
    e = data["entries"][0]
    assert e["id"] == "kd1-1918-03-03a" and e["title"] == "3 March 1918 (1)"
    assert e["notes"] and set(e["notes"][0]) >= {"text"}
    ann = e["annotations"][0]
    assert set(ann) >= {"id", "body", "creator", "visibility", "tags"}


def test_export_frus(cli, tmp_path):
    out = tmp_path / "frus.json"
    r = cli("export", "--corpus", str(FRUS), "--entries", "d1,d2,d101", "--format", "json", "-o", str(out),
            "--accept-terms", "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["source_pages"] == 6 and result["entries"] == 3
    data = json.loads(out.read_text())
    assert data["entries"][2]["notes"][0]["text"].startswith("Francis O. Lindley")


def test_json_to_stdout(cli):
    r = cli("export", "--entries", "kd1-1918-03-06", "--format", "json", "-o", "-", "--accept-terms")
    assert r.returncode == 0 and json.loads(r.stdout)["entries"][0]["id"] == "kd1-1918-03-06"


def test_formats_and_toc_import_no_renderer():
    code = ("import sys; from exporter.cli import main; main(['formats']); main(['toc']);"
            "heavy = [m for m in ('weasyprint', 'docx', 'pypdf', 'citeproc', 'ebooklib', 'jinja2')"
            " if m in sys.modules];"
            "print('HEAVY', heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in r.stdout, r.stdout[-500:] + r.stderr[-2000:]


def test_console_script_flushes_everything_before_leaving(cli, frus_path, tmp_path):
    """Every line of a long stdout arrives, refusals keep their code and one-line reason, and a
    reader that closes the pipe early gets no traceback."""
    import subprocess

    from conftest import EXPORTER

    res = cli("cite", "--corpus", str(frus_path), "--all", "--style", "apa", "--mode", "bibliography")
    assert res.returncode == 0, res.stderr
    assert len(res.stdout.decode("utf-8").splitlines()) == 478
    res = cli("export", "--entries", "no-such-entry", "--format", "json", "--output", str(tmp_path / "x.json"))
    assert res.returncode not in (0, 1) and len(res.stderr.decode().strip().splitlines()) == 1
    assert not (tmp_path / "x.json").exists()
    res = cli("export", "--all", "--format", "ris", "--output", str(tmp_path / "all.ris"))
    assert res.returncode == 0 and res.stdout.decode().startswith("wrote ")
    shell = subprocess.run(f"'{EXPORTER}' cite --corpus '{frus_path}' --all --style apa | head -n 1",
                           shell=True, capture_output=True, text=True, timeout=300)
    assert len(shell.stdout.splitlines()) == 1 and "Traceback" not in shell.stderr


@pytest.mark.parametrize("case", ["done", "refused", "usage"])
def test_console_script_ends_normally_and_plugin_cleanup_runs(cli, tmp_path, case):
    """The process ends through the interpreter, not around it: a plugin's atexit handler, its
    weakref finaliser and a module object's ``__del__`` all run, after success and after errors."""
    from test_plugin_cli import PLUGIN_DIR, make_distribution

    site = tmp_path / "site"
    make_distribution(site, {"cleanup": "plugin_cleanup_at_exit"}, name="cleanup-plugin")
    log = tmp_path / "cleanup.log"
    env = {"PYTHONPATH": f"{site}:{PLUGIN_DIR}", "EXPORTER_TEST_CLEANUP": str(log)}
    out = tmp_path / "n.txt"
    args = {"done": ("export", "--all", "--format", "cleanup-check", "-o", str(out)),
            "refused": ("export", "--entries", "no-such-entry", "--format", "cleanup-check", "-o", str(out)),
            "usage": ("export", "--all", "--format", "cleanup-check", "-o", str(tmp_path))}[case]
    res = cli(*args, env=env)
    assert res.returncode == {"done": 0, "refused": 4, "usage": 2}[case], res.stderr
    if case == "done":
        assert out.read_text() == "46 entries\n"
    assert "Traceback" not in res.stderr.decode()
    assert sorted(log.read_text().split()) == ["atexit", "del", "finalize"]
