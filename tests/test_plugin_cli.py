"""Plugin faults and ``exporter plugins`` through the real console script.

The fixture plugins of ``tests/plugins`` are made discoverable exactly as an installed package
would be: a ``fixture_plugins-1.0.dist-info`` folder with an ``entry_points.txt`` on
``PYTHONPATH``.  Removing that folder is what ``pip uninstall`` does.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"
ENTRY = "kd1-1918-01-03"

FIXTURES = {
    "fails-on-import": "plugin_fails_on_import",
    "wrong-signature": "plugin_wrong_signature",
    "unknown-hook": "plugin_unknown_hook",
    "raises-registering": "plugin_raises_registering",
    "duplicate-name": "plugin_duplicate_name",
    "raises-rendering": "plugin_raises_rendering",
    "hangs-rendering": "plugin_hangs_rendering",
    "writes-outside": "plugin_writes_outside",
    "plain-text": "plaintext_format",
}
FAILING = {"fails-on-import": "import", "wrong-signature": "validate", "unknown-hook": "validate",
           "raises-registering": "register", "duplicate-name": "register"}


def make_distribution(site: Path, entry_points: dict[str, str], name: str = "fixture-plugins",
                      version: str = "1.0") -> Path:
    """Write the metadata pip would install for a package declaring ``entry_points``."""
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = ["[exporter]"] + [f"{ep} = {module}" for ep, module in entry_points.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return dist


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    make_distribution(site, FIXTURES)
    return site


@pytest.fixture
def env(site, tmp_path) -> dict[str, str]:
    return {"PYTHONPATH": f"{site}:{PLUGIN_DIR}", "EXPORTER_TEST_OUTSIDE": str(tmp_path / "side.txt"),
            "EXPORTER_PLUGINS": ",".join(list(FIXTURES) + ["epub"])}


def text(proc) -> tuple[str, str]:
    return proc.stdout.decode(), proc.stderr.decode()


def test_plugins_json_lists_loaded_plugins_and_failures(cli, env):
    proc = cli("plugins", "--json", env=env)
    out, err = text(proc)
    assert proc.returncode == 0, err
    data = json.loads(out)
    loaded = {p["name"]: p for p in data["plugins"]}
    assert loaded["plain-text"] == {**loaded["plain-text"], "version": "1.0", "builtin": False,
                                    "distribution": "fixture-plugins", "formats": ["plain-text"],
                                    "styles": [], "sources": []}
    assert loaded["epub"]["formats"] == ["epub"] and loaded["epub"]["distribution"] == "exporter-epub"
    assert loaded["json"]["builtin"] is True
    assert set(loaded["raises-rendering"]["formats"]) == {"boom", "boom-exit", "boom-junk"}
    failed = {(f["name"], f["stage"]) for f in data["failures"]}
    assert failed == set(FAILING.items())
    reasons = {f["name"]: f["reason"] for f in data["failures"]}
    assert "no-such-library" in reasons["fails-on-import"]
    assert "options" in reasons["wrong-signature"]
    assert "exporter_register_format" in reasons["unknown-hook"]
    assert "configuration file missing" in reasons["raises-registering"]
    assert "json" in reasons["duplicate-name"]


def test_plugins_text_output(cli, env):
    proc = cli("plugins", env=env)
    out, err = text(proc)
    assert proc.returncode == 0, err
    assert out.splitlines()[0].split() == ["PLUGIN", "VERSION", "ORIGIN", "ADDED"]
    row = next(line for line in out.splitlines() if line.startswith("plain-text "))
    assert row.split()[:3] == ["plain-text", "1.0", "fixture-plugins"] and "formats plain-text" in row
    failed = out.split("\nFAILED\n", 1)[1]
    for name, stage in FAILING.items():
        assert any(line.split()[:2] == [name, stage] for line in failed.splitlines()), name


def test_formats_lists_good_plugins_and_warns_about_failures(cli, env):
    proc = cli("formats", "--json", env=env)
    out, err = text(proc)
    assert proc.returncode == 0, err
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["plain-text"]["plugin"] == "plain-text" and rows["plain-text"]["print_limited"] is True
    assert rows["dup-survivor"]["plugin"] == "duplicate-name"
    assert rows["json"]["plugin"] == "json"
    assert "half-registered" not in rows
    for name, stage in FAILING.items():
        assert f"warning: plugin '{name}' failed ({stage})" in err, err


@pytest.mark.parametrize("fmt,plugin,expect", [
    ("boom", "raises-rendering", "ValueError: renderer bug"),
    ("boom-exit", "raises-rendering", "SystemExit: renderer gave up"),
    ("sneaky-open", "writes-outside", "outside its output"),
    ("hang", "hangs-rendering", "did not finish within 1 s"),
])
def test_render_faults_through_the_console_script(cli, env, tmp_path, fmt, plugin, expect):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    started = time.monotonic()
    proc = cli("export", "--entries", ENTRY, "--format", fmt, "--output", str(out_dir / "x.txt"),
               "--timeout", "1", env=env)
    elapsed = time.monotonic() - started
    out, err = text(proc)
    assert proc.returncode == 7, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("exporter: error: ") and f"format '{fmt}' (plugin '{plugin}')" in last, err
    assert expect in last and "nothing was written" in last
    assert list(out_dir.iterdir()) == []
    assert not (tmp_path / "side.txt").exists()
    assert elapsed < 30


def test_builtin_formats_work_with_faulty_plugins_installed(cli, env, tmp_path):
    for fmt in ("json", "html", "plain-text"):
        target = tmp_path / f"ok.{fmt}"
        proc = cli("export", "--entries", ENTRY, "--format", fmt, "--output", str(target), "--accept-terms",
                   env=env)
        assert proc.returncode == 0, proc.stderr.decode()
        assert target.stat().st_size > 0
    assert json.loads((tmp_path / "ok.json").read_text())["entries"][0]["id"] == ENTRY


def test_exporter_plugins_and_disable_plugins_restrict_loading(cli, site):
    base = {"PYTHONPATH": f"{site}:{PLUGIN_DIR}"}
    proc = cli("plugins", "--json", env={**base, "EXPORTER_PLUGINS": "plain-text"})
    data = json.loads(proc.stdout)
    assert [p["name"] for p in data["plugins"] if not p["builtin"]] == ["plain-text"]
    assert data["failures"] == []
    proc = cli("plugins", "--json", env={**base, "EXPORTER_PLUGINS": "",
                                         "EXPORTER_DISABLE_PLUGINS": "html"})
    data = json.loads(proc.stdout)
    assert all(p["builtin"] for p in data["plugins"]) and data["failures"] == []
    assert "html" not in {p["name"] for p in data["plugins"]}
    assert proc.stderr == b""
    # the former module-path name still works for one release, with a warning on stderr
    proc = cli("plugins", "--json", env={**base, "EXPORTER_PLUGINS": "",
                                         "EXPORTER_DISABLE_PLUGINS": "exporter.formats.html"})
    assert "html" not in {p["name"] for p in json.loads(proc.stdout)["plugins"]}
    assert proc.stderr.decode() == ("exporter: warning: EXPORTER_DISABLE_PLUGINS: plugin name "
                                    "'exporter.formats.html' is "
                           "deprecated and will not be accepted in the next release; use 'html'\n")
    proc = cli("plugins", "--json", env={**base, "EXPORTER_DISABLE_PLUGINS": "fails-on-import,wrong-signature"})
    names = {f["name"] for f in json.loads(proc.stdout)["failures"]}
    assert "fails-on-import" not in names and "wrong-signature" not in names and "unknown-hook" in names


def test_installing_and_uninstalling_a_plugin_distribution(cli, tmp_path):
    site = tmp_path / "site"
    dist = make_distribution(site, {"plain-text": "plaintext_format"}, name="exporter-plain-text", version="2.3")
    env = {"PYTHONPATH": f"{site}:{PLUGIN_DIR}"}
    rows = {r["name"]: r for r in json.loads(cli("formats", "--json", env=env).stdout)}
    assert rows["plain-text"]["plugin"] == "plain-text"
    shutil.rmtree(dist)  # what `pip uninstall` does to the metadata
    rows = {r["name"]: r for r in json.loads(cli("formats", "--json", env=env).stdout)}
    assert "plain-text" not in rows and "json" in rows
